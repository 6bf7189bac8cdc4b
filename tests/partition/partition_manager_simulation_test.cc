// Deterministic-seed simulation of a PartitionManager with two log dirs on
// SimFileSystem: several topics (plain, time/size retention, compacted, and
// topics created, grown and deleted on the way), random appends across their
// partitions (idempotent-producer batches too), durability waits, retention
// and cleaner passes, segment rolls, clean shutdown + reopen and power cut +
// reopen, and fsync EIO in one log dir (what fails then is not acknowledged;
// the machine is power-cycled next). After every reopen it checks, for
// every partition: each acknowledged batch at or above the log start is present byte-for-byte at
// its offset (compacted topics: the newest acknowledged record of each key,
// or a newer one of that key, survives; every record present is one that was
// appended at that offset); offsets strictly increase (contiguous unless
// compacted); nothing present was never appended; the log end is past the
// last acknowledged offset. Topics whose create returned exist, topics whose
// delete returned stay deleted, and no other topic appears. Power cuts also
// come in the middle of topic creates, deletes and partition additions.
//
// Disk-full windows (ENOSPC, testutil/sim_disk_space.h) open now and then
// and last a few steps, across power cuts too. While the disk is full an
// append may only fail with ResourceExhausted, leaving its log online and
// its end unmoved, and then every partition must read back intact (live,
// against the model); WaitDurable of what was written must still succeed.
// Admin operations refused for lack of space are settled by a restart (as
// after a power cut in their middle). When space returns every partition
// is read back again and each one that refused an append takes one. A
// reopen that fails for lack of space frees the disk and retries.
//
// The manager's flusher runs on its own thread, so a seed replays the same
// operations but fsync timing (which unacknowledged batches survive) may
// differ between runs.
//
// Env: KEEL_SIM_SECONDS bounds the run (default 20); KEEL_SIM_SEED replays
// one seed verbosely (KEEL_SIM_LOG=1 adds the storage logs); KEEL_SIM_FIRST_SEED picks the first seed (default 1);
// KEEL_SIM_UNSCRAMBLED=1 uses the old seed mapping (see Rng).
// Prints one summary line: `power-cut seeds: <N> failures: <M>`.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/partition/partition_manager.h"
#include "testutil/batch_builder.h"
#include "testutil/crashable_file_system.h"
#include "testutil/sim_disk_space.h"
#include "testutil/sim_file_system.h"
#include "testutil/sim_report.h"
#include "testutil/sim_seeds.h"

namespace keel::partition {
namespace {

// The generator with this simulation's salt and scrambled seeds (sim_seeds.h),
// so consecutive seeds are unrelated runs. KEEL_SIM_UNSCRAMBLED=1 gives the
// old mapping (seed s+1 = seed s shifted by one draw) to replay old seeds.
class Rng : public keel::testing::SimRng {
 public:
  explicit Rng(uint64_t seed)
      : SimRng(std::getenv("KEEL_SIM_UNSCRAMBLED") ? SimRng(seed, 0x7654321ULL)
                                                   : SimRng(seed, 0x7654321ULL, kScrambleSeed)) {}
};

using Record = std::pair<std::string, std::string>;  // key, value

std::map<int64_t, Record> RecordsOf(std::span<const uint8_t> batch) {
  std::map<int64_t, Record> out;
  auto h = ParseBatchHeader(batch);
  if (!h.ok()) return out;
  (void)ForEachRecord(batch, [&](const RecordView& r) {
    auto str = [](const std::optional<std::span<const uint8_t>>& b) {
      return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : std::string("<null>");
    };
    out[h->base_offset + r.offset_delta] = {str(r.key), str(r.value)};
    return absl::OkStatus();
  });
  return out;
}

struct ModelBatch {
  int64_t base = 0;
  int64_t last = 0;
  std::vector<uint8_t> bytes;     // as written (offsets assigned)
  std::vector<uint8_t> original;  // as sent (retries)
  std::shared_ptr<std::atomic<bool>> acked = std::make_shared<std::atomic<bool>>(false);
  int64_t pid = -1;
};

struct ModelPartition {
  std::map<int64_t, ModelBatch> batches;  // by base offset
  int64_t start_seen = 0;  // highest log start observed after retention/cleaning
  int64_t pid = -1;                       // this incarnation's idempotent producer
  int32_t next_seq = 0;
};

struct ModelTopic {
  bool compacted = false;
  bool dynamic = false;
  std::vector<ModelPartition> partitions;
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool verbose)
      : report_(seed, verbose), rng_(seed), sim_(seed ^ 0xC0FFEEULL), fs_(&sim_),
        logger_(keel::testing::SimLogger(verbose)) {}

