// Deterministic simulation of storage::Log on SimFileSystem: random appends
// (plain and idempotent-producer batches), WaitDurable, flushes, rolls,
// retention, DeleteRecords, clean close, process crashes, power cuts, fsync
// EIO and ENOSPC. After every reopen it checks that every acknowledged batch
// is present byte-for-byte at its offset, offsets are contiguous, nothing
// unappended appears, the offset and time indexes agree with the data, and a
// retried idempotent batch is recognised as a duplicate.
// Each seed then runs TxnCompactionSimulation (below): transactional
// producers on a compacted log, with power cuts inside compaction rounds;
// the read_committed view and the LSO must match an uncompacted model.
//
// Env: KEEL_SIM_SECONDS bounds the run (default 25); KEEL_SIM_SEED replays one
// seed verbosely; KEEL_SIM_FIRST_SEED picks the first seed (default 1).
// Prints exactly one summary line: `power-cut seeds: <N> failures: <M>`.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/storage/log.h"
#include "keel/storage/producer_state.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "testutil/batch_builder.h"
#include "testutil/sim_file_system.h"
#include "testutil/sim_seeds.h"

namespace keel::storage {
namespace {

constexpr char kDir[] = "/data/topic-0";

// The generators carry this simulation's salts and scrambled seeds
// (sim_seeds.h), so consecutive seeds are unrelated runs.
class Rng : public keel::testing::SimRng {
 public:
  explicit Rng(uint64_t seed) : SimRng(seed, 0x1234567ULL, kScrambleSeed) {}
};

struct ModelBatch {
  int64_t base = 0;
  int64_t last = 0;
  int64_t max_ts = 0;
  std::vector<uint8_t> bytes;     // as written (offsets assigned)
  std::vector<uint8_t> original;  // as the producer sent it (for retries)
  bool acked = false;
  int64_t pid = -1;
  int32_t seq = -1;
  int32_t count = 0;
};

using Record = std::pair<std::string, std::string>;  // key, value

// The records of one batch by absolute offset.
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

struct Producer {
  int64_t pid;
  int32_t next_seq = 0;
};

enum class Profile { kPowerCuts, kFsyncEio, kNoSpace };

class Simulation {
 public:
  Simulation(uint64_t seed, bool verbose)
      : seed_(seed), verbose_(verbose), rng_(seed), fs_(seed ^ 0x5eed5eedULL) {
    logger_ = verbose ? std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::stdout_sink_mt>())
                      : std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::null_sink_mt>());
    profile_ = Profile(rng_.Below(3));
    config_.segment_bytes = 1024 + int64_t(rng_.Below(6000));
    config_.index_interval_bytes = 64 + int64_t(rng_.Below(1024));
    config_.preallocate_bytes = rng_.Chance(0.3) ? config_.segment_bytes : 0;
    config_.retention_ms = rng_.Chance(0.5) ? 2000 + int64_t(rng_.Below(20000)) : -1;
    config_.retention_bytes = rng_.Chance(0.4) ? 4000 + int64_t(rng_.Below(20000)) : -1;
    config_.segment_ms = rng_.Chance(0.3) ? 500 + int64_t(rng_.Below(5000)) : config_.segment_ms;
    if (rng_.Chance(0.3)) {
      config_.cleanup_compact = true;
      config_.cleanup_delete = rng_.Chance(0.5);
    }
    producers_.push_back({1000});
    producers_.push_back({1001});
  }

  // Returns an empty string on success, else what went wrong.
  std::string Run() {
    if (auto s = fs_.CreateDir("/data"); !s.ok()) return s.ToString();
    if (auto s = fs_.SyncDir("/"); !s.ok()) return s.ToString();
    if (!Reopen("initial open")) return failure_;
    int steps = 80 + int(rng_.Below(120));
    for (int i = 0; i < steps && failure_.empty(); ++i) Step(i);
    if (failure_.empty()) {
      log_.reset();
      fs_.PowerCut();
      Reopen("final power cut");
    }
    log_.reset();
    return failure_;
  }

  const keel::testing::SimFileSystem& fs() const { return fs_; }

 private:
  void Fail(const std::string& what) {
    if (!failure_.empty()) return;
    std::ostringstream out;
    out << "seed " << seed_ << " step " << step_ << " (" << last_op_ << "): " << what;
    failure_ = out.str();
  }
  void Note(const std::string& op) {
    last_op_ = op;
    if (verbose_) std::cout << "step " << step_ << ": " << op << std::endl;
  }

  std::shared_ptr<Log> OpenLog(absl::Status* status) {
    LogOptions o;
    o.dir = kDir;
    o.config = config_;
    o.fs = &fs_;
    o.clock_ms = [this] { return now_; };
    o.logger = logger_;
    auto log = Log::Open(std::move(o));
    if (!log.ok()) {
      *status = log.status();
      return nullptr;
    }
    return *log;
  }

  bool Reopen(const std::string& why) {
    Note("reopen after " + why);
    incarnation_++;
    fs_.FailNextDataSyncs(0);
    fs_.FailNextDirSyncs(0);
    absl::Status s;
    log_ = OpenLog(&s);
    if (!log_ && absl::IsResourceExhausted(s)) {
      // Recovery writes indexes and checkpoints: free space and try again.
      Note("space returns for reopen after: " + s.ToString());
      keel::testing::SimFaults f = fs_.faults();
      f.capacity_bytes.reset();
      fs_.SetFaults(f);
      log_ = OpenLog(&s);
    }
    if (!log_) {
      Fail("log does not open after " + why + ": " + s.ToString());
      return false;
    }
    offline_expected_ = false;
    VerifyRecovered();
    return failure_.empty();
  }

