// File naming and checkpoint encoding of the on-disk format (see format.h).
#include "keel/storage/format.h"

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fmt/format.h"

namespace keel::storage {
namespace {

template <typename T>
bool ParseDecimal(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string SegmentBaseName(int64_t base_offset) { return fmt::format("{:020d}", base_offset); }

std::string SegmentFileName(int64_t base_offset, std::string_view suffix) {
  return SegmentBaseName(base_offset) + std::string(suffix);
}

std::optional<int64_t> ParseSegmentFileName(std::string_view name, std::string_view suffix) {
  if (name.size() != kSegmentNameDigits + suffix.size()) return std::nullopt;
  if (name.substr(kSegmentNameDigits) != suffix) return std::nullopt;
  std::string_view digits = name.substr(0, kSegmentNameDigits);
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t v;
  if (!ParseDecimal(digits, &v)) return std::nullopt;
  return v;
}

std::string SwapFileName(int64_t base_offset, int64_t end_offset) {
  return fmt::format("{:020d}-{:020d}{}", base_offset, end_offset, kSwapSuffix);
}

std::optional<SwapRange> ParseSwapFileName(std::string_view name) {
  constexpr size_t kDigits = kSegmentNameDigits;
  if (name.size() != 2 * kDigits + 1 + kSwapSuffix.size() || name[kDigits] != '-' ||
      !name.ends_with(kSwapSuffix)) {
    return std::nullopt;
  }
  auto base = ParseSegmentFileName(name.substr(0, kDigits), "");
  auto end = ParseSegmentFileName(name.substr(kDigits + 1, kDigits), "");
  if (!base || !end || *base >= *end) return std::nullopt;
  return SwapRange{*base, *end};
}

std::string PartitionDirName(std::string_view topic, int32_t partition) {
  return fmt::format("{}-{}", topic, partition);
}

std::optional<ParsedPartitionDir> ParsePartitionDirName(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  std::string_view tail = name.substr(dash + 1);
  for (char c : tail)
    if (c < '0' || c > '9') return std::nullopt;
  int32_t p;
  if (!ParseDecimal(tail, &p) || p < 0) return std::nullopt;
  return ParsedPartitionDir{std::string(name.substr(0, dash)), p};
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  return absl::StrCat("keel-checkpoint 1\nrecovery_point ", c.recovery_point,
                      "\nlog_start_offset ", c.log_start_offset, "\n");
}

namespace {

// Splits a small text file of the form "<header>\n<key> <int>\n..." and
// parses the integer of each expected key (>= min_value), in order.
bool ParseKeyedLines(std::string_view text, std::string_view header,
                     std::initializer_list<std::pair<std::string_view, int64_t*>> fields,
                     int64_t min_value) {
  std::vector<std::string_view> lines;
  for (absl::string_view l :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    lines.emplace_back(l.data(), l.size());
  }
  if (lines.size() != fields.size() + 1 || lines[0] != header) return false;
  size_t i = 1;
  for (const auto& [key, out] : fields) {
    std::string_view line = lines[i++];
    if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key ||
        line[key.size()] != ' ') {
      return false;
    }
    if (!ParseDecimal(line.substr(key.size() + 1), out) || *out < min_value) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text) {
  Checkpoint c;
  if (!ParseKeyedLines(text, "keel-checkpoint 1",
                       {{"recovery_point", &c.recovery_point},
                        {"log_start_offset", &c.log_start_offset}},
                       0)) {
    return absl::DataLossError("malformed checkpoint");
  }
  return c;
}

std::string EncodeCleanerCheckpoint(const CleanerCheckpoint& c) {
  return absl::StrCat("keel-cleaner-checkpoint 1\nclean_offset ", c.clean_offset,
                      "\nnext_tombstone_expiry_ms ", c.next_tombstone_expiry_ms, "\n");
}

absl::StatusOr<CleanerCheckpoint> DecodeCleanerCheckpoint(std::string_view text) {
  CleanerCheckpoint c;
  if (!ParseKeyedLines(text, "keel-cleaner-checkpoint 1",
                       {{"clean_offset", &c.clean_offset},
                        {"next_tombstone_expiry_ms", &c.next_tombstone_expiry_ms}},
                       -1) ||
      c.clean_offset < 0) {
    return absl::DataLossError("malformed cleaner checkpoint");
  }
  return c;
}

}  // namespace keel::storage
