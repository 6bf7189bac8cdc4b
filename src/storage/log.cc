// Partition log: append, read, durability, retention (see log.h). Recovery on
// open lives in log_recovery.cc.
#include "keel/storage/log.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/record_batch.h"
#include "keel/common/status_macros.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/flusher.h"
#include "keel/storage/format.h"
#include "keel/storage/logger.h"

namespace keel::storage {

using Callback = absl::AnyInvocable<void(absl::Status)>;

absl::Status ReadInto(const std::vector<FileSlice>& slices, std::span<uint8_t> out) {
  size_t at = 0;
  for (const FileSlice& s : slices) {
    if (out.size() - at < s.size) return absl::InvalidArgumentError("ReadInto: buffer too small");
    KEEL_ASSIGN_OR_RETURN(size_t n, s.file->PRead(s.position, out.subspan(at, s.size)));
    if (n != s.size) {
      return absl::DataLossError(absl::StrCat("short read of ", s.file->path(), " at ", s.position));
    }
    at += n;
  }
  if (at != out.size()) return absl::InvalidArgumentError("ReadInto: buffer larger than slices");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadBytes(const std::vector<FileSlice>& slices) {
  size_t total = 0;
  for (const FileSlice& s : slices) total += s.size;
  std::vector<uint8_t> out(total);
  KEEL_RETURN_IF_ERROR(ReadInto(slices, out));
  return out;
}

Log::Log(LogOptions options) : options_(std::move(options)) {
  logger_ = options_.logger ? options_.logger : StorageLogger();
  if (!options_.clock_ms) {
    options_.clock_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  config_ = options_.config;
}

Log::~Log() {
  std::vector<std::pair<int64_t, Callback>> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters.swap(waiters_);
  }
  for (auto& [offset, done] : waiters) done(absl::AbortedError("log destroyed"));
}

absl::StatusOr<std::shared_ptr<Log>> Log::Open(LogOptions options) {
  if (options.fs == nullptr) return absl::InvalidArgumentError("LogOptions.fs is required");
  KEEL_RETURN_IF_ERROR(options.fs->CreateDir(options.dir));
  // The directory's own entry must be durable before anything in it can be
  // acknowledged; a crash right after an earlier mkdir may have left it
  // unsynced, so this runs on every open, not only on creation.
  size_t slash = options.dir.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : options.dir.substr(0, slash);
  KEEL_RETURN_IF_ERROR(options.fs->SyncDir(parent));
  std::shared_ptr<Log> log(new Log(std::move(options)));
  KEEL_RETURN_IF_ERROR(log->Recover());
  return log;
}

SegmentOptions Log::SegmentOptionsLocked() const {
  SegmentOptions o;
  o.fs = options_.fs;
  o.dir = options_.dir;
  o.index_interval_bytes = config_.index_interval_bytes;
  o.index_max_bytes = config_.segment_index_bytes;
  o.preallocate_bytes = std::min(config_.preallocate_bytes, config_.segment_bytes);
  o.logger = logger_;
  return o;
}

bool Log::ShouldRollLocked(size_t incoming_bytes, int64_t last_offset, int64_t now_ms) const {
  const Segment& active = *segments_.rbegin()->second;
  if (active.empty()) return false;
  if (int64_t(active.size() + incoming_bytes) > config_.segment_bytes) return true;
  int64_t roll_after_ms = config_.segment_ms;
  if (config_.segment_jitter_ms > 0) {
    // segment.jitter.ms: as Kafka, a pseudo-random jitter in
    // [0, min(jitter, segment.ms)) per segment, so partitions created
    // together do not all roll at once. Derived from the directory and the
    // segment's base offset (stable across restarts, no state to keep).
    uint64_t h = std::hash<std::string>{}(options_.dir) ^
                 (uint64_t(active.base_offset()) * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    roll_after_ms -= int64_t(h % uint64_t(std::min(config_.segment_jitter_ms, config_.segment_ms)));
  }
  if (now_ms - active.roll_base_ms() >= roll_after_ms) return true;
  if (active.index_full()) return true;
  if (last_offset - active.base_offset() > std::numeric_limits<int32_t>::max()) return true;
  return false;
}

absl::Status Log::RollLocked(int64_t now_ms) {
  std::shared_ptr<Segment> old = segments_.rbegin()->second;
  if (old->empty()) return absl::OkStatus();
  KEEL_RETURN_IF_ERROR(old->Seal());
  // The old segment must be wholly durable before the next one can appear
  // on disk: a later directory fsync (index or checkpoint writes) may make
  // the new file's entry durable, and recovery would then find batches after
  // a hole where the old segment's unsynced tail was lost in a power cut.
  KEEL_RETURN_IF_ERROR(old->Sync());
  KEEL_ASSIGN_OR_RETURN(auto created, Segment::Create(SegmentOptionsLocked(), log_end_offset_, now_ms));
  segments_[log_end_offset_] = std::shared_ptr<Segment>(std::move(created));
  // The old segment was trimmed by Seal(), so it needs an fdatasync even if
  // its data was already synced.
  unsynced_.push_back(std::move(old));
  active_dirty_ = false;
  dir_dirty_ = true;
  // Written even when empty: it bounds the replay after a crash to the
  // segments after this roll.
  pending_producer_snapshot_ = producers_.EncodeSnapshot(log_end_offset_);
  logger_->info("{}: rolled to new segment at offset {}", options_.dir, log_end_offset_);
  return absl::OkStatus();
}

absl::Status Log::Roll() {
  std::vector<Callback> failed;
  absl::Status s;
  {
    std::unique_lock<std::mutex> lock(mu_);
    flush_done_.wait(lock, [this] { return !flush_in_flight_; });
    if (!offline_status_.ok()) return offline_status_;
    s = RollLocked(options_.clock_ms());
    if (!s.ok() && !absl::IsResourceExhausted(s)) GoOfflineLocked(s, &failed);
    NotifyFlusherLocked();
  }
  DeliverOfflineNotice();  // before waiters learn of the failure
  for (auto& f : failed) f(s);
  std::string snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot.swap(pending_producer_snapshot_);
  }
  if (s.ok() && !snapshot.empty()) s = WriteProducerSnapshot(snapshot);
  return s;
}

void Log::NotifyFlusherLocked() {
  if (flush_requested_ || !options_.flusher) return;
  if (!active_dirty_ && unsynced_.empty() && !dir_dirty_) return;
  flush_requested_ = true;
  if (config_.fsync_before_ack()) {
    options_.flusher->MarkDirty(weak_from_this());
  } else {
    options_.flusher->ScheduleFlush(
        weak_from_this(), std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.flush_ms));
  }
}

void Log::AdvanceHighWatermarkLocked(int64_t hw, std::vector<Callback>* ready) {
  if (hw <= high_watermark_) return;
  high_watermark_ = hw;
  producers_.MarkDurableBelow(hw);
  auto it = std::partition(waiters_.begin(), waiters_.end(),
                           [hw](const auto& w) { return w.first >= hw; });
  for (auto i = it; i != waiters_.end(); ++i) ready->push_back(std::move(i->second));
  waiters_.erase(it, waiters_.end());
}

void Log::GoOfflineLocked(const absl::Status& why, std::vector<Callback>* failed) {
  // An I/O error while Close() is under way still counts: Close's own flush
  // must not find nothing left to sync and declare the lost data synced.
  if (offline_status_.ok() || (closing_ && !io_failed_)) {
    logger_->error("{}: log going offline: {}", options_.dir, why.ToString());
    offline_status_ = absl::UnavailableError(
        absl::StrCat("log ", options_.dir, " is offline after an I/O error: ", why.message()));
    io_failed_ = true;
    offline_notice_ = offline_status_;
  }
  for (auto& w : waiters_) failed->push_back(std::move(w.second));
  waiters_.clear();
}

void Log::DeliverOfflineNotice() {
  absl::Status notice;
  {
    std::lock_guard<std::mutex> lock(mu_);
    notice.Update(offline_notice_);
    offline_notice_ = absl::OkStatus();
  }
  if (!notice.ok() && options_.on_offline) options_.on_offline(options_.topic_partition, notice);
}

void Log::TakeOffline(const absl::Status& why) {
  std::vector<Callback> failed;
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return;
    GoOfflineLocked(why, &failed);
    offline_notice_ = absl::OkStatus();
    status = offline_status_;
  }
  for (auto& f : failed) f(status);
}

