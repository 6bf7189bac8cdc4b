// A partition log: an ordered set of segments in one directory, with offset
// assignment, reads as file slices, durability tracking (high watermark),
// retention and crash recovery.
//
// Offsets: log_start_offset() <= high_watermark() <= log_end_offset().
// The high watermark (HW) has Kafka's meaning: consumers may read offsets
// < HW. With fsync-before-ack (flush.ms = -1, the default) the HW is the
// offset after the last fsynced batch; with flush.ms >= 0 it advances right
// after the write and data is fsynced at most flush.ms later.
//
// Errors: OutOfRange for offsets outside the log; InvalidArgument for
// malformed appended bytes; ResourceExhausted for a batch larger than
// max.message.bytes or when the disk is full (ENOSPC: the partial write is
// truncated away, the log stays online and readable, and appends succeed
// again once space returns); Unavailable once the log is offline or closed.
// A log goes offline on any other write or fsync error (EIO): every pending
// and later WaitDurable and Append fails with Unavailable, Read fails with
// Unavailable too, and it never again claims durability for unsynced data
// (fsync is not retried: after EIO the kernel may have dropped the pages).
// Only reopening the log (recovery from what is really on disk) clears it.
//
// Thread-safety: all methods are thread-safe. One mutex per Log serializes
// appends and metadata changes; Read() holds it only to snapshot segments and
// then reads file bytes without it, so reads run concurrently with appends.
// fsyncs run on the Flusher thread without the mutex (group commit).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "keel/common/types.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log_config.h"
#include "keel/storage/producer_state.h"
#include "keel/storage/segment.h"
#include "keel/storage/segment_index.h"
#include "spdlog/logger.h"

namespace keel::storage {

class Flusher;
class OffsetMap;
class AbortedTxnIndex;
class TxnRetention;
struct CompactionRules;

struct LogOptions {
  std::string dir;                      // the partition directory (created if missing)
  TopicPartition topic_partition;       // for logs and the HW callback
  LogConfig config;
  FileSystem* fs = nullptr;             // not owned; must outlive the Log
  std::function<int64_t()> clock_ms;    // wall clock in ms (LogAppendTime, retention, rolls)
  // Group-commit flusher; may be null (then only Flush() makes data durable).
  std::shared_ptr<Flusher> flusher;
  // Called whenever the HW advances (flusher thread, or the appending thread
  // for flush.ms logs). Must be cheap and must not call back into this Log
  // under any lock of the caller's that Append also takes.
  std::function<void(const TopicPartition&, Offset)> on_high_watermark;
  // Called once, without any lock of this Log held, when the log goes
  // offline after an I/O error (not on Close/MarkDeleted/TakeOffline),
  // before the failed waiters run. The PartitionManager uses it to take the
  // whole log dir offline.
  std::function<void(const TopicPartition&, const absl::Status&)> on_offline;
  std::shared_ptr<spdlog::logger> logger;  // defaults to StorageLogger()
};

struct AppendResult {
  Offset base_offset;
  Offset last_offset;
  int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
  // The batch was a retry of one of its producer's last five batches: nothing
  // was written and the offsets are the original batch's.
  bool duplicate = false;
};

// A byte range of a segment file holding whole batches. The handle keeps the
// file readable even if retention deletes the segment meanwhile.
struct FileSlice {
  std::shared_ptr<FileHandle> file;
  uint64_t position = 0;
  uint32_t size = 0;
};

// Whether Log::Read may return a first batch larger than its byte limit
// (Kafka's minOneMessage): a fetch lets only the first partition that has
// data exceed the limits, so that one oversized batch still makes progress;
// every later partition gets only batches that fit (KIP-74).
enum class FirstBatch { kMayExceed, kMustFit };

struct ReadResult {
  Offset first_offset{-1};     // base offset of the first batch, -1 if none
  Offset next_offset{-1};      // offset after the last returned batch
  std::vector<FileSlice> slices;
  uint64_t total_bytes = 0;
  Offset high_watermark{-1};   // as of the read
  Offset log_start_offset{-1};
  Offset log_end_offset{-1};
};

struct CompactionOptions {
  // Bound on the key map of one round (log.cleaner.dedupe.buffer.size); a
  // round that fills it cleans up to the segment where it filled.
  size_t dedupe_buffer_bytes = size_t{128} << 20;
  size_t read_chunk_bytes = size_t{4} << 20;
  // Polled between batches; true stops the round early (shutdown).
  std::function<bool()> cancelled;
};

struct CompactionStats {
  bool ran = false;               // false: nothing was cleanable
  int64_t first_dirty_offset = 0;
  int64_t clean_end_offset = 0;   // the new clean offset
  int segments_in = 0;            // segments read
  int segments_swapped = 0;       // segment groups replaced
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  int64_t records_removed = 0;
  int64_t batches_removed = 0;
};

// What the cleaner needs to choose which log to clean next.
struct CompactionCandidate {
  bool compacted = false;         // cleanup.policy contains compact
  uint64_t clean_bytes = 0;       // cleanable segments already compacted
  uint64_t dirty_bytes = 0;       // cleanable segments not yet compacted
  bool tombstones_due = false;    // a kept tombstone's delete.retention.ms passed
  bool max_lag_exceeded = false;  // dirty data older than max.compaction.lag.ms
  double min_dirty_ratio = 0.5;   // the topic's min.cleanable.dirty.ratio