  void Step(int i) {
    step_ = i;
    now_ += int64_t(rng_.Below(400));
    uint64_t r = rng_.Below(100);
    if (r < 40) {
      Append();
    } else if (r < 55) {
      Note("flush round");
      absl::Status s = log_->FlushRound();
      if (!s.ok()) OnSyncFailure(s);
    } else if (r < 60) {
      Note("roll");
      absl::Status s = log_->Roll();
      if (!s.ok()) OnSyncFailure(s);
    } else if (r < 65) {
      Note("retention");
      auto n = log_->ApplyRetention(now_);
      if (!n.ok()) OnSyncFailure(n.status());
      PruneBelowStart();
    } else if (r < 68) {
      DeleteRecords();
    } else if (r < 72) {
      RetryLastIdempotent();
    } else if (r < 74) {
      VerifyLive();
    } else if (r < 76) {
      Compact();
    } else if (r < 79) {
      Note("clean close");
      absl::Status s = log_->Close();
      // Close may fail on an injected EIO (its fsyncs) or ENOSPC (index and
      // checkpoint writes); it must not fail otherwise.
      if (!s.ok() && fs_.stats().injected_eio == 0 && !absl::IsResourceExhausted(s)) {
        Fail("close failed: " + s.ToString());
      }
      log_.reset();
      if (!s.ok()) fs_.PowerCut();  // a failed close is handled like a crash after EIO
      Reopen(s.ok() ? "clean close" : "failed close");
    } else if (r < 82) {
      Note("process crash");
      log_.reset();
      // After an fsync EIO the lost pages may still sit in the page cache:
      // only a power cycle gives a state where they are really gone.
      if (offline_expected_) fs_.PowerCut();
      Reopen("process crash");
    } else if (r < 88) {
      Note("power cut");
      log_.reset();
      fs_.PowerCut();
      Reopen("power cut");
    } else if (r < 94) {
      InjectFault();
    } else {
      Note("space returns");
      keel::testing::SimFaults f = fs_.faults();
      f.capacity_bytes.reset();
      fs_.SetFaults(f);
    }
  }

  void InjectFault() {
    if (profile_ == Profile::kFsyncEio) {
      if (rng_.Chance(0.5)) {
        Note("next data sync fails with EIO");
        fs_.FailNextDataSyncs(1);
      } else {
        Note("next directory sync fails with EIO");
        fs_.FailNextDirSyncs(1);
      }
    } else if (profile_ == Profile::kNoSpace) {
      Note("disk nearly full");
      keel::testing::SimFaults f = fs_.faults();
      f.capacity_bytes = fs_.used_bytes() + rng_.Below(1500);
      fs_.SetFaults(f);
    } else {
      Note("no fault in this profile");
    }
  }

  // An error from a flush, roll, retention or delete: if it took the log
  // offline, nothing may be acknowledged or appended from now on. (An EIO on
  // a metadata file, e.g. a checkpoint, may leave the log online.)
  void OnSyncFailure(const absl::Status&) {
    if (log_->offline()) offline_expected_ = true;
  }

  void Append() {
    bool idempotent = rng_.Chance(0.35);
    int batches = idempotent ? 1 : 1 + int(rng_.Below(3));
    std::vector<uint8_t> bytes;
    std::vector<std::vector<uint8_t>> originals;
    std::vector<int32_t> counts;
    Producer* producer = idempotent ? &producers_[rng_.Below(producers_.size())] : nullptr;
    for (int b = 0; b < batches; ++b) {
      int count = 1 + int(rng_.Below(rng_.Chance(0.1) ? 60 : 8));
      size_t value_size = rng_.Below(rng_.Chance(0.1) ? 900 : 120);
      std::vector<testutil::TestRecord> records;
      for (int i = 0; i < count; ++i) {
        std::string value(value_size, char('a' + rng_.Below(26)));
        records.push_back({"k" + std::to_string(rng_.Below(20)), value, {}, int64_t(i)});
      }
      testutil::BatchOptions opts;
      opts.base_timestamp = now_;
      if (producer) {
        opts.producer_id = producer->pid;
        opts.producer_epoch = 0;
        opts.base_sequence = producer->next_seq;
      }
      originals.push_back(testutil::BuildBatch(records, opts));
      counts.push_back(count);
      bytes.insert(bytes.end(), originals.back().begin(), originals.back().end());
    }
    Note("append " + std::to_string(batches) + " batches, " + std::to_string(bytes.size()) + " bytes" +
         (producer ? " (producer " + std::to_string(producer->pid) + ")" : ""));
    int64_t end_before = log_->log_end_offset().value;
    auto result = log_->Append(bytes);
    if (!result.ok()) {
      const absl::Status& s = result.status();
      if (absl::IsResourceExhausted(s)) {
        if (log_->offline()) Fail("ENOSPC took the log offline: " + s.ToString());
        if (log_->log_end_offset().value != end_before) Fail("a failed append moved the log end");
        VerifyLive();
        return;
      }
      if (log_->offline()) {
        offline_expected_ = true;
        return;
      }
      Fail("append failed: " + s.ToString());
      return;
    }
    if (offline_expected_) {
      Fail("append succeeded on a log that had an fsync error");
      return;
    }
    if (result->duplicate) {
      Fail("a fresh batch was taken for a duplicate");
      return;
    }
    if (result->base_offset.value != end_before) {
      Fail("append at " + std::to_string(result->base_offset.value) + ", log end was " +
           std::to_string(end_before));
      return;
    }
    size_t pos = 0;
    int64_t next = end_before;
    int64_t last_of_all = result->last_offset.value;
    for (size_t b = 0; b < originals.size(); ++b) {
      ModelBatch m;
      m.base = next;
      m.count = counts[b];
      m.last = next + counts[b] - 1;
      m.max_ts = now_ + counts[b] - 1;
      m.bytes.assign(bytes.begin() + pos, bytes.begin() + pos + originals[b].size());
      m.original = originals[b];
      if (producer) {
        m.pid = producer->pid;
        m.seq = producer->next_seq;
        producer->next_seq += counts[b];
      }
      pos += originals[b].size();
      next = m.last + 1;
      batches_[m.base] = std::move(m);
    }
    if (next - 1 != last_of_all) Fail("last offset mismatch");
    // Ask for the acknowledgement of the whole request, as the produce path does.
    int64_t inc = incarnation_;
    int64_t first_base = end_before;
    log_->WaitDurable(Offset(last_of_all), [this, inc, first_base, last_of_all](absl::Status s) {
      if (!s.ok() || inc != incarnation_) return;
      for (auto it = batches_.lower_bound(first_base); it != batches_.end() && it->first <= last_of_all; ++it) {
        it->second.acked = true;
      }
    });
  }