absl::StatusOr<AppendResult> Log::Append(std::span<uint8_t> bytes, int32_t leader_epoch) {
  namespace bo = batch_offsets;
  if (bytes.empty()) return absl::InvalidArgumentError("append of zero bytes");
  absl::InlinedVector<BatchSummary, 4> batches;
  std::optional<BatchHeader> idempotent;  // the batch of an idempotent producer, if any
  // Batches carrying a producer id: their index in `batches`, their header
  // (base offset filled in once assigned) and, for markers, the marker type.
  struct ProducerBatchInfo {
    size_t index;
    BatchHeader header;
    std::optional<ControlType> control;
  };
  absl::InlinedVector<ProducerBatchInfo, 1> producer_batches;
  int64_t max_message_bytes, records = 0;
  bool verify_crc, log_append_time;
  {
    std::lock_guard<std::mutex> lock(mu_);
    max_message_bytes = config_.max_message_bytes;
    verify_crc = config_.verify_crc_on_append;
    log_append_time = config_.message_timestamp_type == TimestampType::kLogAppendTime;
  }
  // Cheap structural re-check: the span must be tiled exactly by magic-2
  // batches whose lengths are plausible.
  for (size_t pos = 0; pos < bytes.size();) {
    size_t left = bytes.size() - pos;
    const uint8_t* p = bytes.data() + pos;
    if (left < kBatchHeaderSize) {
      return absl::InvalidArgumentError(absl::StrCat("trailing ", left, " bytes are not a batch"));
    }
    if (int8_t(p[bo::kMagic]) != kBatchMagicV2) {
      return absl::InvalidArgumentError(absl::StrCat("batch at byte ", pos, " has magic ",
                                                     int(int8_t(p[bo::kMagic]))));
    }
    int32_t len = int32_t(coding::LoadBE32(p + bo::kBatchLength));
    int32_t delta = int32_t(coding::LoadBE32(p + bo::kLastOffsetDelta));
    if (len < int32_t(kBatchHeaderSize - kBatchLogOverhead) || kBatchLogOverhead + size_t(len) > left ||
        delta < 0) {
      return absl::InvalidArgumentError(absl::StrCat("batch at byte ", pos, " has a bad length"));
    }
    size_t total = kBatchLogOverhead + size_t(len);
    if (int64_t(total) > max_message_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("batch of ", total,
                                                       " bytes exceeds max.message.bytes ",
                                                       max_message_bytes));
    }
    if (verify_crc) {
      auto v = ValidateBatch(std::span<const uint8_t>(p, total));
      if (!v.ok()) return absl::InvalidArgumentError(v.status().message());
    }
    batches.push_back({0, delta, int64_t(coding::LoadBE64(p + bo::kMaxTimestamp)), uint32_t(total)});
    if (int64_t(coding::LoadBE64(p + bo::kProducerId)) >= 0) {
      auto h = ParseBatchHeader(std::span<const uint8_t>(p, total));
      if (!h.ok()) return absl::InvalidArgumentError(h.status().message());
      if (!h->is_control() && h->base_sequence >= 0) idempotent = *h;
      std::optional<ControlType> control;
      if (h->is_control()) control = ParseControlType(std::span<const uint8_t>(p, total));
      producer_batches.push_back({batches.size() - 1, *h, control});
    }
    records += int64_t(delta) + 1;
    pos += total;
  }
  if (idempotent && batches.size() > 1) {
    return absl::InvalidArgumentError(
        "a batch of an idempotent producer must be the only batch of its partition in a request");
  }

  AppendResult result;
  std::vector<Callback> ready, failed;
  absl::Status failure;
  int64_t new_hw = -1;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Before a roll, let an in-flight flush round finish (see flush_done_).
    // Everything below is decided after the wait, under one hold of mu_.
    while (flush_in_flight_ && offline_status_.ok() &&
           ShouldRollLocked(bytes.size(), log_end_offset_ + records - 1, options_.clock_ms())) {
      flush_done_.wait(lock);
    }
    if (!offline_status_.ok()) return offline_status_;
    if (idempotent) {
      ProducerCheckResult check = producers_.Check(*idempotent);
      if (check.outcome == ProducerCheck::kDuplicate) {
        result.base_offset = Offset(check.duplicate_of.first_offset);
        result.last_offset = Offset(check.duplicate_of.last_offset);
        result.duplicate = true;
        return result;
      }
      if (check.outcome != ProducerCheck::kOk) return ProducerCheckError(check.outcome, check.message);
    }
    int64_t now = options_.clock_ms();
    int64_t last = log_end_offset_ + records - 1;
    if (ShouldRollLocked(bytes.size(), last, now)) {
      absl::Status s = RollLocked(now);
      if (absl::IsResourceExhausted(s)) return s;  // disk full: nothing written, still online
      if (!s.ok()) {
        GoOfflineLocked(s, &failed);
        failure = offline_status_;
      }
    }
    if (failure.ok() && last - segments_.rbegin()->second->base_offset() > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError("append spans more than 2^31 offsets");
    }
    if (failure.ok()) {
      int64_t next = log_end_offset_;
      size_t pos = 0;
      for (BatchSummary& b : batches) {
        std::span<uint8_t> batch = bytes.subspan(pos, b.size);
        int64_t delta = b.last_offset;
        PatchBaseOffset(batch, next);
        PatchPartitionLeaderEpoch(batch, leader_epoch);
        if (log_append_time) {
          PatchLogAppendTime(batch, now);
          b.max_timestamp = now;
        }
        b.base_offset = next;
        b.last_offset = next + delta;
        next = b.last_offset + 1;
        pos += b.size;
      }
      Segment& active = *segments_.rbegin()->second;
      absl::Status s = active.Append(bytes, batches, now);
      if (absl::IsResourceExhausted(s)) {
        // ENOSPC: drop whatever part of the write landed so the next append
        // starts on a batch boundary; nothing before it is touched.
        absl::Status undo = active.DiscardUnappended();
        if (undo.ok()) return s;
        s = undo;
      }
      if (!s.ok()) {
        GoOfflineLocked(s, &failed);
        failure = offline_status_;
      } else {
        for (ProducerBatchInfo& pb : producer_batches) {
          pb.header.base_offset = batches[pb.index].base_offset;
          producers_.Apply(pb.header, now, pb.control);
        }
        result.base_offset = Offset(log_end_offset_);
        result.last_offset = Offset(next - 1);
        result.log_append_time_ms = log_append_time ? now : -1;
        log_end_offset_ = next;
        active_dirty_ = true;
        unsynced_batches_ += batches.size();
        if (!config_.fsync_before_ack()) {
          AdvanceHighWatermarkLocked(log_end_offset_, &ready);
          new_hw = high_watermark_;
        }
        NotifyFlusherLocked();
      }
    }
  }
  if (new_hw >= 0 && options_.on_high_watermark) {
    options_.on_high_watermark(options_.topic_partition, Offset(new_hw));
  }
  if (!failure.ok()) DeliverOfflineNotice();  // before waiters learn of the failure
  for (auto& f : failed) f(failure);
  for (auto& r : ready) r(absl::OkStatus());
  if (!failure.ok()) return failure;
  std::string snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot.swap(pending_producer_snapshot_);
  }
  if (!snapshot.empty()) {
    // Best effort: a missing snapshot only means a longer replay on open.
    absl::Status s = WriteProducerSnapshot(snapshot);
    if (!s.ok()) logger_->warn("{}: producer state snapshot: {}", options_.dir, s.ToString());
  }
  return result;
}