  std::string Run() {
    for (const char* d : {"/d0", "/d1"}) {
      if (auto s = sim_.CreateDir(d); !s.ok()) return s.ToString();
    }
    if (auto s = sim_.SyncDir("/"); !s.ok()) return s.ToString();
    if (!Reopen("initial open")) return report_.failure();
    std::string seg = std::to_string(1024 + rng_.Below(3000));
    CreateTopic("plain", 3, {{"segment.bytes", seg}}, false, false);
    CreateTopic("ret", 2,
                {{"segment.bytes", "1024"},
                 {"retention.bytes", std::to_string(2048 + rng_.Below(4096))},
                 {"retention.ms", std::to_string(3000 + rng_.Below(20000))}},
                false, false);
    CreateTopic("comp", 2,
                {{"segment.bytes", "1024"},
                 {"cleanup.policy", "compact"},
                 {"min.cleanable.dirty.ratio", "0.01"}},
                true, false);
    int steps = 120 + int(rng_.Below(160));
    for (int i = 0; i < steps && report_.ok(); ++i) Step(i);
    if (report_.ok()) Crash("final power cut");
    Close();
    return report_.failure();
  }

  keel::testing::SimFileSystem& sim() { return sim_; }

 private:
  void Fail(const std::string& what) { report_.Fail(what); }
  // An operation failed: fine after an injected fsync EIO (it is not
  // acknowledged; the machine is power-cycled before the next step, as a
  // restart after a disk error does), a failure otherwise.
  void OpError(const std::string& what) { report_.OpError(sim_, what); }
  void Note(const std::string& op) { report_.Note(op); }

  void Close() {
    if (pm_) {
      fs_.Crash();
      pm_.reset();
      fs_.Revive();
    }
  }

  bool Reopen(const std::string& why) {
    Note("reopen after " + why);
    sim_.FailNextDataSyncs(0);
    sim_.FailNextDirSyncs(0);
    report_.Restarted(sim_);
    PartitionManagerOptions o;
    o.log_dirs = {"/d0", "/d1"};
    o.fs = &fs_;
    o.clock_ms = [this] { return now_.load(); };
    o.retention_check_interval_ms = 3600000;  // the simulation runs retention itself
    o.cleaner_enable = false;                 // and the cleaner
    o.logger = logger_;
    auto pm = PartitionManager::Open(o);
    if (!pm.ok() && NoSpace(pm.status())) {
      // Recovery may need room (indexes, checkpoints): the operator frees
      // space and starts the broker again.
      Note("space returns for the reopen after: " + pm.status().ToString());
      EndNoSpaceWindow();
      pm = PartitionManager::Open(o);
    }
    if (!pm.ok()) {
      Fail("manager does not open after " + why + ": " + pm.status().ToString());
      return false;
    }
    pm_ = std::move(*pm);
    Verify();
    // A fresh idempotent producer per partition and incarnation.
    for (auto& [name, t] : topics_) {
      for (auto& p : t.partitions) {
        p.pid = next_pid_++;
        p.next_seq = 0;
      }
    }
    return report_.ok();
  }

  void Crash(const std::string& why) {
    Note(why);
    fs_.Crash();
    pm_.reset();
    fs_.Revive();
    Reopen(why);
  }

  void CreateTopic(const std::string& name, int partitions, std::map<std::string, std::string> configs,
                   bool compacted, bool dynamic) {
    Note("create topic " + name + " with " + std::to_string(partitions) + " partitions");
    auto r = pm_->CreateTopic(name, partitions, std::move(configs));
    if (!r.ok()) {
      uncertain_ = Uncertain{Uncertain::kCreate, name, partitions};
      if (NoSpace(r.status())) return SettleByRestart("create " + name + ": " + r.status().ToString());
      OpError("create " + name + ": " + r.status().ToString());
      return;
    }
    ModelTopic t;
    t.compacted = compacted;
    t.dynamic = dynamic;
    t.partitions.resize(size_t(partitions));
    for (auto& p : t.partitions) p.pid = next_pid_++;
    topics_[name] = std::move(t);
  }