  void Compact() {
    if (!config_.cleanup_compact) return;
    Note("compaction round");
    compacted_ = true;  // even a failed round may have swapped some groups
    auto stats = log_->Compact({});
    if (!stats.ok() && !absl::IsAborted(stats.status())) OnSyncFailure(stats.status());
  }

  void DeleteRecords() {
    int64_t hw = log_->high_watermark().value;
    int64_t start = log_->log_start_offset().value;
    int64_t target = start + int64_t(rng_.Below(uint64_t(hw - start + 1)));
    Note("delete records before " + std::to_string(target));
    auto r = log_->DeleteRecordsBefore(Offset(target));
    if (!r.ok()) {
      if (absl::IsUnavailable(r.status()) && offline_expected_) return;
      if (absl::IsResourceExhausted(r.status())) return;
      OnSyncFailure(r.status());
      return;
    }
    PruneBelowStart();
  }

  void PruneBelowStart() {
    if (!log_) return;
    int64_t start = log_->log_start_offset().value;
    while (!batches_.empty() && batches_.begin()->second.last < start) {
      deleted_[batches_.begin()->first] = std::move(batches_.begin()->second);
      batches_.erase(batches_.begin());
    }
  }

  // Re-sends the newest batch of a producer: it must come back as a duplicate
  // with its original offsets (unless the log is unusable or it was lost).
  void RetryLastIdempotent() {
    Producer& p = producers_[rng_.Below(producers_.size())];
    const ModelBatch* newest = nullptr;
    for (const auto& [base, m] : batches_) {
      if (m.pid == p.pid) newest = &m;
    }
    if (!newest || offline_expected_ || newest->base < log_->log_start_offset().value) return;
    Note("retry newest batch of producer " + std::to_string(p.pid));
    std::vector<uint8_t> copy = newest->original;
    auto r = log_->Append(copy);
    if (!r.ok()) {
      if (absl::IsResourceExhausted(r.status())) return;
      Fail("retry failed: " + r.status().ToString());
      return;
    }
    if (!r->duplicate || r->base_offset.value != newest->base || r->last_offset.value != newest->last) {
      Fail("retry of batch at " + std::to_string(newest->base) + " not recognised as a duplicate (got " +
           std::to_string(r->base_offset.value) + (r->duplicate ? ", duplicate)" : ", new)"));
    }
  }

