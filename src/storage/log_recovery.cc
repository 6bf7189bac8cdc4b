// Log::Recover: loading a partition directory on open, in numbered passes
// (see log.h and docs/storage-format.md).
#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "keel/common/status_macros.h"
#include "keel/storage/format.h"
#include "keel/storage/log.h"

namespace keel::storage {

absl::Status Log::Recover() {
  FileSystem& fs = *options_.fs;
  const std::string& dir = options_.dir;
  int64_t now = options_.clock_ms();
  std::lock_guard<std::mutex> lock(mu_);

  // Pass 0: finish interrupted compaction swaps. A durable
  // <base>-<end>.swap file means the cleaner committed to replacing the
  // segments with base offsets in [base, end); a *.cleaned file was never
  // committed and is discarded below (the originals are still in place).
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListDir(dir));
  {
    std::vector<SwapRange> swaps;
    std::vector<int64_t> all_bases;
    for (const std::string& name : names) {
      if (auto swap = ParseSwapFileName(name)) swaps.push_back(*swap);
      if (auto base = ParseSegmentFileName(name, kLogSuffix)) all_bases.push_back(*base);
    }
    std::sort(swaps.begin(), swaps.end(), [](const SwapRange& a, const SwapRange& b) { return a.base < b.base; });
    for (const SwapRange& swap : swaps) {
      std::vector<int64_t> old_bases;
      for (int64_t b : all_bases) {
        if (b >= swap.base && b < swap.end) old_bases.push_back(b);
      }
      logger_->warn("{}: completing interrupted compaction swap of offsets [{}, {}) ({} old segments)",
                    dir, swap.base, swap.end, old_bases.size());
      KEEL_RETURN_IF_ERROR(CompleteSwap(fs, dir, swap.base, swap.end, old_bases));
    }
    if (!swaps.empty()) {
      KEEL_ASSIGN_OR_RETURN(names, fs.ListDir(dir));
    }
  }

