// In-memory sparse indexes of one segment and their file encodings.
//
// OffsetIndex maps offsets to file positions of batch starts; TimeIndex maps
// a running maximum timestamp to the offset of the batch where it was reached.
// Both hold offsets relative to the segment base (4 bytes) and are persisted
// as flat big-endian entries (docs/storage-format.md, "Offset index" and
// "Time index"); decoding sanity-checks the file
// so a torn or stale index is rejected and rebuilt instead of trusted.
// Not thread-safe: Segment guards them with its own mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace keel::storage {

struct IndexPosition {
  int64_t offset;     // absolute offset of a batch start
  uint64_t position;  // its byte position in the segment file
};

class OffsetIndex {
 public:
  OffsetIndex(int64_t base_offset, size_t max_entries)
      : base_offset_(base_offset), max_entries_(max_entries) {}

  // REQUIRES: offset and position larger than the last entry's, and
  // offset - base fits in 32 bits.
  void Append(int64_t offset, uint64_t position);
  // The greatest entry with offset <= target, or {base, 0}.
  IndexPosition Lookup(int64_t target) const;
  // Drops entries at or beyond `position`.
  void TruncateToPosition(uint64_t position);
  void Clear() { entries_.clear(); }

  bool full() const { return entries_.size() >= max_entries_; }
  size_t size() const { return entries_.size(); }
  std::optional<IndexPosition> last() const;

  std::string Encode() const;
  // DataLoss if the bytes are not a plausible index for a segment of
  // `segment_size` bytes (size not a multiple of 8, entries not strictly
  // increasing, a position at or past the end of the data).
  static absl::StatusOr<OffsetIndex> Decode(std::string_view bytes, int64_t base_offset,
                                            size_t max_entries, uint64_t segment_size);

 private:
  struct Entry {
    uint32_t relative_offset;
    uint32_t position;
  };
  int64_t base_offset_;
  size_t max_entries_;
  std::vector<Entry> entries_;
};

struct TimestampOffset {
  int64_t timestamp;
  int64_t offset;
};

class TimeIndex {
 public:
  TimeIndex(int64_t base_offset, size_t max_entries)
      : base_offset_(base_offset), max_entries_(max_entries) {}

  // Adds an entry if `timestamp` is larger than the last entry's.
  void MaybeAppend(int64_t timestamp, int64_t offset);
  // The last entry whose timestamp is < target (all batches up to and
  // including its offset have smaller max timestamps), or nullopt.
  std::optional<TimestampOffset> LastBefore(int64_t target) const;
  // Drops entries whose offset >= `offset`.
  void TruncateToOffset(int64_t offset);
  void Clear() { entries_.clear(); }

  bool full() const { return entries_.size() >= max_entries_; }
  size_t size() const { return entries_.size(); }
  std::optional<TimestampOffset> last() const;

  std::string Encode() const;
  // DataLoss if the size is not a multiple of 12, timestamps or offsets are
  // not strictly increasing, or an offset is at/after `next_offset`.
  static absl::StatusOr<TimeIndex> Decode(std::string_view bytes, int64_t base_offset,
                                          size_t max_entries, int64_t next_offset);

 private:
  struct Entry {
    int64_t timestamp;
    uint32_t relative_offset;
  };
  int64_t base_offset_;
  size_t max_entries_;
  std::vector<Entry> entries_;
};

}  // namespace keel::storage
