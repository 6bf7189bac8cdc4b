// Log::Compact and its crash-safe segment swap (see log.h and compactor.h).
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "keel/common/status_macros.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/compactor.h"
#include "keel/storage/format.h"
#include "keel/storage/log.h"

namespace keel::storage {
namespace {

constexpr int64_t kNoExpiry = std::numeric_limits<int64_t>::max();

absl::Status UnlinkIfPresent(FileSystem& fs, const std::string& path) {
  absl::Status s = fs.Unlink(path);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

// Buffered sequential writer of the .cleaned file.
class CleanedWriter {
 public:
  explicit CleanedWriter(std::shared_ptr<FileHandle> file) : file_(std::move(file)) {}

  absl::Status Write(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    return buf_.size() >= kFlushBytes ? Drain() : absl::OkStatus();
  }
  absl::Status Finish() {
    KEEL_RETURN_IF_ERROR(Drain());
    return file_->DataSync();
  }
  uint64_t size() const { return written_ + buf_.size(); }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  absl::Status Drain() {
    if (buf_.empty()) return absl::OkStatus();
    KEEL_RETURN_IF_ERROR(file_->PWrite(written_, buf_));
    written_ += buf_.size();
    buf_.clear();
    return absl::OkStatus();
  }
  std::shared_ptr<FileHandle> file_;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
};

}  // namespace

std::vector<Log::CleanableSegment> Log::CleanableSegmentsLocked(int64_t now_ms) const {
  std::vector<CleanableSegment> out;
  const std::optional<int64_t> undecided = producers_.FirstUndecidedOffset();
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    auto next = std::next(it);
    if (next == segments_.end()) break;  // the active segment is never cleaned
    const auto& seg = it->second;
    if (seg->next_offset() > high_watermark_) break;
    // Only decided transactions: none open, every marker durable (compactor.h).
    if (undecided && seg->next_offset() > *undecided) break;
    if (config_.min_compaction_lag_ms > 0 &&
        seg->max_timestamp() > now_ms - config_.min_compaction_lag_ms) {
      break;
    }
    out.push_back({seg, next->first});
  }
  return out;
}

CompactionCandidate Log::CompactionState(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  CompactionCandidate c;
  c.compacted = config_.cleanup_compact && offline_status_.ok();
  c.min_dirty_ratio = config_.min_cleanable_dirty_ratio;
  if (!c.compacted) return c;
  const int64_t first_dirty = std::max(clean_offset_, log_start_offset_);
  for (const CleanableSegment& s : CleanableSegmentsLocked(now_ms)) {
    if (s.next_base <= first_dirty) {
      c.clean_bytes += s.segment->size();
    } else {
      c.dirty_bytes += s.segment->size();
      if (config_.max_compaction_lag_ms < std::numeric_limits<int64_t>::max() &&
          s.segment->max_timestamp() >= 0 &&
          now_ms - s.segment->max_timestamp() > config_.max_compaction_lag_ms) {
        c.max_lag_exceeded = true;
      }
    }
  }
  c.tombstones_due = next_tombstone_expiry_ms_ >= 0 && now_ms >= next_tombstone_expiry_ms_ &&
                     c.clean_bytes + c.dirty_bytes > 0;
  return c;
}

Offset Log::clean_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Offset(std::max(clean_offset_, log_start_offset_));
}

absl::Status Log::CompleteSwap(FileSystem& fs, const std::string& dir, int64_t base, int64_t end,
                               const std::vector<int64_t>& old_bases) {
  for (int64_t b : old_bases) {
    if (b < base || b >= end) {
      return absl::InternalError(absl::StrCat("segment ", b, " is outside swap [", base, ", ", end, ")"));
    }
    KEEL_RETURN_IF_ERROR(UnlinkIfPresent(fs, JoinPath(dir, SegmentFileName(b, kIndexSuffix))));
    KEEL_RETURN_IF_ERROR(UnlinkIfPresent(fs, JoinPath(dir, SegmentFileName(b, kTimeIndexSuffix))));
    if (b != base) KEEL_RETURN_IF_ERROR(UnlinkIfPresent(fs, JoinPath(dir, SegmentFileName(b, kLogSuffix))));
  }
  // The unlinks must be durable before the rename: a directory may persist
  // unsynced operations in any order, and a surviving rename with a lost
  // unlink would leave an old segment inside the new one's range (and no
  // swap file telling recovery to finish the job).
  KEEL_RETURN_IF_ERROR(fs.SyncDir(dir));
  KEEL_RETURN_IF_ERROR(fs.Rename(JoinPath(dir, SwapFileName(base, end)),
                                 JoinPath(dir, SegmentFileName(base, kLogSuffix))));
  return fs.SyncDir(dir);
}