  // Pass 1: remove leftovers of interrupted operations. Temp files are
  // half-written atomic replacements; *.deleted were being removed;
  // *.cleaned were never committed; a *.swap left now is malformed.
  std::set<int64_t> bases;
  std::vector<std::string> index_files;
  bool clean = false;
  for (const std::string& name : names) {
    std::string_view n = name;
    auto ends_with = [&](std::string_view suffix) { return n.ends_with(suffix); };
    if (ends_with(kTempSuffix) || ends_with(kDeletedSuffix) || ends_with(kCleanedSuffix) ||
        ends_with(kSwapSuffix)) {
      logger_->info("{}: removing leftover file {}", dir, name);
      KEEL_RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, name)));
    } else if (auto base = ParseSegmentFileName(name, kLogSuffix)) {
      bases.insert(*base);
    } else if (ParseSegmentFileName(name, kIndexSuffix) ||
               ParseSegmentFileName(name, kTimeIndexSuffix)) {
      index_files.push_back(name);
    } else if (name == kCleanShutdownFile) {
      clean = true;
    }
  }
  for (const std::string& name : index_files) {
    auto base = ParseSegmentFileName(name, kIndexSuffix);
    if (!base) base = ParseSegmentFileName(name, kTimeIndexSuffix);
    if (!bases.count(*base)) KEEL_RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, name)));
  }

  // Pass 2: read the checkpoint. A missing or damaged one means "recover
  // everything" (recovery point 0) and the log starts at its first segment.
  Checkpoint checkpoint;
  bool have_checkpoint = false;
  if (auto text = ReadFileToString(fs, JoinPath(dir, kCheckpointFile)); text.ok()) {
    if (auto c = DecodeCheckpoint(*text); c.ok()) {
      checkpoint = *c;
      have_checkpoint = true;
    } else {
      logger_->warn("{}: ignoring damaged checkpoint: {}", dir, c.status().ToString());
    }
  }
  // A directory with neither segments nor a checkpoint is a log being
  // created (or one whose creation a crash interrupted): nothing to recover.
  const bool fresh = bases.empty() && !have_checkpoint;
  if (!have_checkpoint) clean = false;
  if (auto text = ReadFileToString(fs, JoinPath(dir, kCleanerCheckpointFile)); text.ok()) {
    if (auto c = DecodeCleanerCheckpoint(*text); c.ok()) {
      clean_offset_ = c->clean_offset;
      next_tombstone_expiry_ms_ = c->next_tombstone_expiry_ms;
    } else {
      logger_->warn("{}: ignoring damaged cleaner checkpoint (the log will be recompacted): {}", dir,
                    c.status().ToString());
    }
  }
  int64_t recovery_point = clean ? std::numeric_limits<int64_t>::max() : checkpoint.recovery_point;
  log_start_offset_ = checkpoint.log_start_offset;

  // Segments wholly below the log start offset were being deleted by
  // retention or delete-records when the process stopped.
  std::vector<int64_t> ordered(bases.begin(), bases.end());
  std::vector<std::shared_ptr<Segment>> stale;
  size_t first = 0;
  while (first + 1 < ordered.size() && ordered[first + 1] <= log_start_offset_) ++first;

  // Pass 3: load sealed segments below the recovery point from their index
  // files; rescan (CRC-validating from the recovery point on) the segment
  // holding the recovery point and everything after it. A truncated segment
  // ends the log: later segments are dropped.
  SegmentOptions seg_options = SegmentOptionsLocked();
  std::vector<std::shared_ptr<Segment>> recovered;
  uint64_t dropped_total = 0;
  for (size_t i = 0; i < ordered.size(); ++i) {
    KEEL_ASSIGN_OR_RETURN(auto opened, Segment::OpenExisting(seg_options, ordered[i], now));
    std::shared_ptr<Segment> seg(std::move(opened));
    if (i < first) {
      stale.push_back(seg);
      continue;
    }
    bool last = i + 1 == ordered.size();
    bool scan = !clean && (last || ordered[i + 1] > recovery_point);
    const int64_t expected_base =
        segments_.empty() ? seg->base_offset() : segments_.rbegin()->second->next_offset();
    // Above the recovery point a segment must start where the previous one
    // ends. A hole there means the previous segment lost unsynced data that
    // a later segment's synced data follows (an fsync error raced a roll):
    // nothing after the hole was ever acknowledged, so it goes. Compacted
    // logs have legitimate holes (cleaned batches), so only delete-policy
    // logs are checked.
    const bool hole = scan && !config_.cleanup_compact && seg->base_offset() > expected_base;
    if (seg->base_offset() < expected_base || hole) {
      if (!scan) {
        return absl::DataLossError(absl::StrCat(dir, ": segment ", seg->path(),
                                                " overlaps the previous segment"));
      }
      logger_->warn("{}: dropping {} segment {} and later ones (the log ends at offset {})", dir,
                    hole ? "unreachable (after a hole)" : "overlapping", seg->path(),
                    expected_base);
      for (size_t j = i; j < ordered.size(); ++j) {
        KEEL_ASSIGN_OR_RETURN(auto extra, Segment::OpenExisting(seg_options, ordered[j], now));
        stale.push_back(std::shared_ptr<Segment>(std::move(extra)));
      }
      break;
    }
    if (!scan) {
      KEEL_RETURN_IF_ERROR(seg->Load());
      segments_[seg->base_offset()] = seg;
      continue;
    }
    KEEL_ASSIGN_OR_RETURN(uint64_t dropped, seg->Recover(recovery_point));
    dropped_total += dropped;
    segments_[seg->base_offset()] = seg;
    recovered.push_back(seg);
    if (dropped > 0 && !last) {
      for (size_t j = i + 1; j < ordered.size(); ++j) {
        KEEL_ASSIGN_OR_RETURN(auto extra, Segment::OpenExisting(seg_options, ordered[j], now));
        logger_->warn("{}: dropping segment {} after the truncation point", dir, extra->path());
        stale.push_back(std::shared_ptr<Segment>(std::move(extra)));
      }
      break;
    }
  }
  for (const auto& seg : stale) KEEL_RETURN_IF_ERROR(seg->DeleteFiles());

  if (segments_.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto created, Segment::Create(seg_options, log_start_offset_, now));
    segments_[log_start_offset_] = std::shared_ptr<Segment>(std::move(created));
  } else {
    // Recovered segments get fresh index files (the old ones may be stale)
    // and an fdatasync, so everything kept is durable before the HW covers it.
    for (const auto& seg : recovered) {
      KEEL_RETURN_IF_ERROR(seg->Seal());
      KEEL_RETURN_IF_ERROR(seg->Sync());
    }
    KEEL_RETURN_IF_ERROR(segments_.rbegin()->second->Preallocate());
  }
  log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
  log_end_offset_ = segments_.rbegin()->second->next_offset();
  log_start_offset_ = std::min(log_start_offset_, log_end_offset_);
  high_watermark_ = log_end_offset_;
  synced_offset_ = log_end_offset_;
  clean_offset_ = std::clamp(clean_offset_, log_start_offset_, log_end_offset_);
  KEEL_RETURN_IF_ERROR(RecoverProducerStateLocked());

  // Pass 4: make the result durable and forget the clean-shutdown marker
  // before any append can happen.
  KEEL_RETURN_IF_ERROR(fs.SyncDir(dir));
  Checkpoint out{synced_offset_, log_start_offset_};
  KEEL_RETURN_IF_ERROR(WriteFileAtomically(fs, dir, std::string(kCheckpointFile), EncodeCheckpoint(out)));
  checkpointed_recovery_point_ = synced_offset_;
  if (clean) {
    KEEL_RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, kCleanShutdownFile)));
    KEEL_RETURN_IF_ERROR(fs.SyncDir(dir));
  } else if (auto exists = fs.Exists(JoinPath(dir, kCleanShutdownFile)); exists.ok() && *exists) {
    KEEL_RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, kCleanShutdownFile)));
    KEEL_RETURN_IF_ERROR(fs.SyncDir(dir));
  }
  recovery_info_ = RecoveryInfo{clean || fresh, dropped_total};
  if (fresh) {
    logger_->info("{}: created, starting at offset {}", dir, log_end_offset_);
  } else {
    logger_->info("{}: opened ({} shutdown) with {} segments, offsets [{}, {}), {} bytes dropped",
                  dir, clean ? "clean" : "unclean", segments_.size(), log_start_offset_,
                  log_end_offset_, dropped_total);
  }
  return absl::OkStatus();
}

}  // namespace keel::storage