  void Step(int i) {
    report_.SetStep(i);
    if (report_.needs_power_cycle()) return Crash("power cycle after an I/O error");
    now_ += int64_t(rng_.Below(300));
    uint64_t r = rng_.Below(100);
    if (rng_.Chance(0.03)) {
      // One log dir (or any) goes offline at its next fsync.
      std::string where = rng_.Chance(0.5) ? "/d0/" : "/d1/";
      Note("the next fsync under " + where + " fails with EIO");
      if (rng_.Chance(0.8)) {
        sim_.FailNextDataSyncs(1, where);
      } else {
        sim_.FailNextDirSyncs(1);
      }
      return;
    }
    if (!full_ && rng_.Chance(0.03)) {
      uint64_t room = rng_.Below(6000);
      Note("the disk fills up: " + std::to_string(room) + " bytes left");
      keel::testing::FillDisk(sim_, room);
      full_ = true;
      hit_enospc_.clear();
      return;
    }
    if (full_ && rng_.Chance(0.12)) return SpaceReturns();
    if (r < 46) {
      Append();
    } else if (r < 50) {
      CrashDuringAdmin();
    } else if (r < 54) {
      RetryIdempotent();
    } else if (r < 58) {
      CreateTopic("dyn" + std::to_string(next_topic_++), 1 + int(rng_.Below(3)),
                  {{"segment.bytes", "2048"}}, false, true);
    } else if (r < 61) {
      DeleteTopic();
    } else if (r < 63) {
      GrowTopic();
    } else if (r < 69) {
      Note("retention pass");
      for (const auto& [name, t] : topics_) {
        for (size_t p = 0; p < t.partitions.size(); ++p) {
          auto log = pm_->GetLog(TopicPartition{name, PartitionId(int32_t(p))});
          if (!log) continue;
          auto n = log->ApplyRetention(now_.load());
          if (!n.ok() && NoSpace(n.status())) {
            if (log->offline()) Fail("ENOSPC in retention took " + name + " offline");
          } else if (!n.ok()) {
            OpError("retention of " + name + ": " + n.status().ToString());
          }
        }
      }
      NoteLogStarts();
    } else if (r < 74) {
      Note("cleaner pass");
      (void)pm_->RunCleanerPass();
      NoteLogStarts();
    } else if (r < 78) {
      Roll();
    } else if (r < 84) {
      Note("clean shutdown");
      absl::Status s = pm_->Shutdown();
      if (!s.ok() && NoSpace(s)) {
        // Not clean: nothing more than before is acknowledged.
        return Crash("power cut after a shutdown that hit ENOSPC: " + s.ToString());
      }
      if (!s.ok()) {
        OpError("shutdown failed: " + s.ToString());
        return;
      }
      // Shutdown flushed everything: all of it is now acknowledged.
      for (auto& [name, t] : topics_) {
        for (auto& p : t.partitions) {
          for (auto& [base, b] : p.batches) b.acked->store(true);
        }
      }
      pm_.reset();
      // The machine then either stays up (the OS writes back its cache) or
      // loses power right away: a clean shutdown must not depend on which.
      bool cut = rng_.Chance(0.5);
      if (cut) {
        sim_.PowerCut();
      } else {
        sim_.SyncAll();
      }
      Reopen(cut ? "clean shutdown and power cut" : "clean shutdown");
    } else if (r < 93) {
      Crash("power cut");
    } else {
      // Let the flusher catch up now and then, so some unwaited batches are
      // durable at the next cut and some are not.
      Note("pause");
      std::this_thread::sleep_for(std::chrono::microseconds(200 + rng_.Below(2000)));
    }
  }

  // ---- disk full (ENOSPC) windows ----

  // An error an operation may return while the disk is full.
  bool NoSpace(const absl::Status& s) const { return full_ && absl::IsResourceExhausted(s); }

  void EndNoSpaceWindow() {
    keel::testing::FreeDisk(sim_);
    full_ = false;
  }