absl::Status Log::WriteProducerSnapshot(const std::string& snapshot) {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return SideIo([&] {
    return WriteFileAtomically(*options_.fs, options_.dir, std::string(kProducerSnapshotFile),
                               snapshot);
  });
}

absl::Status Log::SideIo(absl::FunctionRef<absl::Status()> io) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++side_io_in_flight_;
  }
  absl::Status s = io();
  std::vector<Callback> failed;
  absl::Status offline;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --side_io_in_flight_;
    side_io_done_.notify_all();
    if (!s.ok() && !absl::IsResourceExhausted(s) && offline_status_.ok()) {
      GoOfflineLocked(s, &failed);
      offline = offline_status_;
    }
  }
  if (!offline.ok()) {
    DeliverOfflineNotice();
    for (auto& f : failed) f(offline);
  }
  return s;
}

size_t Log::ExpireProducers(int64_t now_ms, int64_t expiration_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return producers_.Expire(now_ms, expiration_ms);
}

Offset Log::last_stable_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<int64_t> unstable = producers_.FirstUnstableOffset();
  return Offset(unstable ? std::min(*unstable, high_watermark_) : high_watermark_);
}

std::vector<AbortedTxn> Log::AbortedTransactions(Offset from, Offset to) const {
  std::lock_guard<std::mutex> lock(mu_);
  return producers_.AbortedTransactions(from.value, to.value);
}