  // Reads [log start, log end) and compares it with the model.
  void CheckContents(bool after_recovery) {
    int64_t start = log_->log_start_offset().value;
    int64_t end = log_->log_end_offset().value;
    if (after_recovery && log_->high_watermark().value != end) {
      Fail("HW " + std::to_string(log_->high_watermark().value) + " != log end " + std::to_string(end) +
           " after recovery");
      return;
    }
    std::map<int64_t, std::vector<uint8_t>> present;
    int64_t at = start;
    while (at < end) {
      auto read = log_->Read(Offset(at), 1 << 20, Offset(end));
      if (!read.ok()) {
        Fail("read at " + std::to_string(at) + ": " + read.status().ToString());
        return;
      }
      auto bytes = ReadBytes(read->slices);
      if (!bytes.ok()) {
        Fail("read bytes: " + bytes.status().ToString());
        return;
      }
      if (read->slices.empty()) {
        Fail("read at " + std::to_string(at) + " below log end " + std::to_string(end) + " returned nothing");
        return;
      }
      std::span<const uint8_t> rest(*bytes);
      while (!rest.empty()) {
        auto h = ParseBatchHeader(rest);
        if (!h.ok()) {
          Fail("unparsable batch in read at " + std::to_string(at));
          return;
        }
        size_t size = h->total_size();
        present[h->base_offset].assign(rest.begin(), rest.begin() + size);
        rest = rest.subspan(size);
        at = h->last_offset() + 1;
      }
    }
    // Every batch known to the model, byte-for-byte (or, once compaction
    // ran, a subset of its records); offsets contiguous (strictly increasing
    // once compaction ran).
    int64_t expect = -1;
    std::map<int64_t, Record> present_records;
    for (const auto& [base, bytes] : present) {
      auto h = ParseBatchHeader(bytes);
      if (expect >= 0 && (compacted_ ? base < expect : base != expect)) {
        Fail("gap or overlap: batch at " + std::to_string(base) + ", expected " + std::to_string(expect));
        return;
      }
      expect = h->last_offset() + 1;
      auto it = batches_.find(base);
      if (it == batches_.end() && after_recovery) {
        // Retention and DeleteRecords are durable only once their checkpoint
        // and directory fsync are: a crash (or an I/O error on the
        // checkpoint) before that brings deleted batches back.
        if (auto d = deleted_.find(base); d != deleted_.end()) {
          it = batches_.emplace(base, std::move(d->second)).first;
          deleted_.erase(d);
        }
      }
      if (it == batches_.end()) {
        Fail("batch at " + std::to_string(base) + " was never appended");
        return;
      }
      std::map<int64_t, Record> records = RecordsOf(bytes);
      if (it->second.bytes != bytes) {
        if (!compacted_) {
          Fail("batch at " + std::to_string(base) + " differs from what was appended");
          return;
        }
        std::map<int64_t, Record> original = RecordsOf(it->second.bytes);
        for (const auto& [offset, rec] : records) {
          auto o = original.find(offset);
          if (o == original.end() || o->second != rec) {
            Fail("compacted batch at " + std::to_string(base) + " has a record at " + std::to_string(offset) +
                 " that was never appended there");
            return;
          }
        }
      }
      present_records.insert(records.begin(), records.end());
    }
    if (!present.empty() && !compacted_ && expect != end) {
      Fail("log end " + std::to_string(end) + " != last batch end");
    }
    // Newest offset of each key still in the log (compaction keeps it).
    std::map<std::string, int64_t> newest_of_key;
    for (const auto& [offset, rec] : present_records) newest_of_key[rec.first] = offset;
    for (const auto& [base, m] : batches_) {
      if (m.last < start) continue;
      if (present.count(base)) continue;
      if (compacted_ && m.last < end) {
        // Wholly removed by compaction: each record must be superseded by a
        // newer one with its key.
        bool superseded = true;
        for (const auto& [offset, rec] : RecordsOf(m.bytes)) {
          auto n = newest_of_key.find(rec.first);
          if (offset >= start && (n == newest_of_key.end() || n->second <= offset)) superseded = false;
        }
        if (superseded) continue;
      }
      if (m.acked) {
        Fail("acknowledged batch " + std::to_string(base) + ".." + std::to_string(m.last) + " is missing");
        return;
      }
      if (!after_recovery) {
        Fail("batch " + std::to_string(base) + " vanished from a live log");
        return;
      }
    }
    if (compacted_) {
      // Every acknowledged record is present or superseded by a newer one.
      for (const auto& [base, m] : batches_) {
        if (!m.acked || m.last < start) continue;
        for (const auto& [offset, rec] : RecordsOf(m.bytes)) {
          if (offset < start || present_records.count(offset)) continue;
          auto n = newest_of_key.find(rec.first);
          if (n == newest_of_key.end() || n->second <= offset) {
            Fail("acknowledged record at " + std::to_string(offset) + " (key " + rec.first +
                 ") was removed without a newer value for its key");
            return;
          }
        }
      }
    }
    if (after_recovery) {
      // Forget what the crash lost; its offsets will be reused.
      for (auto it = batches_.begin(); it != batches_.end();) {
        bool keep = present.count(it->first) || it->second.last < start || (compacted_ && it->second.last < end);
        it = keep ? std::next(it) : batches_.erase(it);
      }
    }
    CheckIndexes(present, start);
  }

  // The offset index: a read from inside each batch finds that batch. The
  // time index: FindOffsetByTimestamp agrees with a scan of the model.
  void CheckIndexes(const std::map<int64_t, std::vector<uint8_t>>& present, int64_t start) {
    if (present.empty()) return;
    int64_t end = log_->log_end_offset().value;
    int64_t hw = log_->high_watermark().value;
    for (int probe = 0; probe < 6 && failure_.empty(); ++probe) {
      auto it = present.begin();
      std::advance(it, rng_.Below(present.size()));
      auto h = ParseBatchHeader(it->second);
      int64_t inside = std::max(start, h->base_offset + int64_t(rng_.Below(h->last_offset() - h->base_offset + 1)));
      auto read = log_->Read(Offset(inside), 1, Offset(end));
      if (!read.ok() || read->first_offset.value != h->base_offset) {
        Fail("offset index: read at " + std::to_string(inside) + " did not start at batch " +
             std::to_string(h->base_offset));
        return;
      }
      // Timestamps grow with offsets in this simulation, so the first batch
      // (below the HW) with max timestamp >= ts is easy to find.
      int64_t ts = h->max_timestamp - int64_t(rng_.Below(300));
      std::optional<int64_t> want;
      for (const auto& [base, bytes] : present) {
        auto hh = ParseBatchHeader(bytes);
        if (hh->last_offset() >= hw) break;
        if (hh->max_timestamp >= ts) {
          want = std::max(base, start);
          break;
        }
      }
      auto got = log_->OffsetForTimestamp(ts);
      if (verbose_ && (want.has_value() != got.ok() || (want && got->value != *want))) {
        for (const auto& [base, bytes] : present) {
          auto hh = ParseBatchHeader(bytes);
          std::cout << "  batch " << base << ".." << hh->last_offset() << " max_ts " << hh->max_timestamp
                    << " first_ts " << hh->base_timestamp << "\n";
        }
        auto raw = log_->FindOffsetByTimestamp(ts);
        if (raw.ok()) std::cout << "  log found ts " << raw->timestamp << " at " << raw->offset << "\n";
        for (const auto& [base, m] : deleted_) std::cout << "  deleted " << base << ".." << m.last << " max_ts " << m.max_ts << "\n";
      }
      if (want.has_value() != got.ok() || (want && got->value != *want)) {
        Fail("time index: timestamp " + std::to_string(ts) + " gave " +
             (got.ok() ? std::to_string(got->value) : got.status().ToString()) + ", expected " +
             (want ? std::to_string(*want) : "none"));
        return;
      }
    }
  }

