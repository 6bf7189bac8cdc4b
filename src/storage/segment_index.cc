// Sparse offset and time indexes (see segment_index.h).
#include "keel/storage/segment_index.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/storage/format.h"

namespace keel::storage {

void OffsetIndex::Append(int64_t offset, uint64_t position) {
  entries_.push_back({uint32_t(offset - base_offset_), uint32_t(position)});
}

IndexPosition OffsetIndex::Lookup(int64_t target) const {
  if (target < base_offset_) return {base_offset_, 0};
  uint64_t rel = uint64_t(target - base_offset_);
  auto it = std::upper_bound(entries_.begin(), entries_.end(), rel,
                             [](uint64_t r, const Entry& e) { return r < e.relative_offset; });
  if (it == entries_.begin()) return {base_offset_, 0};
  --it;
  return {base_offset_ + it->relative_offset, it->position};
}

void OffsetIndex::TruncateToPosition(uint64_t position) {
  while (!entries_.empty() && entries_.back().position >= position) entries_.pop_back();
}

std::optional<IndexPosition> OffsetIndex::last() const {
  if (entries_.empty()) return std::nullopt;
  return IndexPosition{base_offset_ + entries_.back().relative_offset, entries_.back().position};
}

std::string OffsetIndex::Encode() const {
  std::string out(entries_.size() * kOffsetIndexEntrySize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  for (const Entry& e : entries_) {
    coding::StoreBE32(p, e.relative_offset);
    coding::StoreBE32(p + 4, e.position);
    p += kOffsetIndexEntrySize;
  }
  return out;
}

absl::StatusOr<OffsetIndex> OffsetIndex::Decode(std::string_view bytes, int64_t base_offset,
                                                size_t max_entries, uint64_t segment_size) {
  if (bytes.size() % kOffsetIndexEntrySize != 0) {
    return absl::DataLossError(absl::StrCat("offset index size ", bytes.size(), " is not a multiple of 8"));
  }
  OffsetIndex index(base_offset, max_entries);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i < bytes.size() / kOffsetIndexEntrySize; ++i, p += kOffsetIndexEntrySize) {
    Entry e{coding::LoadBE32(p), coding::LoadBE32(p + 4)};
    if (e.position >= segment_size) {
      return absl::DataLossError(absl::StrCat("offset index entry ", i, " points past the data"));
    }
    if (!index.entries_.empty() && (e.relative_offset <= index.entries_.back().relative_offset ||
                                    e.position <= index.entries_.back().position)) {
      return absl::DataLossError(absl::StrCat("offset index entry ", i, " is not increasing"));
    }
    index.entries_.push_back(e);
  }
  return index;
}

void TimeIndex::MaybeAppend(int64_t timestamp, int64_t offset) {
  if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
  if (!entries_.empty() && uint32_t(offset - base_offset_) <= entries_.back().relative_offset) {
    return;
  }
  entries_.push_back({timestamp, uint32_t(offset - base_offset_)});
}

std::optional<TimestampOffset> TimeIndex::LastBefore(int64_t target) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                             [](const Entry& e, int64_t t) { return e.timestamp < t; });
  if (it == entries_.begin()) return std::nullopt;
  --it;
  return TimestampOffset{it->timestamp, base_offset_ + it->relative_offset};
}

void TimeIndex::TruncateToOffset(int64_t offset) {
  while (!entries_.empty() && base_offset_ + int64_t(entries_.back().relative_offset) >= offset) {
    entries_.pop_back();
  }
}

std::optional<TimestampOffset> TimeIndex::last() const {
  if (entries_.empty()) return std::nullopt;
  return TimestampOffset{entries_.back().timestamp, base_offset_ + entries_.back().relative_offset};
}

std::string TimeIndex::Encode() const {
  std::string out(entries_.size() * kTimeIndexEntrySize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  for (const Entry& e : entries_) {
    coding::StoreBE64(p, uint64_t(e.timestamp));
    coding::StoreBE32(p + 8, e.relative_offset);
    p += kTimeIndexEntrySize;
  }
  return out;
}

absl::StatusOr<TimeIndex> TimeIndex::Decode(std::string_view bytes, int64_t base_offset,
                                            size_t max_entries, int64_t next_offset) {
  if (bytes.size() % kTimeIndexEntrySize != 0) {
    return absl::DataLossError(absl::StrCat("time index size ", bytes.size(), " is not a multiple of 12"));
  }
  TimeIndex index(base_offset, max_entries);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i < bytes.size() / kTimeIndexEntrySize; ++i, p += kTimeIndexEntrySize) {
    Entry e{int64_t(coding::LoadBE64(p)), coding::LoadBE32(p + 8)};
    if (base_offset + int64_t(e.relative_offset) >= next_offset) {
      return absl::DataLossError(absl::StrCat("time index entry ", i, " points past the data"));
    }
    if (!index.entries_.empty() && (e.timestamp <= index.entries_.back().timestamp ||
                                    e.relative_offset <= index.entries_.back().relative_offset)) {
      return absl::DataLossError(absl::StrCat("time index entry ", i, " is not increasing"));
    }
    index.entries_.push_back(e);
  }
  return index;
}

}  // namespace keel::storage