  // An append failed while the disk is full: it must be a clear ENOSPC
  // (ResourceExhausted) that leaves the log online with its end unmoved,
  // and every partition must still read back what it holds.
  void AppendFailedOnFullDisk(const std::string& name, int32_t partition, storage::Log& log,
                              int64_t end_before, const absl::Status& s) {
    std::string tp = name + "-" + std::to_string(partition);
    if (!absl::IsResourceExhausted(s)) return OpError("append on a full disk: " + s.ToString());
    Note("append to " + tp + " refused on a full disk: " + s.ToString());
    hit_enospc_.insert({name, partition});
    if (log.offline()) {
      // An injected fsync EIO may have taken the log dir offline meanwhile.
      if (report_.EioSinceRestart(sim_)) return OpError("append on a full disk: " + s.ToString());
      return Fail("ENOSPC took " + tp + " offline: " + s.ToString());
    }
    if (log.log_end_offset().value != end_before) {
      return Fail("a refused append moved the log end of " + tp + " from " + std::to_string(end_before) + " to " +
                  std::to_string(log.log_end_offset().value));
    }
    VerifyLive();
  }

  // Space returns: what was written is intact, and every partition that
  // refused an append during the window takes one now.
  void SpaceReturns() {
    Note("space returns");
    EndNoSpaceWindow();
    VerifyLive();
    std::set<std::pair<std::string, int32_t>> refused = std::move(hit_enospc_);
    hit_enospc_.clear();
    for (const auto& [name, partition] : refused) {
      if (!report_.ok() || report_.needs_power_cycle()) return;
      if (topics_.contains(name)) Append(name, partition);
    }
  }

  // An admin operation failed on a full disk: its outcome is settled by a
  // restart (either outcome is allowed, as for a power cut in its middle).
  void SettleByRestart(const std::string& what) {
    Crash("power cut to settle an admin operation refused on a full disk: " + what);
  }

  // Every partition read back against the model, on the running manager.
  void VerifyLive() {
    for (auto& [name, t] : topics_) {
      for (size_t p = 0; p < t.partitions.size() && report_.ok(); ++p) {
        VerifyPartition(name, int32_t(p), t.compacted, t.partitions[p], /*reopened=*/false);
      }
    }
  }

  // Cuts the power in the middle of a topic create, delete or grow (after
  // 1-12 file-system calls). The operation did not return, so after the
  // reopen either outcome is allowed; Verify() settles the model.
  void CrashDuringAdmin() {
    std::vector<std::string> dynamic;
    for (const auto& [name, t] : topics_) {
      if (t.dynamic) dynamic.push_back(name);
    }
    int kind = int(rng_.Below(dynamic.empty() ? 1 : 3));
    int n = 1 + int(rng_.Below(12));
    Uncertain u;
    absl::Status s;
    fs_.CrashAfter(n);
    if (kind == 0) {
      u.name = "dyn" + std::to_string(next_topic_++);
      u.kind = Uncertain::kCreate;
      u.partitions = 1 + int(rng_.Below(3));
      Note("create topic " + u.name + " with a power cut after " + std::to_string(n) + " fs calls");
      s = pm_->CreateTopic(u.name, u.partitions, {{"segment.bytes", "2048"}}).status();
    } else {
      u.name = dynamic[rng_.Below(dynamic.size())];
      u.kind = kind == 1 ? Uncertain::kDelete : Uncertain::kGrow;
      u.partitions = int(topics_[u.name].partitions.size()) + 1;
      Note(std::string(kind == 1 ? "delete" : "grow") + " topic " + u.name + " with a power cut after " +
           std::to_string(n) + " fs calls");
      s = kind == 1 ? pm_->DeleteTopic(u.name) : pm_->CreatePartitions(u.name, u.partitions);
    }
    if (!fs_.crashed()) {
      // Finished before the countdown: an ordinary operation.
      fs_.CrashAfter(0);
      if (!s.ok()) {
        uncertain_ = u;
        if (NoSpace(s)) return SettleByRestart("admin operation: " + s.ToString());
        return OpError("admin operation failed without a crash: " + s.ToString());
      }
      if (u.kind == Uncertain::kCreate) {
        ModelTopic t;
        t.dynamic = true;
        t.partitions.resize(size_t(u.partitions));
        for (auto& p : t.partitions) p.pid = next_pid_++;
        topics_[u.name] = std::move(t);
      } else if (u.kind == Uncertain::kDelete) {
        topics_.erase(u.name);
        deleted_.insert(u.name);
      } else {
        topics_[u.name].partitions.emplace_back();
        topics_[u.name].partitions.back().pid = next_pid_++;
      }
      return;
    }
    uncertain_ = u;
    pm_.reset();
    fs_.Revive();
    Reopen("power cut during an admin operation");
  }