absl::StatusOr<CompactionStats> Log::Compact(const CompactionOptions& options) {
  std::lock_guard<std::mutex> compact_lock(compact_mu_);
  CompactionStats stats;
  const int64_t now = options_.clock_ms();
  auto cancelled = [&] { return options.cancelled && options.cancelled(); };

  std::vector<CleanableSegment> segs;
  int64_t first_dirty;
  int64_t previous_expiry;
  int64_t segment_bytes;
  CompactionRules rules;
  // The newest batch of each idempotent producer, from the producer state:
  // it is kept (possibly empty) so its sequence range survives.
  std::map<int64_t, int64_t> last_batch_of_producer;
  AbortedTxnIndex aborted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return offline_status_;
    if (!config_.cleanup_compact) return stats;
    first_dirty = std::max(clean_offset_, log_start_offset_);
    previous_expiry = next_tombstone_expiry_ms_;
    segment_bytes = config_.segment_bytes;
    rules.now_ms = now;
    rules.delete_retention_ms = config_.delete_retention_ms;
    segs = CleanableSegmentsLocked(now);
    for (const auto& [pid, entry] : producers_.entries()) {
      if (!entry.batches.empty()) last_batch_of_producer[pid] = entry.batches.back().first_offset;
    }
    // Complete for every transaction with data in the cleanable segments:
    // they all ended below the HW (CleanableSegmentsLocked), and the index is
    // rebuilt from snapshot + replay on open and pruned only below the log
    // start.
    if (!segs.empty()) {
      aborted = AbortedTxnIndex(producers_.AbortedTransactions(log_start_offset_, segs.back().next_base));
    }
  }
  if (segs.empty()) return stats;

  // Pass 1: the key map over the dirty segments, bounded by the buffer size.
  OffsetMap map;
  size_t end_index = segs.size();
  bool any_dirty = false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& seg = *segs[i].segment;
    if (segs[i].next_base <= first_dirty) continue;
    any_dirty = true;
    KEEL_RETURN_IF_ERROR(ReadBatches(
        *seg.file(), 0, seg.size(), options.read_chunk_bytes,
        [&](const BatchHeader& h, std::span<const uint8_t> batch) -> absl::Status {
          if (cancelled()) return absl::CancelledError("compaction cancelled");
          if (h.last_offset() < first_dirty) return absl::OkStatus();
          if (h.is_transactional() && aborted.IsAborted(h.producer_id, h.base_offset)) {
            return absl::OkStatus();
          }
          return AddBatchToOffsetMap(batch, h, map);
        }));
    if (map.memory_bytes() >= options.dedupe_buffer_bytes) {
      end_index = i + 1;
      break;
    }
  }
  const bool tombstones_due = previous_expiry >= 0 && now >= previous_expiry;
  if (!any_dirty && !tombstones_due) return stats;
  segs.resize(end_index);
  stats.ran = true;
  stats.first_dirty_offset = first_dirty;
  stats.clean_end_offset = segs.back().next_base;

  // Pass 2: rewrite in groups of at most segment.bytes of input whose offset
  // span fits the 32-bit relative offsets of the index, oldest group first.
  int64_t next_expiry = kNoExpiry;
  TxnRetention txns;  // carried across groups: a marker's data may be in an earlier one
  size_t i = 0;
  while (i < segs.size()) {
    std::vector<CleanableSegment> group{segs[i]};
    uint64_t group_bytes = segs[i].segment->size();
    const int64_t group_base = segs[i].segment->base_offset();
    for (++i; i < segs.size(); ++i) {
      uint64_t size = segs[i].segment->size();
      if (int64_t(group_bytes + size) > segment_bytes) break;
      if (segs[i].segment->next_offset() - group_base > std::numeric_limits<int32_t>::max()) break;
      group.push_back(segs[i]);
      group_bytes += size;
    }
    if (cancelled()) return absl::CancelledError("compaction cancelled");
    KEEL_RETURN_IF_ERROR(CompactGroup(group, map, rules, last_batch_of_producer, aborted, txns, options,
                                      &stats, &next_expiry));
  }

  // The clean offset moves only after every group is in place.
  CleanerCheckpoint checkpoint;
  checkpoint.clean_offset = stats.clean_end_offset;
  checkpoint.next_tombstone_expiry_ms = next_expiry == kNoExpiry ? -1 : next_expiry;
  KEEL_RETURN_IF_ERROR(SideIo([&] {
    return WriteFileAtomically(*options_.fs, options_.dir, std::string(kCleanerCheckpointFile),
                               EncodeCleanerCheckpoint(checkpoint));
  }));
  {
    std::lock_guard<std::mutex> lock(mu_);
    clean_offset_ = std::max(clean_offset_, checkpoint.clean_offset);
    next_tombstone_expiry_ms_ = checkpoint.next_tombstone_expiry_ms;
  }
  logger_->info("{}: compacted offsets [{}, {}) dirty from {}: {} segments, {} -> {} bytes, {} records "
                "removed, {} groups swapped",
                options_.dir, segs.front().segment->base_offset(), stats.clean_end_offset,
                first_dirty, stats.segments_in, stats.bytes_in, stats.bytes_out,
                stats.records_removed, stats.segments_swapped);
  return stats;
}