  double dirty_ratio() const {
    uint64_t total = clean_bytes + dirty_bytes;
    return total == 0 ? 0.0 : double(dirty_bytes) / double(total);
  }
  bool due() const {
    return compacted && (tombstones_due || (dirty_bytes > 0 && (max_lag_exceeded ||
                                                                dirty_ratio() >= min_dirty_ratio)));
  }
};

// Concatenates the bytes of `slices` (tests, small fetches).
absl::StatusOr<std::vector<uint8_t>> ReadBytes(const std::vector<FileSlice>& slices);

// Reads `slices` back to back into `out`, which must hold exactly their total
// size. DataLoss on a short read.
absl::Status ReadInto(const std::vector<FileSlice>& slices, std::span<uint8_t> out);

class Log : public std::enable_shared_from_this<Log> {
 public:
  // Opens (recovering if needed) or creates the log in options.dir, and
  // fsyncs the parent directory so the log's directory entry is durable.
  // Recovery (completing compaction swaps, removing leftovers, rescanning
  // from the recovery point without a clean-shutdown marker, truncating at
  // the first torn batch) follows docs/storage-format.md, "Recovery (open)".
  static absl::StatusOr<std::shared_ptr<Log>> Open(LogOptions options);
  ~Log();  // closes files; does NOT write a clean-shutdown marker (use Close()).

  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Idempotent producers (batches with a producer id, producer_state.h): such
  // a batch must be the only one in the span (InvalidArgument otherwise); a
  // retry of a recent batch returns its original offsets with `duplicate`
  // set and writes nothing; sequence or epoch violations return
  // FailedPrecondition carrying a ProducerCheck (ProducerCheckOf).
  //
  // Appends one or more complete RecordBatch v2 batches, assigning offsets in
  // place (baseOffset, partitionLeaderEpoch; maxTimestamp + CRC when the
  // topic uses LogAppendTime). The caller has validated the batches; this
  // re-checks cheaply (magic 2, lengths tile the span exactly) and re-checks
  // CRCs only if config.verify_crc_on_append. One pwrite for the whole span
  // unless a roll is needed first.
  absl::StatusOr<AppendResult> Append(std::span<uint8_t> batches, int32_t leader_epoch = 0);

  // Runs `done(OkStatus)` once HW > last_offset, or `done(error)` if the log
  // went offline or was truncated below last_offset first. Runs inline (on
  // the caller's thread) if that is already decided, otherwise on the flusher
  // thread (or whoever calls Flush()): `done` must be quick, e.g. re-post.
  void WaitDurable(Offset last_offset, absl::AnyInvocable<void(absl::Status)> done);

  // Whole batches starting with the one containing `start`, up to `max_bytes`
  // in total, including only batches whose last offset < `upper_bound`
  // (usually the HW). With FirstBatch::kMayExceed the first batch is
  // returned even when it alone is larger than `max_bytes` (KIP-74); with
  // kMustFit it is not, and the result is empty. Never a partial batch.
  // OutOfRange if start < log start or start > log end. Empty if nothing is
  // readable yet.
  absl::StatusOr<ReadResult> Read(Offset start, size_t max_bytes, Offset upper_bound,
                                  FirstBatch first = FirstBatch::kMayExceed) const;

  // First offset whose batch max timestamp >= ts, among batches below the HW
  // (batch granularity: the batch's base offset). NotFound if none.
  absl::StatusOr<Offset> OffsetForTimestamp(int64_t ts) const;
  absl::StatusOr<TimestampOffset> FindOffsetByTimestamp(int64_t ts) const;
  // The largest batch max timestamp below the HW and the base offset of the
  // first batch holding it (ListOffsets MAX_TIMESTAMP). NotFound if empty.
  absl::StatusOr<TimestampOffset> MaxTimestampOffset() const;

  // Advances the log start offset to `offset` (Kafka DeleteRecords; -1 means
  // the HW) and deletes segments wholly below it. OutOfRange if offset > HW.
  // Returns the new log start offset.
  absl::StatusOr<Offset> DeleteRecordsBefore(Offset offset);
  // Removes every batch with last offset >= `end` (the batch containing `end`
  // too). InvalidArgument if end < log start. Pending waiters above the new
  // end fail with Aborted.
  absl::Status Truncate(Offset end);
  // Deletes whole closed segments expired by retention.ms / retention.bytes
  // (only below the HW) and refreshes the checkpoint. Returns how many.
  absl::StatusOr<int> ApplyRetention(int64_t now_ms);