  // Settles an operation interrupted by a power cut from what the reopened
  // manager shows (both outcomes are allowed).
  void SettleUncertain() {
    if (!uncertain_) return;
    Uncertain u = *uncertain_;
    uncertain_.reset();
    auto info = pm_->FindTopic(u.name);
    if (u.kind == Uncertain::kCreate) {
      if (!info) return;
      ModelTopic t;
      t.dynamic = true;
      t.partitions.resize(size_t(info->partitions));
      topics_[u.name] = std::move(t);
      if (info->partitions != u.partitions) Fail("half-created topic " + u.name + " has a wrong partition count");
    } else if (u.kind == Uncertain::kDelete) {
      if (info) return;
      topics_.erase(u.name);
      deleted_.insert(u.name);
    } else if (info && info->partitions == u.partitions) {
      topics_[u.name].partitions.emplace_back();
    }
  }

  // Records every partition's log start after a pass that may move it: a
  // reopen may find it lower (the deletion was not durable), never higher.
  void NoteLogStarts() {
    for (auto& [name, t] : topics_) {
      for (size_t p = 0; p < t.partitions.size(); ++p) {
        if (auto log = pm_->GetLog(TopicPartition{name, PartitionId(int32_t(p))})) {
          t.partitions[p].start_seen = std::max(t.partitions[p].start_seen, log->log_start_offset().value);
        }
      }
    }
  }

  // A random (topic, partition) of the model; false if none.
  bool Pick(std::string* name, int32_t* partition) {
    if (topics_.empty()) return false;
    auto it = topics_.begin();
    std::advance(it, long(rng_.Below(topics_.size())));
    *name = it->first;
    *partition = int32_t(rng_.Below(it->second.partitions.size()));
    return true;
  }

  void Append() {
    std::string name;
    int32_t partition;
    if (Pick(&name, &partition)) Append(name, partition);
  }

  void Append(const std::string& name, int32_t partition) {
    ModelTopic& t = topics_[name];
    ModelPartition& mp = t.partitions[size_t(partition)];
    bool idempotent = rng_.Chance(0.35);
    int batches = idempotent ? 1 : 1 + int(rng_.Below(3));
    std::vector<uint8_t> bytes;
    std::vector<std::vector<uint8_t>> originals;
    std::vector<int> counts;
    for (int b = 0; b < batches; ++b) {
      int count = 1 + int(rng_.Below(rng_.Chance(0.1) ? 40 : 6));
      size_t value_size = rng_.Below(rng_.Chance(0.1) ? 600 : 100);
      std::vector<testutil::TestRecord> records;
      for (int i = 0; i < count; ++i) {
        std::string value(value_size, char('a' + rng_.Below(26)));
        records.push_back({"k" + std::to_string(rng_.Below(t.compacted ? 8 : 50)), value, {}, int64_t(i)});
      }
      testutil::BatchOptions opts;
      opts.base_timestamp = now_.load();
      if (idempotent) {
        opts.producer_id = mp.pid;
        opts.producer_epoch = 0;
        opts.base_sequence = mp.next_seq;
      }
      originals.push_back(testutil::BuildBatch(records, opts));
      counts.push_back(count);
      bytes.insert(bytes.end(), originals.back().begin(), originals.back().end());
    }
    Note("append " + std::to_string(batches) + " batches to " + name + "-" + std::to_string(partition) +
         (idempotent ? " (idempotent)" : ""));
    auto log = pm_->GetLog(TopicPartition{name, PartitionId(partition)});
    if (!log) {
      Fail("no log for " + name + "-" + std::to_string(partition));
      return;
    }
    int64_t end_before = log->log_end_offset().value;
    auto result = log->Append(bytes);
    if (!result.ok() && full_) return AppendFailedOnFullDisk(name, partition, *log, end_before, result.status());
    if (!result.ok()) {
      OpError("append failed: " + result.status().ToString());
      return;
    }
    if (result->duplicate || result->base_offset.value != end_before) {
      Fail("append at " + std::to_string(result->base_offset.value) + ", log end was " +
           std::to_string(end_before) + (result->duplicate ? " (duplicate)" : ""));
      return;
    }
    auto acked = std::make_shared<std::atomic<bool>>(false);
    size_t pos = 0;
    int64_t next = end_before;
    for (size_t b = 0; b < originals.size(); ++b) {
      ModelBatch m;
      m.base = next;
      m.last = next + counts[b] - 1;
      m.bytes.assign(bytes.begin() + long(pos), bytes.begin() + long(pos + originals[b].size()));
      m.original = originals[b];
      m.acked = acked;  // one acknowledgement for the whole request
      if (idempotent) {
        m.pid = mp.pid;
        mp.next_seq += counts[b];
      }
      pos += originals[b].size();
      next = m.last + 1;
      mp.batches[m.base] = std::move(m);
    }
    if (next - 1 != result->last_offset.value) Fail("last offset mismatch");
    if (rng_.Chance(0.5)) {
      auto done = std::make_shared<std::promise<absl::Status>>();
      auto f = done->get_future();
      log->WaitDurable(result->last_offset, [done](absl::Status s) { done->set_value(s); });
      if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
        Fail("WaitDurable never completed");
        return;
      }
      absl::Status s = f.get();
      if (!s.ok()) {
        OpError("WaitDurable failed: " + s.ToString());
        return;
      }
      acked->store(true);
    } else {
      log->WaitDurable(result->last_offset, [acked](absl::Status s) {
        if (s.ok()) acked->store(true);
      });
    }
  }