absl::Status Log::CompactGroup(const std::vector<CleanableSegment>& group, const OffsetMap& map,
                               const CompactionRules& rules,
                               const std::map<int64_t, int64_t>& last_batch_of_producer,
                               const AbortedTxnIndex& aborted, TxnRetention& txns,
                               const CompactionOptions& options, CompactionStats* stats,
                               int64_t* next_tombstone_expiry) {
  FileSystem& fs = *options_.fs;
  const std::string& dir = options_.dir;
  const int64_t base = group.front().segment->base_offset();
  const int64_t end = group.back().next_base;
  const std::string cleaned_path = JoinPath(dir, SegmentFileName(base, kCleanedSuffix));
  auto cancelled = [&] { return options.cancelled && options.cancelled(); };

  KEEL_ASSIGN_OR_RETURN(auto file, fs.Open(cleaned_path, OpenMode::kCreateTruncate));
  CleanedWriter writer(file);
  bool modified = false;
  uint64_t bytes_in = 0;
  std::vector<std::pair<int64_t, int64_t>> removed_aborts;  // (producer id, marker offset)
  absl::Status written = [&]() -> absl::Status {
    for (const CleanableSegment& s : group) {
      bytes_in += s.segment->size();
      KEEL_RETURN_IF_ERROR(ReadBatches(
          *s.segment->file(), 0, s.segment->size(), options.read_chunk_bytes,
          [&](const BatchHeader& h, std::span<const uint8_t> batch) -> absl::Status {
            if (cancelled()) return absl::CancelledError("compaction cancelled");
            auto last = last_batch_of_producer.find(h.producer_id);
            BatchContext ctx;
            ctx.keep_empty = last != last_batch_of_producer.end() && last->second == h.base_offset;
            if (h.is_control()) {
              ctx.txn_empty = txns.OnMarker(h.producer_id);
            } else if (h.is_transactional()) {
              ctx.aborted = aborted.IsAborted(h.producer_id, h.base_offset);
            }
            KEEL_ASSIGN_OR_RETURN(FilteredBatch f, FilterBatch(batch, h, map, rules, ctx));
            if (h.is_transactional() && !h.is_control()) {
              txns.OnDataBatch(h.producer_id, f.outcome != FilteredBatch::Outcome::kRemoved);
            }
            if (h.is_control() && f.outcome == FilteredBatch::Outcome::kRemoved &&
                ParseControlType(batch) == ControlType::kAbort) {
              removed_aborts.emplace_back(h.producer_id, h.base_offset);
            }
            stats->records_removed += f.records_removed;
            *next_tombstone_expiry = std::min(*next_tombstone_expiry, f.next_tombstone_expiry_ms);
            switch (f.outcome) {
              case FilteredBatch::Outcome::kUnchanged:
                return writer.Write(batch);
              case FilteredBatch::Outcome::kRemoved:
                modified = true;
                stats->batches_removed++;
                return absl::OkStatus();
              case FilteredBatch::Outcome::kRewritten:
              case FilteredBatch::Outcome::kEmptied:
                modified = true;
                return writer.Write(f.bytes);
            }
            return absl::OkStatus();
          }));
    }
    return writer.Finish();
  }();
  stats->segments_in += int(group.size());
  stats->bytes_in += bytes_in;
  // A group of one segment left as it was needs no swap; several segments
  // are merged even if nothing was removed (fewer, fuller segments).
  if (written.ok() && !modified && group.size() == 1) {
    stats->bytes_out += bytes_in;
    return UnlinkIfPresent(fs, cleaned_path);
  }
  if (!written.ok()) {
    UnlinkIfPresent(fs, cleaned_path).IgnoreError();
    return written;
  }
  const uint64_t out_size = writer.size();

  // The new segment's in-memory indexes, built before taking the log lock.
  SegmentOptions seg_options;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seg_options = SegmentOptionsLocked();
  }
  seg_options.preallocate_bytes = 0;
  std::shared_ptr<Segment> fresh =
      Segment::FromFile(seg_options, base, file, out_size, options_.clock_ms());
  absl::StatusOr<uint64_t> scanned = fresh->Recover(std::numeric_limits<int64_t>::max());
  if (!scanned.ok() || *scanned != 0) {
    UnlinkIfPresent(fs, cleaned_path).IgnoreError();
    return scanned.ok() ? absl::InternalError(absl::StrCat(cleaned_path, ": rewritten segment does not scan"))
                        : scanned.status();
  }

  std::unique_lock<std::mutex> lock(mu_);
  bool intact = offline_status_.ok();
  for (const CleanableSegment& s : group) {
    auto it = segments_.find(s.segment->base_offset());
    intact = intact && it != segments_.end() && it->second == s.segment;
  }
  if (!intact) {
    UnlinkIfPresent(fs, cleaned_path).IgnoreError();
    return absl::AbortedError(absl::StrCat(dir, ": segments changed during compaction"));
  }
  // Commit point: once the swap file is durable, recovery completes the swap.
  absl::Status s = fs.Rename(cleaned_path, JoinPath(dir, SwapFileName(base, end)));
  if (s.ok()) s = fs.SyncDir(dir);
  std::vector<int64_t> old_bases;
  for (const CleanableSegment& g : group) old_bases.push_back(g.segment->base_offset());
  if (s.ok()) s = CompleteSwap(fs, dir, base, end, old_bases);
  if (s.ok()) s = fresh->Seal();
  if (!s.ok()) {
    // The directory is in an unknown state: stop claiming anything; the
    // next open recovers from whatever rename/unlink took effect.
    std::vector<absl::AnyInvocable<void(absl::Status)>> failed;
    GoOfflineLocked(s, &failed);
    lock.unlock();
    DeliverOfflineNotice();
    for (auto& f : failed) f(s);
    return s;
  }
  for (int64_t b : old_bases) segments_.erase(b);
  segments_[base] = fresh;
  // The removed ABORT markers' transactions have no data left either; a
  // fetch must no longer report them (the reader would skip the producer's
  // later batches until a marker that is gone).
  for (const auto& [pid, marker] : removed_aborts) producers_.ForgetAborted(pid, marker);
  stats->segments_swapped++;
  stats->bytes_out += out_size;
  return absl::OkStatus();
}

}  // namespace keel::storage
