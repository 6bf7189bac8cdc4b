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

absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text) {
  std::vector<std::string_view> lines;
  for (absl::string_view l : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    lines.emplace_back(l.data(), l.size());
  }
  if (lines.size() != 3 || lines[0] != "keel-checkpoint 1") {
    return absl::DataLossError("malformed checkpoint header");
  }
  Checkpoint c;
  auto field = [&](std::string_view line, std::string_view key, int64_t* out) {
    if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key ||
        line[key.size()] != ' ') {
      return false;
    }
    return ParseDecimal(line.substr(key.size() + 1), out) && *out >= 0;
  };
  if (!field(lines[1], "recovery_point", &c.recovery_point) ||
      !field(lines[2], "log_start_offset", &c.log_start_offset)) {
    return absl::DataLossError("malformed checkpoint field");
  }
  return c;
}

}  // namespace keel::storage