  void VerifyLive() {
    Note("verify live log");
    if (log_->offline()) {
      // After an I/O error the log refuses reads as well as writes.
      offline_expected_ = true;
      auto r = log_->Read(log_->log_start_offset(), 1000, log_->log_end_offset());
      if (!absl::IsUnavailable(r.status())) Fail("an offline log answered a read: " + r.status().ToString());
      return;
    }
    CheckContents(false);
  }

  void VerifyRecovered() {
    CheckContents(true);
    if (!failure_.empty()) return;
    // Producer state: the newest batch of each producer still in the log must
    // be recognised as a duplicate; producers with nothing left start over.
    int64_t start = log_->log_start_offset().value;
    for (Producer& p : producers_) {
      const ModelBatch* newest = nullptr;
      for (const auto& [base, m] : batches_) {
        if (m.pid == p.pid) newest = &m;
      }
      if (!newest || newest->base < start) {
        p.pid = next_pid_++;
        p.next_seq = 0;
        continue;
      }
      p.next_seq = newest->seq + newest->count;  // an unacknowledged tail may be lost
      std::vector<uint8_t> copy = newest->original;
      auto r = log_->Append(copy);
      if (!r.ok()) {
        if (absl::IsResourceExhausted(r.status())) continue;
        Fail("retry after recovery failed: " + r.status().ToString());
        return;
      }
      if (!r->duplicate || r->base_offset.value != newest->base) {
        Fail("after recovery, a retry of producer " + std::to_string(p.pid) + "'s batch at " +
             std::to_string(newest->base) + " was not recognised as a duplicate");
        return;
      }
    }
  }

  uint64_t seed_;
  bool verbose_;
  Rng rng_;
  keel::testing::SimFileSystem fs_;
  std::shared_ptr<spdlog::logger> logger_;
  Profile profile_;
  LogConfig config_;
  std::shared_ptr<Log> log_;
  int64_t now_ = 1700000000000;
  int64_t incarnation_ = 0;
  bool offline_expected_ = false;
  bool compacted_ = false;  // a compaction round rewrote segments
  std::map<int64_t, ModelBatch> batches_;
  std::map<int64_t, ModelBatch> deleted_;  // removed by retention/DeleteRecords
  std::vector<Producer> producers_;
  int64_t next_pid_ = 2000;
  int step_ = -1;
  std::string last_op_;
  std::string failure_;
};

// Transactional producers on a compacted log (its own salt and file
// system, run for the same seeds): begin/data/COMMIT|ABORT, plain writes,
// flushes, rolls, producer expiry, compaction rounds (some cut by a power
// failure at a random directory operation), crashes, power cuts and clean
// closes. The model is the uncompacted history; after every compaction
// round and every reopen the log's read_committed view (computed the way a
// client does, from the fetch's aborted list and the markers) and its last
// stable offset must equal the model's.

// Forwards to a SimFileSystem; once armed, the n-th directory operation
// (rename, unlink, directory fsync) cuts the power first, and every call
// after that fails until Disarm().
class CuttingFileSystem : public FileSystem {
 public:
  explicit CuttingFileSystem(keel::testing::SimFileSystem& fs) : fs_(fs) {}
  void Arm(int nth) { countdown_ = nth; }
  void Disarm() {
    countdown_ = -1;
    cut_ = false;
  }
  bool cut() const { return cut_; }