std::map<int64_t, ProducerEntry> Log::ProducerStates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return producers_.entries();
}

absl::Status Log::ReplayProducerStateLocked(int64_t from_offset) {
  auto it = segments_.upper_bound(from_offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const Segment& seg = *it->second;
    uint64_t pos = seg.LookupPosition(std::max(from_offset, seg.base_offset())).position;
    ScanOptions scan;
    scan.chunk_bytes = 1 << 20;
    absl::Status read_error;
    KEEL_ASSIGN_OR_RETURN(ScanResult r, ScanBatches(*seg.file(), pos, seg.size(), scan,
                                                    [&](const BatchHeader& h, uint64_t at) {
                                                      if (h.base_offset < from_offset || h.producer_id < 0) {
                                                        return true;
                                                      }
                                                      std::optional<ControlType> control;
                                                      if (h.is_control()) {
                                                        std::vector<uint8_t> batch(h.total_size());
                                                        auto n = seg.file()->PRead(at, batch);
                                                        if (!n.ok()) {
                                                          read_error = n.status();
                                                          return false;
                                                        }
                                                        control = ParseControlType(batch);
                                                      }
                                                      producers_.Apply(h, h.max_timestamp, control);
                                                      return true;
                                                    }));
    KEEL_RETURN_IF_ERROR(read_error);
    if (!r.stop_reason.ok()) {
      return absl::DataLossError(absl::StrCat(seg.path(), ": ", r.stop_reason.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status Log::RecoverProducerStateLocked() {
  producers_.Clear();
  int64_t from = log_start_offset_;
  if (auto text = ReadFileToString(*options_.fs, JoinPath(options_.dir, kProducerSnapshotFile)); text.ok()) {
    ProducerStateTable loaded;
    auto offset = loaded.DecodeSnapshot(*text);
    if (!offset.ok()) {
      logger_->warn("{}: ignoring producer state snapshot: {}", options_.dir, offset.status().ToString());
    } else if (*offset > log_end_offset_) {
      logger_->info("{}: producer state snapshot at {} is past the log end {}; rebuilding",
                    options_.dir, *offset, log_end_offset_);
    } else {
      producers_ = std::move(loaded);
      from = std::max(*offset, log_start_offset_);
    }
  }
  KEEL_RETURN_IF_ERROR(ReplayProducerStateLocked(from));
  producers_.MarkDurableBelow(high_watermark_);
  if (config_.cleanup_compact || clean_offset_ > log_start_offset_) {
    KEEL_RETURN_IF_ERROR(DropVanishedAbortsLocked());
  }
  return absl::OkStatus();
}

absl::Status Log::DropVanishedAbortsLocked() {
  if (segments_.empty()) return absl::OkStatus();
  // Markers are only removed from closed segments.
  const int64_t active_base = segments_.rbegin()->first;
  std::vector<AbortedTxn> vanished;
  for (const AbortedTxn& a : producers_.aborted()) {
    if (a.last_offset >= active_base) break;  // sorted by marker offset
    if (a.last_offset < log_start_offset_) continue;
    auto it = segments_.upper_bound(a.last_offset);
    if (it == segments_.begin()) continue;
    const Segment& seg = *std::prev(it)->second;
    bool present = false;
    ScanOptions scan;
    scan.chunk_bytes = 16 << 10;
    KEEL_ASSIGN_OR_RETURN(
        ScanResult r, ScanBatches(*seg.file(), seg.LookupPosition(a.last_offset).position, seg.size(), scan,
                                  [&](const BatchHeader& h, uint64_t) {
                                    if (h.last_offset() < a.last_offset) return true;
                                    present = h.base_offset == a.last_offset && h.is_control() &&
                                              h.producer_id == a.producer_id;
                                    return false;
                                  }));
    (void)r;
    if (!present) vanished.push_back(a);
  }
  for (const AbortedTxn& a : vanished) {
    producers_.ForgetAborted(a.producer_id, a.last_offset);
  }
  if (!vanished.empty()) {
    logger_->info("{}: {} aborted transactions whose markers compaction removed are forgotten",
                  options_.dir, vanished.size());
  }
  return absl::OkStatus();
}

void Log::WaitDurable(Offset last_offset, Callback done) {
  absl::Status now_status;
  bool decided = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_offset.value < high_watermark_) {
      decided = true;
    } else if (!offline_status_.ok()) {
      decided = true;
      now_status = offline_status_;
    } else {
      waiters_.emplace_back(last_offset.value, std::move(done));
      NotifyFlusherLocked();
    }
  }
  if (decided) done(now_status);
}

absl::Status Log::FlushRound(uint64_t* batches_synced) {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::vector<std::shared_ptr<Segment>> to_sync;
  bool sync_dir;
  int64_t target;
  if (batches_synced) *batches_synced = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flush_requested_ = false;
    if (closing_ && io_failed_) return offline_status_;
    if (!offline_status_.ok() && !closing_) return absl::OkStatus();
    if (batches_synced) *batches_synced = unsynced_batches_;
    unsynced_batches_ = 0;
    to_sync.swap(unsynced_);
    if (active_dirty_) to_sync.push_back(segments_.rbegin()->second);
    active_dirty_ = false;
    sync_dir = dir_dirty_;
    dir_dirty_ = false;
    target = log_end_offset_;
    flush_in_flight_ = true;
  }
  absl::Status status;
  for (const auto& seg : to_sync) {
    status = seg->Sync();
    if (!status.ok()) break;
  }
  if (status.ok() && sync_dir) status = options_.fs->SyncDir(options_.dir);

  std::vector<Callback> ready, failed;
  bool crossed_segment = false;
  int64_t new_hw = -1;
  absl::Status offline;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A side fsync still under way may have failed already (see SideIo):
    // record nothing until it has reported.
    side_io_done_.wait(lock, [this] { return side_io_in_flight_ == 0; });
    flush_in_flight_ = false;
    flush_done_.notify_all();
    if (!status.ok()) {
      GoOfflineLocked(status, &failed);
      offline = offline_status_;
    } else if (io_failed_) {
      // Another path (a roll's fsync of the same segment, say) met an I/O
      // error while this round synced. Linux reports a writeback error to
      // one fsync only, and later ones succeed over the lost pages, so this
      // round's success proves nothing: acknowledge nothing.
      status = offline = offline_status_;
    } else {
      synced_offset_ = std::max(synced_offset_, target);
      if (config_.fsync_before_ack()) {
        int64_t before = high_watermark_;
        AdvanceHighWatermarkLocked(target, &ready);
        if (high_watermark_ > before) new_hw = high_watermark_;
      }
      crossed_segment = to_sync.size() > 1 || (to_sync.size() == 1 && to_sync[0] != segments_.rbegin()->second);
    }
  }
  if (new_hw >= 0 && options_.on_high_watermark) {
    options_.on_high_watermark(options_.topic_partition, Offset(new_hw));
  }
  if (!status.ok()) DeliverOfflineNotice();  // before waiters learn of the failure
  for (auto& f : failed) f(offline);
  for (auto& r : ready) r(absl::OkStatus());
  if (!status.ok()) return status;
  if (crossed_segment) return WriteCheckpoint();
  return absl::OkStatus();
}

absl::Status Log::Flush() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return offline_status_;
  }
  KEEL_RETURN_IF_ERROR(FlushRound());
  std::lock_guard<std::mutex> lock(mu_);
  return offline_status_;
}

