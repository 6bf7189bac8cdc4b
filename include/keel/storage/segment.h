// One segment of a partition log: a data file `<base>.log` of contiguous
// RecordBatch v2 batches plus its in-memory sparse offset and time indexes,
// which are persisted to `<base>.index` / `<base>.timeindex` when the segment
// is sealed (rolled or closed) and rebuilt from the data if missing or corrupt.
//
// The file may be preallocated beyond the data; size() is the logical end.
// Seal() trims the preallocation.
//
// Thread-safety: mutations (Append, Recover, Load, Seal, TruncateTo) and the
// mutable accessors (size, next_offset, max timestamps) are serialized by the
// owning Log's mutex. LookupPosition/TimeLookup and file() may be called from
// any thread concurrently with Append (the indexes have their own mutex);
// bytes below a size() observed under the Log's mutex never change except by
// TruncateTo.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "keel/storage/file_system.h"
#include "keel/storage/segment_index.h"
#include "spdlog/logger.h"

namespace keel::storage {

struct SegmentOptions {
  FileSystem* fs = nullptr;   // not owned; must outlive the segment
  std::string dir;            // partition directory
  int64_t index_interval_bytes = 4096;
  int64_t index_max_bytes = 10 * 1024 * 1024;  // caps both indexes
  int64_t preallocate_bytes = 0;
  std::shared_ptr<spdlog::logger> logger;
};

// What Log tells a segment about each batch it appends.
struct BatchSummary {
  int64_t base_offset;
  int64_t last_offset;
  int64_t max_timestamp;
  uint32_t size;
};

class Segment {
 public:
  // Creates a new empty segment file (AlreadyExists if present), preallocated
  // if configured.
  static absl::StatusOr<std::unique_ptr<Segment>> Create(const SegmentOptions& options,
                                                         int64_t base_offset, int64_t now_ms);
  // Opens an existing `<base>.log`. The segment knows nothing about its
  // contents until Load() or Recover() runs.
  static absl::StatusOr<std::unique_ptr<Segment>> OpenExisting(const SegmentOptions& options,
                                                               int64_t base_offset,
                                                               int64_t now_ms);

  // Wraps a file already written under another name (a cleaned segment about
  // to be swapped in) as the segment with `base_offset`. path() and the index
  // files use the final `<base>.log` names. Call Recover() next.
  static std::unique_ptr<Segment> FromFile(const SegmentOptions& options, int64_t base_offset,
                                           std::shared_ptr<FileHandle> file, uint64_t size,
                                           int64_t now_ms);

  // Fast load of a sealed segment: index files plus a short scan of the tail
  // after the last index entry. Falls back to Recover() (full scan) if an
  // index file is missing or implausible.
  absl::Status Load();
  // Full scan from the start: batches at or after `verify_crc_from_offset`
  // are fully validated; the file is truncated at the first torn or invalid
  // batch; indexes are rebuilt. Returns the number of bytes dropped
  // (excluding a zero-filled preallocated tail, which is trimmed silently).
  absl::StatusOr<uint64_t> Recover(int64_t verify_crc_from_offset);

  // Appends batches at size(). `bytes` holds exactly the summarized batches.
  absl::Status Append(std::span<const uint8_t> bytes, std::span<const BatchSummary> batches,
                      int64_t now_ms);
  // After a failed Append (ENOSPC): truncates the file back to size() and
  // fdatasyncs, so a partially written batch is gone for good (also after a
  // power cut) and its space freed. The preallocated reserve, if any, is
  // given up too.
  absl::Status DiscardUnappended();
  // fdatasync of the data file.
  absl::Status Sync();
  // Trims preallocated space and writes both index files atomically.
  absl::Status Seal();
  // Reserves preallocated space again after recovery or truncation.
  absl::Status Preallocate();
  // Removes every batch whose last offset >= `offset` (whole batches: the
  // batch containing `offset` goes too). Deletes stale index files.
  absl::Status TruncateTo(int64_t offset);
  // Unlinks the data and index files (open handles stay readable).
  absl::Status DeleteFiles();

  // Index lookups, safe concurrently with Append.
  IndexPosition LookupPosition(int64_t offset) const;
  std::optional<TimestampOffset> TimeLookupBefore(int64_t timestamp) const;

  int64_t base_offset() const { return base_offset_; }
  uint64_t size() const { return size_; }
  // Offset after the last batch; base_offset() if empty.
  int64_t next_offset() const { return next_offset_; }
  bool empty() const { return size_ == 0; }
  // Largest batch max timestamp (-1 if empty) and the base offset of the
  // first batch that reached it.
  int64_t max_timestamp() const { return max_timestamp_; }
  int64_t offset_of_max_timestamp() const { return offset_of_max_timestamp_; }
  // Wall-clock ms when this process created/opened the segment or appended
  // its first batch; segment.ms rolls are measured from it.
  int64_t roll_base_ms() const { return roll_base_ms_; }
  bool index_full() const;
  const std::shared_ptr<FileHandle>& file() const { return file_; }
  std::string path() const;

 private:
  Segment(const SegmentOptions& options, int64_t base_offset, std::shared_ptr<FileHandle> file,
          uint64_t file_size, int64_t now_ms);
  void IndexBatch(const BatchSummary& b, uint64_t position);
  void ResetState();
  absl::Status TrimFile(uint64_t size);
  std::string IndexPath(std::string_view suffix) const;

  SegmentOptions options_;
  const int64_t base_offset_;
  std::shared_ptr<FileHandle> file_;
  uint64_t file_size_;  // physical size, >= size_
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t offset_of_max_timestamp_ = -1;
  int64_t roll_base_ms_;
  uint64_t bytes_since_index_entry_ = 0;

  mutable std::mutex index_mu_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
};

}  // namespace keel::storage
