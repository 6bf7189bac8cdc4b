// A segment: data file plus sparse indexes (see segment.h).
#include "keel/storage/segment.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "keel/common/status_macros.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/format.h"

namespace keel::storage {
namespace {

absl::Status UnlinkIfPresent(FileSystem& fs, const std::string& path) {
  absl::Status s = fs.Unlink(path);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return s;
}

}  // namespace

Segment::Segment(const SegmentOptions& options, int64_t base_offset,
                 std::shared_ptr<FileHandle> file, uint64_t file_size, int64_t now_ms)
    : options_(options),
      base_offset_(base_offset),
      file_(std::move(file)),
      file_size_(file_size),
      next_offset_(base_offset),
      roll_base_ms_(now_ms),
      offset_index_(base_offset, size_t(options.index_max_bytes) / kOffsetIndexEntrySize),
      time_index_(base_offset, size_t(options.index_max_bytes) / kTimeIndexEntrySize) {}

absl::StatusOr<std::unique_ptr<Segment>> Segment::Create(const SegmentOptions& options,
                                                         int64_t base_offset, int64_t now_ms) {
  std::string path = JoinPath(options.dir, SegmentFileName(base_offset, kLogSuffix));
  KEEL_ASSIGN_OR_RETURN(auto file, options.fs->Open(path, OpenMode::kCreateExclusive));
  // Stale index files of an earlier segment with this base (after a
  // truncation) must not be mistaken for this one's.
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(
      *options.fs, JoinPath(options.dir, SegmentFileName(base_offset, kIndexSuffix))));
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(
      *options.fs, JoinPath(options.dir, SegmentFileName(base_offset, kTimeIndexSuffix))));
  auto seg = std::unique_ptr<Segment>(new Segment(options, base_offset, std::move(file), 0, now_ms));
  if (absl::Status s = seg->Preallocate(); !s.ok()) {
    // Disk full: leave no empty file behind, so a later roll can create it.
    (void)options.fs->Unlink(path);
    return s;
  }
  return seg;
}

absl::StatusOr<std::unique_ptr<Segment>> Segment::OpenExisting(const SegmentOptions& options,
                                                               int64_t base_offset,
                                                               int64_t now_ms) {
  std::string path = JoinPath(options.dir, SegmentFileName(base_offset, kLogSuffix));
  KEEL_ASSIGN_OR_RETURN(auto file, options.fs->Open(path, OpenMode::kReadWrite));
  KEEL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return std::unique_ptr<Segment>(new Segment(options, base_offset, std::move(file), size, now_ms));
}

std::unique_ptr<Segment> Segment::FromFile(const SegmentOptions& options, int64_t base_offset,
                                           std::shared_ptr<FileHandle> file, uint64_t size,
                                           int64_t now_ms) {
  return std::unique_ptr<Segment>(new Segment(options, base_offset, std::move(file), size, now_ms));
}

std::string Segment::path() const {
  return JoinPath(options_.dir, SegmentFileName(base_offset_, kLogSuffix));
}

std::string Segment::IndexPath(std::string_view suffix) const {
  return JoinPath(options_.dir, SegmentFileName(base_offset_, suffix));
}

bool Segment::index_full() const {
  std::lock_guard<std::mutex> lock(index_mu_);
  return offset_index_.full() || time_index_.full();
}

void Segment::ResetState() {
  std::lock_guard<std::mutex> lock(index_mu_);
  offset_index_.Clear();
  time_index_.Clear();
  size_ = 0;
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  bytes_since_index_entry_ = 0;
}