  void RetryIdempotent() {
    std::string name;
    int32_t partition;
    if (!Pick(&name, &partition)) return;
    ModelPartition& mp = topics_[name].partitions[size_t(partition)];
    const ModelBatch* newest = nullptr;
    for (const auto& [base, m] : mp.batches) {
      if (m.pid == mp.pid) newest = &m;
    }
    auto log = pm_->GetLog(TopicPartition{name, PartitionId(partition)});
    if (!newest || !log || newest->base < log->log_start_offset().value) return;
    Note("retry newest idempotent batch of " + name + "-" + std::to_string(partition));
    std::vector<uint8_t> copy = newest->original;
    auto r = log->Append(copy);
    if (!r.ok()) {
      OpError("retry failed: " + r.status().ToString());
      return;
    }
    if (!r->duplicate || r->base_offset.value != newest->base || r->last_offset.value != newest->last) {
      Fail("retry of batch at " + std::to_string(newest->base) + " not recognised as a duplicate");
    }
  }

  void DeleteTopic() {
    std::vector<std::string> dynamic;
    for (const auto& [name, t] : topics_) {
      if (t.dynamic) dynamic.push_back(name);
    }
    if (dynamic.empty()) return;
    std::string name = dynamic[rng_.Below(dynamic.size())];
    Note("delete topic " + name);
    absl::Status s = pm_->DeleteTopic(name);
    if (!s.ok()) {
      uncertain_ = Uncertain{Uncertain::kDelete, name, 0};
      if (NoSpace(s)) return SettleByRestart("delete " + name + ": " + s.ToString());
      OpError("delete " + name + ": " + s.ToString());
      return;
    }
    topics_.erase(name);
    deleted_.insert(name);
  }

  void GrowTopic() {
    std::vector<std::string> dynamic;
    for (const auto& [name, t] : topics_) {
      if (t.dynamic) dynamic.push_back(name);
    }
    if (dynamic.empty()) return;
    std::string name = dynamic[rng_.Below(dynamic.size())];
    ModelTopic& t = topics_[name];
    int32_t total = int32_t(t.partitions.size()) + 1;
    Note("grow topic " + name + " to " + std::to_string(total) + " partitions");
    absl::Status s = pm_->CreatePartitions(name, total);
    if (!s.ok()) {
      uncertain_ = Uncertain{Uncertain::kGrow, name, total};
      if (NoSpace(s)) return SettleByRestart("create partitions of " + name + ": " + s.ToString());
      OpError("create partitions of " + name + ": " + s.ToString());
      return;
    }
    t.partitions.emplace_back();
    t.partitions.back().pid = next_pid_++;
  }

  void Roll() {
    std::string name;
    int32_t partition;
    if (!Pick(&name, &partition)) return;
    Note("roll " + name + "-" + std::to_string(partition));
    auto log = pm_->GetLog(TopicPartition{name, PartitionId(partition)});
    if (!log) return;
    absl::Status s = log->Roll();
    if (!s.ok() && NoSpace(s)) {
      // The flusher may meet an injected EIO right after the refused roll.
      if (log->offline() && !report_.EioSinceRestart(sim_)) {
        Fail("ENOSPC in a roll took " + name + " offline");
      }
      return;
    }
    if (!s.ok()) OpError("roll: " + s.ToString());
  }