absl::Status Log::WriteCheckpoint() {
  std::lock_guard<std::mutex> cp_lock(checkpoint_mu_);
  Checkpoint c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    c.recovery_point = synced_offset_;
    c.log_start_offset = log_start_offset_;
  }
  KEEL_RETURN_IF_ERROR(SideIo([&] {
    return WriteFileAtomically(*options_.fs, options_.dir, std::string(kCheckpointFile),
                               EncodeCheckpoint(c));
  }));
  std::lock_guard<std::mutex> lock(mu_);
  checkpointed_recovery_point_ = std::max(checkpointed_recovery_point_, c.recovery_point);
  return absl::OkStatus();
}

absl::Status Log::DeleteSegments(std::vector<std::shared_ptr<Segment>> doomed) {
  if (doomed.empty()) return absl::OkStatus();
  for (const auto& seg : doomed) {
    logger_->info("{}: deleting segment {} (offsets {}..{})", options_.dir, seg->path(),
                  seg->base_offset(), seg->next_offset() - 1);
    KEEL_RETURN_IF_ERROR(SideIo([&] { return seg->DeleteFiles(); }));
  }
  return SideIo([&] { return options_.fs->SyncDir(options_.dir); });
}

absl::StatusOr<ReadResult> Log::Read(Offset start_offset, size_t max_bytes, Offset upper_bound,
                                     FirstBatch first) const {
  struct View {
    std::shared_ptr<Segment> segment;
    uint64_t end;
  };
  absl::InlinedVector<View, 4> views;
  ReadResult result;
  int64_t start = start_offset.value;
  int64_t bound;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (io_failed_) return offline_status_;
    if (start < log_start_offset_ || start > log_end_offset_) {
      return absl::OutOfRangeError(absl::StrCat("offset ", start, " is outside [", log_start_offset_,
                                                ", ", log_end_offset_, "] of ", options_.dir));
    }
    result.high_watermark = Offset(high_watermark_);
    result.log_start_offset = Offset(log_start_offset_);
    result.log_end_offset = Offset(log_end_offset_);
    result.next_offset = start_offset;
    bound = std::min(upper_bound.value, log_end_offset_);
    if (start >= bound) return result;
    auto it = segments_.upper_bound(start);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end() && it->first < bound; ++it) {
      views.push_back({it->second, it->second->size()});
    }
  }
  bool done = false;
  for (size_t i = 0; i < views.size() && !done; ++i) {
    const View& v = views[i];
    uint64_t pos = i == 0 ? v.segment->LookupPosition(start).position : 0;
    ScanOptions scan;
    // Small fetches and offset lookups need only the bytes up to the next
    // index entry; large fetches read headers in 64 KiB chunks.
    scan.chunk_bytes = std::clamp<size_t>(max_bytes + 4096, 8 * 1024, 64 * 1024);
    const auto& file = v.segment->file();
    KEEL_ASSIGN_OR_RETURN(
        ScanResult r, ScanBatches(*file, pos, v.end, scan, [&](const BatchHeader& h, uint64_t at) {
          if (h.last_offset() < start) return true;
          size_t size = h.total_size();
          const bool may_exceed = result.total_bytes == 0 && first == FirstBatch::kMayExceed;
          if (h.last_offset() >= bound || (!may_exceed && result.total_bytes + size > max_bytes)) {
            done = true;
            return false;
          }
          if (!result.slices.empty() && result.slices.back().file == file &&
              result.slices.back().position + result.slices.back().size == at &&
              uint64_t(result.slices.back().size) + size <= std::numeric_limits<uint32_t>::max()) {
            result.slices.back().size += uint32_t(size);
          } else {
            result.slices.push_back({file, at, uint32_t(size)});
          }
          if (result.first_offset.value < 0) result.first_offset = Offset(h.base_offset);
          result.total_bytes += size;
          result.next_offset = Offset(h.last_offset() + 1);
          return true;
        }));
    if (!r.stop_reason.ok()) {
      return absl::DataLossError(absl::StrCat("reading ", file->path(), ": ", r.stop_reason.message()));
    }
  }
  return result;
}