  // Synchronously fsyncs everything appended so far and advances the HW.
  absl::Status Flush();
  // Forces a segment roll (tests, admin).
  absl::Status Roll();
  // Log compaction (cleanup.policy=compact; record rules in compactor.h).
  // One round: build the key map over the dirty cleanable segments, rewrite
  // the cleanable segments in groups and swap each group in crash-safely,
  // then persist the clean offset in `cleaner_checkpoint`; which segments
  // are cleanable, the swap protocol and what recovery does with its
  // leftovers are in docs/storage-format.md, "Compaction". Offsets never
  // change. Runs concurrently with appends and reads; a segment removed
  // meanwhile (by retention, delete-records, truncation) aborts the round
  // (Aborted).
  absl::StatusOr<CompactionStats> Compact(const CompactionOptions& options);
  // Cheap summary for the cleaner's scheduling.
  CompactionCandidate CompactionState(int64_t now_ms) const;
  // Offsets below this have been compacted.
  Offset clean_offset() const;

  // Drops idempotent-producer state idle for longer than `expiration_ms`
  // (producer.id.expiration.ms). Returns how many producers were dropped.
  size_t ExpireProducers(int64_t now_ms, int64_t expiration_ms);
  // The last stable offset: min(high watermark, first offset of the oldest
  // open transaction). read_committed consumers read below it.
  Offset last_stable_offset() const;
  // Aborted transactions overlapping [from, to) (Fetch read_committed).
  std::vector<AbortedTxn> AbortedTransactions(Offset from, Offset to) const;
  // A copy of the producer state (DescribeProducers, tests).
  std::map<int64_t, ProducerEntry> ProducerStates() const;

  // Flushes, seals the active segment, writes the checkpoint and the
  // clean-shutdown marker. Afterwards appends fail with Unavailable.
  absl::Status Close();
  // Marks the log deleted: appends fail, waiters fail. Files are untouched
  // (the PartitionManager removes the directory).
  void MarkDeleted();
  // Takes the log offline as if it had hit an I/O error itself (its log dir
  // failed): appends, reads and waiters fail with Unavailable. No on_offline
  // callback. A no-op if already offline.
  void TakeOffline(const absl::Status& why);

  // Applies a new config (segment/retention/flush settings) from now on.
  void UpdateConfig(const LogConfig& config);

  Offset log_start_offset() const;
  Offset log_end_offset() const;
  Offset high_watermark() const;
  uint64_t size_bytes() const;
  size_t segment_count() const;
  bool offline() const;
  LogConfig config() const;
  const TopicPartition& topic_partition() const { return options_.topic_partition; }
  const std::string& dir() const { return options_.dir; }

  // What opening this log found: whether it had been shut down cleanly (no
  // recovery scan) and how many bytes recovery truncated. Set once by Open().
  struct RecoveryInfo {
    bool clean_shutdown = true;
    uint64_t bytes_truncated = 0;
  };
  RecoveryInfo recovery_info() const { return recovery_info_; }

  // Flusher interface: fsyncs the unsynced segments once (outside the log
  // mutex), advances the HW and completes waiters. Serialized per log.
  // `batches_synced` (optional) receives the number of batches appended since
  // the previous round, i.e. covered by this round's fsync.
  absl::Status FlushRound(uint64_t* batches_synced = nullptr);