  absl::StatusOr<std::shared_ptr<FileHandle>> Open(const std::string& path, OpenMode mode) override {
    if (cut_) return Dead();
    return fs_.Open(path, mode);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (Tick()) return Dead();
    return fs_.Rename(from, to);
  }
  absl::Status Unlink(const std::string& path) override {
    if (Tick()) return Dead();
    return fs_.Unlink(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    if (cut_) return Dead();
    return fs_.ListDir(dir);
  }
  absl::Status CreateDir(const std::string& dir) override {
    if (cut_) return Dead();
    return fs_.CreateDir(dir);
  }
  absl::Status RemoveDir(const std::string& dir) override {
    if (cut_) return Dead();
    return fs_.RemoveDir(dir);
  }
  absl::Status SyncDir(const std::string& dir) override {
    if (Tick()) return Dead();
    return fs_.SyncDir(dir);
  }
  absl::StatusOr<bool> Exists(const std::string& path) override {
    if (cut_) return Dead();
    return fs_.Exists(path);
  }
  absl::StatusOr<bool> IsDirectory(const std::string& path) override {
    if (cut_) return Dead();
    return fs_.IsDirectory(path);
  }

 private:
  static absl::Status Dead() { return absl::InternalError("power is off (simulated)"); }
  bool Tick() {
    if (cut_) return true;
    if (countdown_ < 0) return false;
    if (--countdown_ > 0) return false;
    countdown_ = -1;
    cut_ = true;
    fs_.PowerCut();
    return true;
  }
  keel::testing::SimFileSystem& fs_;
  int countdown_ = -1;
  bool cut_ = false;
};

class TxnRng : public keel::testing::SimRng {
 public:
  explicit TxnRng(uint64_t seed) : SimRng(seed, 0x7c0a9ac7ULL, kScrambleSeed) {}
};

class TxnCompactionSimulation {
 public:
  TxnCompactionSimulation(uint64_t seed, bool verbose)
      : seed_(seed), verbose_(verbose), rng_(seed), fs_(seed ^ 0x7a7a7a7aULL), cutter_(fs_) {
    logger_ = verbose ? std::make_shared<spdlog::logger>("txnsim", std::make_shared<spdlog::sinks::stdout_sink_mt>())
                      : std::make_shared<spdlog::logger>("txnsim", std::make_shared<spdlog::sinks::null_sink_mt>());
    config_.cleanup_compact = true;
    config_.cleanup_delete = false;
    config_.segment_bytes = 500 + int64_t(rng_.Below(2500));
    config_.index_interval_bytes = 64 + int64_t(rng_.Below(512));
    config_.delete_retention_ms = int64_t(rng_.Below(3)) * 1500;
    config_.min_cleanable_dirty_ratio = 0.0;
    for (int64_t pid : {500, 501, 502}) producers_[pid] = TxnProducer{};
  }

  std::string Run() {
    if (auto s = fs_.CreateDir("/data"); !s.ok()) return s.ToString();
    if (auto s = fs_.SyncDir("/"); !s.ok()) return s.ToString();
    if (!Reopen("initial open")) return failure_;
    int steps = 120 + int(rng_.Below(200));
    for (int i = 0; i < steps && failure_.empty(); ++i) Step(i);
    if (failure_.empty()) {
      log_.reset();
      fs_.PowerCut();
      Reopen("final power cut");
    }
    log_.reset();
    return failure_;
  }

  const keel::testing::SimFileSystem& fs() const { return fs_; }

 private:
  struct TxnProducer {
    int16_t epoch = 0;
    int32_t next_seq = 0;
    bool in_txn = false;
  };
  struct MBatch {
    int64_t pid = -1;
    bool transactional = false;
    std::optional<ControlType> control;
    std::vector<std::pair<std::string, std::optional<std::string>>> records;
    int64_t last = 0;
  };
  using View = std::map<std::string, std::string>;

  void Fail(const std::string& what) {
    if (!failure_.empty()) return;
    std::ostringstream out;
    out << "seed " << seed_ << " txn step " << step_ << " (" << last_op_ << "): " << what;
    failure_ = out.str();
  }
  void Note(const std::string& op) {
    last_op_ = op;
    if (verbose_) std::cout << "txn step " << step_ << ": " << op << std::endl;
  }

  bool Reopen(const std::string& why) {
    Note("reopen after " + why);
    cutter_.Disarm();
    LogOptions o;
    o.dir = kDir;
    o.config = config_;
    o.fs = &cutter_;
    o.clock_ms = [this] { return now_; };
    o.logger = logger_;
    auto log = Log::Open(std::move(o));
    if (!log.ok()) {
      Fail("log does not open after " + why + ": " + log.status().ToString());
      return false;
    }
    log_ = *log;
    const int64_t end = log_->log_end_offset().value;
    if (end < durable_end_) {
      Fail("recovered log end " + std::to_string(end) + " is below the durable end " + std::to_string(durable_end_));
      return false;
    }
    // What the crash lost is gone from the model too.
    model_.erase(model_.lower_bound(end), model_.end());
    durable_end_ = end;
    auto states = log_->ProducerStates();
    for (auto& [pid, p] : producers_) {
      auto it = states.find(pid);
      p.in_txn = false;
      p.next_seq = 0;
      if (it == states.end()) {
        p.epoch++;  // the producer's state is gone: it starts over as a new epoch would
        continue;
      }
      p.epoch = std::max<int16_t>(p.epoch, it->second.epoch);
      p.in_txn = it->second.txn_first_offset >= 0;
      p.next_seq = it->second.batches.empty() || it->second.epoch != p.epoch
                       ? 0
                       : it->second.batches.back().last_sequence + 1;
    }
    Check("after reopen");
    return failure_.empty();
  }