absl::StatusOr<TimestampOffset> Log::FindOffsetByTimestamp(int64_t ts) const {
  struct View {
    std::shared_ptr<Segment> segment;
    uint64_t end;
    int64_t max_ts;
  };
  std::vector<View> views;
  int64_t hw, log_start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hw = high_watermark_;
    log_start = log_start_offset_;
    for (const auto& [base, seg] : segments_) {
      if (base >= hw) break;
      views.push_back({seg, seg->size(), seg->max_timestamp()});
    }
  }
  for (const View& v : views) {
    if (v.max_ts < ts) continue;
    auto before = v.segment->TimeLookupBefore(ts);
    uint64_t pos = before ? v.segment->LookupPosition(before->offset).position : 0;
    std::optional<TimestampOffset> found;
    bool past_hw = false;
    ScanOptions scan;
    scan.chunk_bytes = 64 * 1024;
    KEEL_ASSIGN_OR_RETURN(ScanResult r, ScanBatches(*v.segment->file(), pos, v.end, scan,
                                                    [&](const BatchHeader& h, uint64_t) {
                                                      if (h.last_offset() >= hw) {
                                                        past_hw = true;
                                                        return false;
                                                      }
                                                      // Wholly below the log start (DeleteRecords
                                                      // or retention): not part of the log.
                                                      if (h.last_offset() < log_start) return true;
                                                      if (h.max_timestamp >= ts) {
                                                        found = TimestampOffset{h.max_timestamp, h.base_offset};
                                                        return false;
                                                      }
                                                      return true;
                                                    }));
    (void)r;
    if (found) {
      int64_t start;
      {
        std::lock_guard<std::mutex> lock(mu_);
        start = log_start_offset_;
      }
      found->offset = std::max(found->offset, start);
      return *found;
    }
    if (past_hw) break;
  }
  return absl::NotFoundError(absl::StrCat("no batch with timestamp >= ", ts));
}