  // After a reopen: topics, then every partition against the model. The
  // model then becomes what is on disk (lost unacknowledged tails go).
  void Verify() {
    SettleUncertain();
    std::set<std::string> listed;
    for (const auto& info : pm_->ListTopics()) listed.insert(info.name);
    for (const auto& [name, t] : topics_) {
      auto info = pm_->FindTopic(name);
      if (!info) {
        Fail("topic " + name + " whose create returned is missing");
        return;
      }
      if (info->partitions != int32_t(t.partitions.size())) {
        Fail("topic " + name + " has " + std::to_string(info->partitions) + " partitions, expected " +
             std::to_string(t.partitions.size()));
        return;
      }
      listed.erase(name);
    }
    for (const auto& name : deleted_) {
      if (pm_->FindTopic(name)) {
        Fail("deleted topic " + name + " came back");
        return;
      }
    }
    if (!listed.empty()) {
      Fail("unknown topic " + *listed.begin() + " appeared");
      return;
    }
    for (auto& [name, t] : topics_) {
      for (size_t p = 0; p < t.partitions.size() && report_.ok(); ++p) {
        VerifyPartition(name, int32_t(p), t.compacted, t.partitions[p], /*reopened=*/true);
      }
    }
  }

  // `reopened`: right after a reopen (the model then becomes what is on
  // disk); otherwise a check of the running manager that changes nothing.
  void VerifyPartition(const std::string& name, int32_t partition, bool compacted, ModelPartition& mp,
                       bool reopened) {
    std::string tp = name + "-" + std::to_string(partition);
    auto log = pm_->GetLog(TopicPartition{name, PartitionId(partition)});
    if (!log) {
      Fail("no log for " + tp);
      return;
    }
    if (!reopened && log->offline()) {
      // Offline after an injected fsync EIO (the machine is power-cycled
      // once an operation notices): reads are refused until then.
      if (!report_.EioSinceRestart(sim_)) Fail(tp + " is offline without an I/O error");
      return;
    }
    // Acknowledgements first: the flusher may acknowledge more while this
    // runs, and an acknowledgement follows the HW it needs.
    int64_t last_acked = -1;
    for (const auto& [base, m] : mp.batches) {
      if (m.acked->load()) last_acked = std::max(last_acked, m.last);
    }
    int64_t start = log->log_start_offset().value;
    int64_t end = log->log_end_offset().value;
    if (start > mp.start_seen) {
      Fail(tp + ": log start " + std::to_string(start) + " is past " + std::to_string(mp.start_seen) +
           ", the highest retention or cleaning left");
      return;
    }
    if (reopened) mp.start_seen = start;
    // After a reopen everything present is durable; while running the HW
    // is the durable point (checked against acknowledgements below).
    const int64_t hw = log->high_watermark().value;
    if (reopened ? hw != end : (hw > end || hw < start)) {
      Fail(tp + ": HW " + std::to_string(log->high_watermark().value) + " != log end " + std::to_string(end));
      return;
    }
    // Read everything present.
    std::map<int64_t, std::vector<uint8_t>> present;
    int64_t at = start;
    while (at < end) {
      auto read = log->Read(Offset(at), 1 << 20, Offset(end));
      if (!read.ok() && !reopened && log->offline() && report_.EioSinceRestart(sim_)) return;  // went offline meanwhile
      if (!read.ok() || read->slices.empty()) {
        Fail(tp + ": read at " + std::to_string(at) + " below log end " + std::to_string(end) + " (HW " +
             std::to_string(hw) + ") " + (read.ok() ? std::string("is empty") : "failed: " + read.status().ToString()));
        return;
      }
      auto bytes = storage::ReadBytes(read->slices);
      if (!bytes.ok()) {
        Fail(tp + ": read bytes: " + bytes.status().ToString());
        return;
      }
      std::span<const uint8_t> rest(*bytes);
      while (!rest.empty()) {
        auto h = ParseBatchHeader(rest);
        if (!h.ok() || h->total_size() > rest.size()) {
          Fail(tp + ": unparsable batch near " + std::to_string(at));
          return;
        }
        present[h->base_offset].assign(rest.begin(), rest.begin() + long(h->total_size()));
        rest = rest.subspan(h->total_size());
        at = h->last_offset() + 1;
      }
    }
    // Offsets strictly increasing, contiguous from the log start unless
    // compacted (and then the first batch still holds the log start or a
    // later offset).
    int64_t expect = start;
    std::map<int64_t, Record> present_records;
    for (const auto& [base, bytes] : present) {
      auto h = ParseBatchHeader(bytes);
      if (compacted ? h->last_offset() < expect : base != expect) {
        Fail(tp + ": batch at " + std::to_string(base) + ", expected " + std::to_string(expect));
        return;
      }
      expect = h->last_offset() + 1;
      if (compacted) {
        for (auto& [o, rec] : RecordsOf(bytes)) present_records[o] = rec;
        continue;
      }
      auto it = mp.batches.find(base);
      if (it == mp.batches.end()) {
        Fail(tp + ": batch at " + std::to_string(base) + " was never appended");
        return;
      }
      if (it->second.bytes != bytes) {
        Fail(tp + ": batch at " + std::to_string(base) + " differs from what was appended");
        return;
      }
    }
    if (end <= last_acked || hw <= last_acked) {
      Fail(tp + ": log end " + std::to_string(end) + ", HW " + std::to_string(hw) + " but offset " +
           std::to_string(last_acked) +
           " was acknowledged");
      return;
    }
    if (!compacted) {
      for (const auto& [base, m] : mp.batches) {
        if (m.acked->load() && base >= start && !present.contains(base)) {
          Fail(tp + ": acknowledged batch at " + std::to_string(base) + " is missing (log start " +
               std::to_string(start) + ")");
          return;
        }
      }
    } else {
      std::map<int64_t, Record> appended;  // every record appended, by offset
      std::map<std::string, int64_t> newest_acked;  // key -> offset
      for (const auto& [base, m] : mp.batches) {
        for (auto& [o, rec] : RecordsOf(m.bytes)) {
          appended[o] = rec;
          if (m.acked->load() && o >= start) newest_acked[rec.first] = o;
        }
      }
      for (const auto& [o, rec] : present_records) {
        auto it = appended.find(o);
        if (it == appended.end() || it->second != rec) {
          Fail(tp + ": record at " + std::to_string(o) + " (key " + rec.first + ") was never appended there");
          return;
        }
      }
      for (const auto& [key, o] : newest_acked) {
        bool kept = false;
        for (auto it = present_records.lower_bound(o); it != present_records.end() && !kept; ++it) {
          kept = it->second.first == key;
        }
        if (!kept) {
          Fail(tp + ": newest acknowledged record of key " + key + " at " + std::to_string(o) +
               " is gone with no newer one");
          return;
        }
      }
    }
    if (!reopened) return;
    // The model becomes the recovered log: what is present is durable now,
    // anything else was lost (offsets above the end will be reused).
    for (auto it = mp.batches.begin(); it != mp.batches.end();) {
      if (it->first >= end || (!compacted && it->first >= start && !present.contains(it->first))) {
        it = mp.batches.erase(it);
      } else {
        it->second.acked->store(true);
        ++it;
      }
    }
  }