 private:
  explicit Log(LogOptions options);
  absl::Status Recover();
  absl::Status RollLocked(int64_t now_ms);
  bool ShouldRollLocked(size_t incoming_bytes, int64_t last_offset, int64_t now_ms) const;
  // Writes {synced offset, log start} (read under the lock) atomically.
  absl::Status WriteCheckpoint();
  void NotifyFlusherLocked();
  void AdvanceHighWatermarkLocked(int64_t hw, std::vector<absl::AnyInvocable<void(absl::Status)>>* ready);
  void GoOfflineLocked(const absl::Status& why,
                       std::vector<absl::AnyInvocable<void(absl::Status)>>* failed);
  // Runs options_.on_offline if GoOfflineLocked armed it. Call unlocked.
  void DeliverOfflineNotice();
  // Runs `io` (metadata writes, fsyncs and unlinks in the log's directory,
  // made without the log mutex) counted in side_io_in_flight_. An I/O error
  // other than ENOSPC (e.g. EIO on a directory fsync, which may have lost a
  // segment file's entry) takes the log offline, recorded in the same hold
  // of mu_ that ends the count; returns io's status. Never called with mu_
  // held.
  absl::Status SideIo(absl::FunctionRef<absl::Status()> io);
  absl::Status DeleteSegments(std::vector<std::shared_ptr<Segment>> doomed);
  SegmentOptions SegmentOptionsLocked() const;
  absl::StatusOr<TimestampOffset> FindOffsetByTimestampImpl(int64_t ts) const;
  // Producer state: replays the batch headers from `from_offset` to the log
  // end into producers_ (recovery, truncation).
  absl::Status ReplayProducerStateLocked(int64_t from_offset);
  // Loads the snapshot if usable and replays the rest; else rebuilds from
  // the log start.
  absl::Status RecoverProducerStateLocked();
  // Forgets aborted transactions (from an older snapshot) whose ABORT marker
  // is no longer in the log: compaction removed it after its data, and a
  // stale entry would make read_committed readers skip the producer's later
  // batches (they stop skipping only at the marker).
  absl::Status DropVanishedAbortsLocked();
  // Writes `snapshot` (EncodeSnapshot output) as the producer_state file.
  absl::Status WriteProducerSnapshot(const std::string& snapshot);
  struct CleanableSegment {
    std::shared_ptr<Segment> segment;
    int64_t next_base;  // base offset of the segment after it (group ends)
  };
  // Closed segments below the HW and older than min.compaction.lag.ms.
  std::vector<CleanableSegment> CleanableSegmentsLocked(int64_t now_ms) const;
  absl::Status CompactGroup(const std::vector<CleanableSegment>& group, const OffsetMap& map,
                            const CompactionRules& rules,
                            const std::map<int64_t, int64_t>& last_batch_of_producer,
                            const AbortedTxnIndex& aborted, TxnRetention& txns,
                            const CompactionOptions& options, CompactionStats* stats,
                            int64_t* next_tombstone_expiry);
  // Completes a committed swap: removes the files of the segments with base
  // offsets `old_bases` (all in [range.base, range.end)), renames the swap
  // file to <range.base>.log and fsyncs the directory. Idempotent.
  static absl::Status CompleteSwap(FileSystem& fs, const std::string& dir, int64_t base,
                                   int64_t end, const std::vector<int64_t>& old_bases);

  LogOptions options_;
  std::shared_ptr<spdlog::logger> logger_;

  std::mutex compact_mu_;     // one compaction round at a time
  std::mutex flush_mu_;       // serializes FlushRound/Close/Truncate durability work
  std::mutex checkpoint_mu_;  // serializes checkpoint writes
  mutable std::mutex mu_;     // guards everything below
  LogConfig config_;
  std::map<int64_t, std::shared_ptr<Segment>> segments_;  // by base offset
  int64_t log_start_offset_ = 0;
  int64_t log_end_offset_ = 0;
  int64_t high_watermark_ = 0;
  int64_t synced_offset_ = 0;          // every offset below is fsynced
  int64_t checkpointed_recovery_point_ = 0;
  ProducerStateTable producers_;
  std::string pending_producer_snapshot_;  // encoded at a roll, written after unlocking
  std::mutex snapshot_mu_;                 // serializes producer snapshot writes
  int64_t clean_offset_ = 0;            // compaction: offsets below are clean
  int64_t next_tombstone_expiry_ms_ = -1;  // -1: no kept tombstone
  std::vector<std::shared_ptr<Segment>> unsynced_;  // rolled, not yet fsynced
  bool active_dirty_ = false;          // active segment has unsynced bytes
  uint64_t unsynced_batches_ = 0;      // batches appended since the last FlushRound
  RecoveryInfo recovery_info_;         // written by Recover() before Open returns
  bool dir_dirty_ = false;             // a segment file was created
  bool flush_requested_ = false;       // registered with the flusher
  // A FlushRound is between taking its segments and recording the result.
  // A roll waits for it (flush_done_), so the roll's own fsync of the old
  // segment never races the round's: Linux reports a writeback error to one
  // of two racing fsyncs only, and the roll could then go on after a loss.
  bool flush_in_flight_ = false;
  std::condition_variable flush_done_;
  // fsyncs in the log's directory outside mu_ (checkpoints, producer
  // snapshots, segment deletion) that have not yet reported (see SideIo). A
  // flush round records its result only when there are none: one of them
  // may have failed in the kernel, and Linux tells only that fsync.
  int side_io_in_flight_ = 0;
  std::condition_variable side_io_done_;
  absl::Status offline_status_;        // non-OK once offline/closed/deleted
  bool io_failed_ = false;             // offline because of an I/O error: reads fail too
  absl::Status offline_notice_;        // non-OK: on_offline not yet delivered
  bool closing_ = false;               // Close() started
  std::vector<std::pair<int64_t, absl::AnyInvocable<void(absl::Status)>>> waiters_;
};

}  // namespace keel::storage