absl::StatusOr<Offset> Log::OffsetForTimestamp(int64_t ts) const {
  KEEL_ASSIGN_OR_RETURN(TimestampOffset t, FindOffsetByTimestamp(ts));
  return Offset(t.offset);
}

absl::StatusOr<TimestampOffset> Log::MaxTimestampOffset() const {
  std::optional<TimestampOffset> best;
  std::shared_ptr<Segment> active;
  uint64_t active_end = 0;
  int64_t hw;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hw = high_watermark_;
    for (const auto& [base, seg] : segments_) {
      if (seg->max_timestamp() < 0) continue;
      if (seg->offset_of_max_timestamp() < hw && seg->next_offset() <= hw) {
        if (!best || seg->max_timestamp() > best->timestamp) {
          best = TimestampOffset{seg->max_timestamp(), seg->offset_of_max_timestamp()};
        }
      } else if (base < hw) {
        active = seg;  // partly above the HW: scan it below
        active_end = seg->size();
      }
    }
  }
  if (active) {
    ScanOptions scan;
    KEEL_ASSIGN_OR_RETURN(ScanResult r, ScanBatches(*active->file(), 0, active_end, scan,
                                                    [&](const BatchHeader& h, uint64_t) {
                                                      if (h.last_offset() >= hw) return false;
                                                      if (!best || h.max_timestamp > best->timestamp) {
                                                        best = TimestampOffset{h.max_timestamp, h.base_offset};
                                                      }
                                                      return true;
                                                    }));
    (void)r;
  }
  if (!best) return absl::NotFoundError("log has no timestamps below the high watermark");
  return *best;
}

absl::StatusOr<Offset> Log::DeleteRecordsBefore(Offset offset) {
  std::vector<std::shared_ptr<Segment>> doomed;
  int64_t new_start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return offline_status_;
    int64_t target = offset.value == -1 ? high_watermark_ : offset.value;
    if (target < 0 || target > high_watermark_) {
      return absl::OutOfRangeError(absl::StrCat("delete-records offset ", target,
                                                " is above the high watermark ", high_watermark_));
    }
    if (target <= log_start_offset_) return Offset(log_start_offset_);
    log_start_offset_ = target;
    producers_.PruneAborted(log_start_offset_);
    while (segments_.size() > 1 && segments_.begin()->second->next_offset() <= log_start_offset_) {
      doomed.push_back(segments_.begin()->second);
      segments_.erase(segments_.begin());
    }
    new_start = log_start_offset_;
  }
  KEEL_RETURN_IF_ERROR(WriteCheckpoint());
  KEEL_RETURN_IF_ERROR(DeleteSegments(std::move(doomed)));
  return Offset(new_start);
}

absl::StatusOr<int> Log::ApplyRetention(int64_t now_ms) {
  std::vector<std::shared_ptr<Segment>> doomed;
  bool checkpoint;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return 0;
    uint64_t total = 0;
    for (const auto& [base, seg] : segments_) total += seg->size();
    while (segments_.size() > 1) {
      const auto& seg = segments_.begin()->second;
      if (seg->next_offset() > high_watermark_) break;
      bool expired = seg->next_offset() <= log_start_offset_;
      if (config_.cleanup_delete) {
        if (config_.retention_ms >= 0 && now_ms - seg->max_timestamp() > config_.retention_ms) {
          expired = true;
        }
        if (config_.retention_bytes >= 0 &&
            int64_t(total - seg->size()) >= config_.retention_bytes) {
          expired = true;
        }
      }
      if (!expired) break;
      total -= seg->size();
      doomed.push_back(seg);
      segments_.erase(segments_.begin());
    }
    log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
    producers_.PruneAborted(log_start_offset_);
    checkpoint = !doomed.empty() || synced_offset_ != checkpointed_recovery_point_;
  }
  int count = int(doomed.size());
  if (checkpoint) KEEL_RETURN_IF_ERROR(WriteCheckpoint());
  KEEL_RETURN_IF_ERROR(DeleteSegments(std::move(doomed)));
  return count;
}