void Segment::IndexBatch(const BatchSummary& b, uint64_t position) {
  if (b.max_timestamp > max_timestamp_) {
    max_timestamp_ = b.max_timestamp;
    offset_of_max_timestamp_ = b.base_offset;
  }
  if (bytes_since_index_entry_ >= uint64_t(options_.index_interval_bytes)) {
    std::lock_guard<std::mutex> lock(index_mu_);
    if (!offset_index_.full()) {
      auto last = offset_index_.last();
      if (!last || (b.base_offset > last->offset && position > last->position)) {
        offset_index_.Append(b.base_offset, position);
      }
    }
    if (!time_index_.full() && max_timestamp_ >= 0) {
      time_index_.MaybeAppend(max_timestamp_, offset_of_max_timestamp_);
    }
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += b.size;
}

absl::Status Segment::Append(std::span<const uint8_t> bytes,
                             std::span<const BatchSummary> batches, int64_t now_ms) {
  KEEL_RETURN_IF_ERROR(file_->PWrite(size_, bytes));
  if (size_ == 0) roll_base_ms_ = now_ms;
  uint64_t pos = size_;
  for (const BatchSummary& b : batches) {
    IndexBatch(b, pos);
    pos += b.size;
  }
  size_ += bytes.size();
  if (file_size_ < size_) file_size_ = size_;
  if (!batches.empty()) next_offset_ = batches.back().last_offset + 1;
  return absl::OkStatus();
}

absl::Status Segment::DiscardUnappended() {
  KEEL_RETURN_IF_ERROR(file_->Truncate(size_));
  file_size_ = size_;
  // Made durable at once: were the truncation lost in a power cut while the
  // partial write survived, whole batches of the failed append could
  // reappear after later (acknowledged) ones.
  return file_->DataSync();
}

absl::Status Segment::Sync() { return file_->DataSync(); }

absl::Status Segment::TrimFile(uint64_t size) {
  if (file_size_ != size) {
    KEEL_RETURN_IF_ERROR(file_->Truncate(size));
    file_size_ = size;
  }
  return absl::OkStatus();
}

absl::Status Segment::Preallocate() {
  if (options_.preallocate_bytes > 0 && file_size_ < uint64_t(options_.preallocate_bytes)) {
    KEEL_RETURN_IF_ERROR(file_->Allocate(file_size_, uint64_t(options_.preallocate_bytes) - file_size_));
    file_size_ = uint64_t(options_.preallocate_bytes);
  }
  return absl::OkStatus();
}

absl::Status Segment::Seal() {
  KEEL_RETURN_IF_ERROR(TrimFile(size_));
  std::string offset_bytes, time_bytes;
  {
    std::lock_guard<std::mutex> lock(index_mu_);
    if (max_timestamp_ >= 0) time_index_.MaybeAppend(max_timestamp_, offset_of_max_timestamp_);
    offset_bytes = offset_index_.Encode();
    time_bytes = time_index_.Encode();
  }
  KEEL_RETURN_IF_ERROR(WriteFileAtomically(*options_.fs, options_.dir,
                                           SegmentFileName(base_offset_, kIndexSuffix),
                                           offset_bytes));
  return WriteFileAtomically(*options_.fs, options_.dir,
                             SegmentFileName(base_offset_, kTimeIndexSuffix), time_bytes);
}

absl::Status Segment::Load() {
  auto offset_text = ReadFileToString(*options_.fs, IndexPath(kIndexSuffix));
  auto time_text = ReadFileToString(*options_.fs, IndexPath(kTimeIndexSuffix));
  auto rebuild = [&](absl::string_view why) -> absl::Status {
    options_.logger->info("segment {}: rebuilding indexes ({})", path(), std::string(why));
    auto r = Recover(base_offset_);
    return r.ok() ? absl::OkStatus() : r.status();
  };
  if (!offset_text.ok() || !time_text.ok()) return rebuild("index file missing or unreadable");
  auto offsets = OffsetIndex::Decode(*offset_text, base_offset_,
                                     size_t(options_.index_max_bytes) / kOffsetIndexEntrySize,
                                     file_size_);
  if (!offsets.ok()) return rebuild(offsets.status().message());

  ResetState();
  IndexPosition start = offsets->last().value_or(IndexPosition{base_offset_, 0});
  int64_t tail_max_ts = -1, tail_max_offset = -1;
  uint64_t tail_bytes = 0;
  ScanOptions scan;
  scan.min_base_offset = start.offset;
  scan.chunk_bytes = 64 * 1024;
  KEEL_ASSIGN_OR_RETURN(ScanResult tail,
                        ScanBatches(*file_, start.position, file_size_, scan,
                                    [&](const BatchHeader& h, uint64_t) {
                                      if (h.max_timestamp > tail_max_ts) {
                                        tail_max_ts = h.max_timestamp;
                                        tail_max_offset = h.base_offset;
                                      }
                                      tail_bytes += h.total_size();
                                      return true;
                                    }));
  if (!tail.stop_reason.ok() || tail.valid_end != file_size_ ||
      (file_size_ > 0 && tail.batches == 0)) {
    return rebuild(tail.stop_reason.ok() ? "index does not match data" : tail.stop_reason.message());
  }
  int64_t next = tail.batches > 0 ? tail.next_offset : base_offset_;
  auto times = TimeIndex::Decode(*time_text, base_offset_,
                                 size_t(options_.index_max_bytes) / kTimeIndexEntrySize, next);
  if (!times.ok()) return rebuild(times.status().message());

  {
    std::lock_guard<std::mutex> lock(index_mu_);
    offset_index_ = std::move(*offsets);
    time_index_ = std::move(*times);
    if (auto last = time_index_.last()) {
      max_timestamp_ = last->timestamp;
      offset_of_max_timestamp_ = last->offset;
    }
  }
  if (tail_max_ts > max_timestamp_) {
    max_timestamp_ = tail_max_ts;
    offset_of_max_timestamp_ = tail_max_offset;
  }
  size_ = file_size_;
  next_offset_ = next;
  bytes_since_index_entry_ = tail_bytes;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Segment::Recover(int64_t verify_crc_from_offset) {
  ResetState();
  ScanOptions scan;
  scan.verify_crc_from_offset = verify_crc_from_offset;
  scan.min_base_offset = base_offset_;
  KEEL_ASSIGN_OR_RETURN(
      ScanResult r, ScanBatches(*file_, 0, file_size_, scan, [&](const BatchHeader& h, uint64_t pos) {
        IndexBatch({h.base_offset, h.last_offset(), h.max_timestamp, uint32_t(h.total_size())}, pos);
        return true;
      }));
  size_ = r.valid_end;
  next_offset_ = r.batches > 0 ? r.next_offset : base_offset_;
  uint64_t dropped = file_size_ - r.valid_end;
  if (dropped > 0) {
    if (r.zero_tail) {
      options_.logger->info("segment {}: trimming {} bytes of zero-filled tail after offset {}",
                            path(), dropped, next_offset_);
    } else {
      options_.logger->warn("segment {}: truncating {} bytes after offset {} at position {}: {}",
                            path(), dropped, next_offset_, r.valid_end,
                            std::string(r.stop_reason.message()));
    }
    KEEL_RETURN_IF_ERROR(TrimFile(r.valid_end));
  }
  return dropped;
}

IndexPosition Segment::LookupPosition(int64_t offset) const {
  std::lock_guard<std::mutex> lock(index_mu_);
  return offset_index_.Lookup(offset);
}

std::optional<TimestampOffset> Segment::TimeLookupBefore(int64_t timestamp) const {
  std::lock_guard<std::mutex> lock(index_mu_);
  return time_index_.LastBefore(timestamp);
}

absl::Status Segment::TruncateTo(int64_t offset) {
  if (offset >= next_offset_) return absl::OkStatus();
  uint64_t cut = 0;
  if (offset > base_offset_) {
    IndexPosition from = LookupPosition(offset);
    cut = size_;
    ScanOptions scan;
    scan.chunk_bytes = 64 * 1024;
    KEEL_ASSIGN_OR_RETURN(ScanResult r, ScanBatches(*file_, from.position, size_, scan,
                                                    [&](const BatchHeader& h, uint64_t pos) {
                                                      if (h.last_offset() >= offset) {
                                                        cut = pos;
                                                        return false;
                                                      }
                                                      return true;
                                                    }));
    (void)r;
  }
  KEEL_RETURN_IF_ERROR(TrimFile(cut));
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(*options_.fs, IndexPath(kIndexSuffix)));
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(*options_.fs, IndexPath(kTimeIndexSuffix)));
  auto r = Recover(std::numeric_limits<int64_t>::max());
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status Segment::DeleteFiles() {
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(*options_.fs, path()));
  KEEL_RETURN_IF_ERROR(UnlinkIfPresent(*options_.fs, IndexPath(kIndexSuffix)));
  return UnlinkIfPresent(*options_.fs, IndexPath(kTimeIndexSuffix));
}

}  // namespace keel::storage