  void Step(int i) {
    step_ = i;
    now_ += int64_t(rng_.Below(300));
    uint64_t r = rng_.Below(100);
    if (r < 18) {
      AppendPlain();
    } else if (r < 45) {
      AppendTxnData();
    } else if (r < 58) {
      EndTxn();
    } else if (r < 68) {
      Note("flush round");
      if (auto s = log_->FlushRound(); !s.ok()) Fail("flush: " + s.ToString());
      durable_end_ = log_->high_watermark().value;
    } else if (r < 74) {
      Note("roll");
      if (auto s = log_->Roll(); !s.ok()) Fail("roll: " + s.ToString());
    } else if (r < 84) {
      Compact(false);
    } else if (r < 87) {
      Compact(true);
    } else if (r < 89) {
      Note("expire idle producers");
      log_->ExpireProducers(now_, 1);
      auto states = log_->ProducerStates();
      for (auto& [pid, p] : producers_) {
        if (!states.contains(pid)) {  // expired: it comes back with a new epoch
          p.epoch++;
          p.next_seq = 0;
        }
      }
    } else if (r < 92) {
      Note("clean close");
      if (auto s = log_->Close(); !s.ok()) Fail("close: " + s.ToString());
      durable_end_ = log_->log_end_offset().value;
      log_.reset();
      Reopen("clean close");
    } else if (r < 95) {
      Note("process crash");
      log_.reset();
      Reopen("process crash");
    } else {
      Note("power cut");
      log_.reset();
      fs_.PowerCut();
      Reopen("power cut");
    }
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> RandomRecords() {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    int n = 1 + int(rng_.Below(4));
    for (int i = 0; i < n; ++i) {
      std::optional<std::string> value;
      if (!rng_.Chance(0.06)) value = "v" + std::to_string(value_counter_++) + std::string(rng_.Below(80), 'x');
      out.emplace_back("k" + std::to_string(rng_.Below(12)), std::move(value));
    }
    return out;
  }

  std::vector<uint8_t> Encode(const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
                              const testutil::BatchOptions& opts) {
    std::vector<testutil::TestRecord> recs;
    for (const auto& [k, v] : records) recs.push_back({k, v, {}, 0});
    return testutil::BuildBatch(recs, opts);
  }

  void Append(std::vector<uint8_t> bytes, MBatch m) {
    auto r = log_->Append(bytes);
    if (!r.ok()) {
      Fail("append: " + r.status().ToString());
      return;
    }
    if (r->duplicate) {
      Fail("a fresh batch was taken for a duplicate");
      return;
    }
    m.last = r->last_offset.value;
    model_[r->base_offset.value] = std::move(m);
  }

  void AppendPlain() {
    MBatch m;
    m.records = RandomRecords();
    Note("append plain");
    testutil::BatchOptions opts;
    opts.base_timestamp = now_;
    std::vector<uint8_t> bytes = Encode(m.records, opts);
    Append(std::move(bytes), std::move(m));
  }

  void AppendTxnData() {
    auto it = producers_.begin();
    std::advance(it, rng_.Below(producers_.size()));
    auto& [pid, p] = *it;
    MBatch m;
    m.pid = pid;
    m.transactional = true;
    m.records = RandomRecords();
    testutil::BatchOptions opts;
    opts.base_timestamp = now_;
    opts.producer_id = pid;
    opts.producer_epoch = p.epoch;
    opts.base_sequence = p.next_seq;
    opts.attributes = batch_attr::kTransactional;
    Note("txn data of producer " + std::to_string(pid) + " seq " + std::to_string(p.next_seq));
    p.next_seq += int32_t(m.records.size());
    p.in_txn = true;
    std::vector<uint8_t> bytes = Encode(m.records, opts);
    Append(std::move(bytes), std::move(m));
  }

  void EndTxn() {
    std::vector<int64_t> open;
    for (const auto& [pid, p] : producers_) {
      if (p.in_txn) open.push_back(pid);
    }
    if (open.empty()) return;
    int64_t pid = open[rng_.Below(open.size())];
    TxnProducer& p = producers_[pid];
    ControlType type = rng_.Chance(0.45) ? ControlType::kAbort : ControlType::kCommit;
    Note(std::string(type == ControlType::kAbort ? "abort" : "commit") + " producer " + std::to_string(pid));
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = p.epoch;
    h.attributes = batch_attr::kTransactional | batch_attr::kControl;
    h.base_timestamp = now_;
    h.max_timestamp = now_;
    std::string key("\0\0\0", 3);
    key.push_back(char(type));
    std::string value(6, '\0');
    RecordInput rec;
    rec.key = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size());
    rec.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
    std::vector<RecordInput> recs{rec};
    MBatch m;
    m.pid = pid;
    m.transactional = true;
    m.control = type;
    p.in_txn = false;
    std::vector<uint8_t> bytes = BuildRecordBatch(h, recs, Compression::kNone);
    Append(std::move(bytes), std::move(m));
  }

  void Compact(bool cut) {
    now_ += rng_.Chance(0.5) ? config_.delete_retention_ms : 0;  // let horizons pass
    const View before = cut ? View{} : LogView();
    if (cut) {
      int nth = 1 + int(rng_.Below(10));
      Note("compaction round, power cut at directory operation " + std::to_string(nth));
      cutter_.Arm(nth);
    } else {
      Note("compaction round");
    }
    auto stats = log_->Compact({});
    if (cutter_.cut()) {
      log_.reset();
      Reopen("power cut during compaction");
      return;
    }
    cutter_.Disarm();
    if (!stats.ok()) {
      Fail("compaction: " + stats.status().ToString());
      return;
    }
    if (!cut && LogView() != before) Fail("compaction changed the read_committed view");
    Check("after compaction");
  }