  keel::testing::SimReport report_;
  Rng rng_;
  keel::testing::SimFileSystem sim_;
  keel::testing::CrashableFileSystem fs_;
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<int64_t> now_{1700000000000};
  std::unique_ptr<PartitionManager> pm_;
  std::map<std::string, ModelTopic> topics_;
  std::set<std::string> deleted_;
  struct Uncertain {
    enum Kind { kCreate, kDelete, kGrow } kind = kCreate;
    std::string name;
    int partitions = 0;  // create: its count; grow: the new total
  };
  std::optional<Uncertain> uncertain_;
  bool full_ = false;  // a disk-full window is open
  std::set<std::pair<std::string, int32_t>> hit_enospc_;  // partitions that refused an append in it
  int64_t next_pid_ = 1000;
  int next_topic_ = 0;
};

TEST(PartitionManagerSimulationTest, AcknowledgedDataAndTopicsSurvivePowerCuts) {
  auto tally = keel::testing::RunSimulationSeeds(20.0, [](uint64_t seed, bool verbose) {
    Simulation sim(seed, verbose);
    std::string failure = sim.Run();
    if (!failure.empty() && verbose) std::cout << sim.sim().Describe() << "\n";
    return failure;
  });
  EXPECT_EQ(tally.failures, 0);
  EXPECT_GT(tally.runs, 0);
}

}  // namespace
}  // namespace keel::partition