absl::Status Log::Truncate(Offset end_offset) {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::vector<std::shared_ptr<Segment>> doomed;
  std::vector<Callback> aborted, failed;
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!offline_status_.ok()) return offline_status_;
    int64_t end = end_offset.value;
    if (end < log_start_offset_) {
      return absl::InvalidArgumentError(absl::StrCat("cannot truncate to ", end,
                                                     " below the log start offset ", log_start_offset_));
    }
    if (end >= log_end_offset_) return absl::OkStatus();
    while (segments_.size() > 1 && segments_.rbegin()->first >= end) {
      doomed.push_back(segments_.rbegin()->second);
      segments_.erase(std::prev(segments_.end()));
    }
    auto& active = segments_.rbegin()->second;
    status = active->TruncateTo(end);
    if (status.ok()) status = active->Preallocate();
    if (!status.ok()) {
      GoOfflineLocked(status, &failed);
    } else {
      log_end_offset_ = active->next_offset();
      high_watermark_ = std::min(high_watermark_, log_end_offset_);
      synced_offset_ = std::min(synced_offset_, log_end_offset_);
      clean_offset_ = std::min(clean_offset_, log_end_offset_);
      producers_.Clear();
      if (absl::Status rebuilt = ReplayProducerStateLocked(log_start_offset_); !rebuilt.ok()) {
        logger_->warn("{}: rebuilding producer state after truncation: {}", options_.dir,
                      rebuilt.ToString());
      }
      producers_.MarkDurableBelow(high_watermark_);
      unsynced_.erase(std::remove_if(unsynced_.begin(), unsynced_.end(),
                                     [&](const auto& s) { return s->base_offset() >= end; }),
                      unsynced_.end());
      active_dirty_ = true;
      dir_dirty_ = true;
      auto it = std::partition(waiters_.begin(), waiters_.end(),
                               [&](const auto& w) { return w.first < log_end_offset_; });
      for (auto i = it; i != waiters_.end(); ++i) aborted.push_back(std::move(i->second));
      waiters_.erase(it, waiters_.end());
      logger_->warn("{}: truncated to offset {}", options_.dir, log_end_offset_);
    }
  }
  if (!status.ok()) DeliverOfflineNotice();  // before waiters learn of the failure
  for (auto& f : failed) f(status);
  for (auto& a : aborted) a(absl::AbortedError("log truncated below the awaited offset"));
  if (!status.ok()) return status;
  KEEL_RETURN_IF_ERROR(WriteCheckpoint());
  return DeleteSegments(std::move(doomed));
}

absl::Status Log::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return absl::OkStatus();
    if (!offline_status_.ok()) return offline_status_;
    closing_ = true;
    offline_status_ = absl::UnavailableError(absl::StrCat("log ", options_.dir, " is closed"));
  }
  KEEL_RETURN_IF_ERROR(FlushRound());
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::shared_ptr<Segment> active;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (synced_offset_ != log_end_offset_) {
      return absl::InternalError("close: log not fully synced");
    }
    active = segments_.rbegin()->second;
  }
  KEEL_RETURN_IF_ERROR(active->Seal());
  KEEL_RETURN_IF_ERROR(active->Sync());
  std::string snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot = producers_.EncodeSnapshot(log_end_offset_);
  }
  KEEL_RETURN_IF_ERROR(WriteProducerSnapshot(snapshot));
  KEEL_RETURN_IF_ERROR(WriteCheckpoint());
  KEEL_RETURN_IF_ERROR(
      WriteFileAtomically(*options_.fs, options_.dir, std::string(kCleanShutdownFile), ""));
  std::vector<std::pair<int64_t, Callback>> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters.swap(waiters_);
  }
  for (auto& w : waiters) w.second(absl::AbortedError("log closed"));
  return absl::OkStatus();
}

void Log::MarkDeleted() {
  std::vector<std::pair<int64_t, Callback>> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (offline_status_.ok()) {
      offline_status_ = absl::UnavailableError(absl::StrCat("log ", options_.dir, " was deleted"));
    }
    waiters.swap(waiters_);
  }
  for (auto& w : waiters) w.second(absl::AbortedError("log deleted"));
}

void Log::UpdateConfig(const LogConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
}

Offset Log::log_start_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Offset(log_start_offset_);
}
Offset Log::log_end_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Offset(log_end_offset_);
}
Offset Log::high_watermark() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Offset(high_watermark_);
}
uint64_t Log::size_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  return total;
}
size_t Log::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}
bool Log::offline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !offline_status_.ok() && !closing_;
}
LogConfig Log::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

}  // namespace keel::storage