  // The read_committed view as a client computes it from a fetch of
  // [log start, LSO): the aborted list plus the markers in the data.
  View LogView() {
    View view;
    const Offset lso = log_->last_stable_offset();
    auto r = log_->Read(log_->log_start_offset(), 1 << 30, lso);
    if (!r.ok()) {
      Fail("read: " + r.status().ToString());
      return view;
    }
    std::vector<AbortedTxn> aborted = log_->AbortedTransactions(log_->log_start_offset(), lso);
    std::sort(aborted.begin(), aborted.end(),
              [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
    size_t next_aborted = 0;
    std::set<int64_t> skipping;
    auto bytes = ReadBytes(r->slices);
    if (!bytes.ok()) {
      Fail("read bytes: " + bytes.status().ToString());
      return view;
    }
    std::span<const uint8_t> rest(*bytes);
    while (!rest.empty()) {
      auto h = ValidateBatch(rest.subspan(0, std::min(rest.size(), ParseBatchHeader(rest)->total_size())));
      if (!h.ok()) {
        Fail("invalid batch in the log: " + h.status().ToString());
        return view;
      }
      auto batch = rest.subspan(0, h->total_size());
      rest = rest.subspan(h->total_size());
      while (next_aborted < aborted.size() && aborted[next_aborted].first_offset <= h->last_offset()) {
        skipping.insert(aborted[next_aborted++].producer_id);
      }
      if (h->is_control()) {
        if (ParseControlType(batch) == ControlType::kAbort) skipping.erase(h->producer_id);
        continue;
      }
      if (h->is_transactional() && skipping.contains(h->producer_id)) continue;
      (void)ForEachRecord(batch, [&](const RecordView& v) {
        std::string key(reinterpret_cast<const char*>(v.key->data()), v.key->size());
        if (v.value) {
          view[key].assign(reinterpret_cast<const char*>(v.value->data()), v.value->size());
        } else {
          view.erase(key);
        }
        return absl::OkStatus();
      });
    }
    return view;
  }

  // The model's first unstable offset (a transaction without a marker yet).
  std::optional<int64_t> ModelFirstOpen() const {
    std::map<int64_t, int64_t> open;  // pid -> first offset
    for (const auto& [base, m] : model_) {
      if (!m.transactional) continue;
      if (m.control) {
        open.erase(m.pid);
      } else {
        open.try_emplace(m.pid, base);
      }
    }
    std::optional<int64_t> first;
    for (const auto& [pid, off] : open) first = first ? std::min(*first, off) : off;
    return first;
  }

  View ModelView(int64_t lso) const {
    // Each data batch's fate: the type of its producer's next marker.
    std::map<int64_t, bool> aborted;  // data batch base -> aborted
    std::map<int64_t, std::vector<int64_t>> pending;  // pid -> data batch bases
    for (const auto& [base, m] : model_) {
      if (!m.transactional) continue;
      if (m.control) {
        for (int64_t b : pending[m.pid]) aborted[b] = *m.control == ControlType::kAbort;
        pending.erase(m.pid);
      } else {
        pending[m.pid].push_back(base);
      }
    }
    View view;
    for (const auto& [base, m] : model_) {
      if (m.last >= lso) break;
      if (m.control) continue;
      if (m.transactional && aborted.at(base)) continue;
      for (const auto& [k, v] : m.records) {
        if (v) {
          view[k] = *v;
        } else {
          view.erase(k);
        }
      }
    }
    return view;
  }

  void Check(const std::string& when) {
    if (!failure_.empty() || !log_) return;
    const int64_t hw = log_->high_watermark().value;
    std::optional<int64_t> open = ModelFirstOpen();
    const int64_t want_lso = open ? std::min(*open, hw) : hw;
    const int64_t lso = log_->last_stable_offset().value;
    if (lso != want_lso) {
      Fail(when + ": LSO " + std::to_string(lso) + ", model says " + std::to_string(want_lso));
      return;
    }
    View got = LogView();
    View want = ModelView(lso);
    if (got != want) {
      std::ostringstream out;
      out << when << ": read_committed view differs from the model below LSO " << lso << ":";
      for (const auto& [k, v] : want) {
        auto g = got.find(k);
        if (g == got.end() || g->second != v) out << " " << k << " want " << v.substr(0, 8) << " got " << (g == got.end() ? "-" : g->second.substr(0, 8));
      }
      for (const auto& [k, v] : got) {
        if (!want.contains(k)) out << " " << k << " unexpected " << v.substr(0, 8);
      }
      Fail(out.str());
    }
  }

  uint64_t seed_;
  bool verbose_;
  TxnRng rng_;
  keel::testing::SimFileSystem fs_;
  CuttingFileSystem cutter_;
  std::shared_ptr<spdlog::logger> logger_;
  LogConfig config_;
  std::shared_ptr<Log> log_;
  int64_t now_ = 1700000000000;
  int64_t durable_end_ = 0;
  int64_t value_counter_ = 0;
  std::map<int64_t, TxnProducer> producers_;
  std::map<int64_t, MBatch> model_;  // every batch appended and not lost, uncompacted
  int step_ = -1;
  std::string last_op_;
  std::string failure_;
};

TEST(LogSimulationTest, AcknowledgedBatchesSurvivePowerCutsAndFaults) {
  auto tally = keel::testing::RunSimulationSeeds(25.0, [](uint64_t seed, bool verbose) {
    Simulation sim(seed, verbose);
    std::string failure = sim.Run();
    if (!failure.empty() && verbose) std::cout << sim.fs().Describe();
    if (!failure.empty()) return failure;
    TxnCompactionSimulation txn(seed, verbose);
    failure = txn.Run();
    if (!failure.empty() && verbose) std::cout << txn.fs().Describe();
    return failure;
  });
  EXPECT_EQ(tally.failures, 0);
  EXPECT_GT(tally.runs, 0);
}

}  // namespace
}  // namespace keel::storage
