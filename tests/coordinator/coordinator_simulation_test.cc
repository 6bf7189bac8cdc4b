// Deterministic-seed simulation of the group and transaction coordinators
// over PartitionCoordinatorLog over a PartitionManager on SimFileSystem
// (__consumer_offsets, __transaction_state and a data topic), wired and
// loaded as src/app/broker.cc does at start-up. Random operations: offset
// commits (simple, and of a consumer group's synced member), InitProducerId, AddPartitions / AddOffsets, transactional
// produce into the data topic, TxnOffsetCommit, EndTxn commit/abort, with
// power cuts (sometimes right after an unanswered commit or EndTxn) followed
// by a reload, and fsync EIO (an operation that fails then is not
// acknowledged, and the machine is power-cycled). Group "gm" has up to four
// members that join, sync, heartbeat, leave and let their sessions expire;
// groups gs0-gs2 and gm get multi-partition commits, OffsetDelete and
// DeleteGroups. Power cuts also land in the middle of 1-3 group requests in
// flight on different groups: right after the group coordinator's n-th
// append (records in the page cache, not synced), at its n-th durability
// acknowledgement (synced, never answered), or at a random moment
// (CrashPointLog sits between the coordinator and its log).
// Right after each reload gm must be absent only if every acknowledged
// generation's group was being deleted, else at a generation the
// coordinator formed, with exactly its members, not below the acknowledged
// one and not of a life whose deletion was acknowledged. Then, once every
// transaction has ended (the clock is moved past the transaction timeout
// and the coordinators ticked), it checks:
//   - a consumer group's synced generation and member survive;
//   - every acknowledged offset commit or deletion is what OffsetFetch
//     shows unless a later commit or deletion replaced it; no offset
//     appears that was never committed; no request is half-applied (one of
//     its partitions shows it, another cannot have); a group whose deletion
//     was acknowledged, with nothing after it, is gone;
//   - every transactional batch in the data partitions is followed by its
//     producer's marker (the LSO reaches the HW), all batches of one
//     transaction got the same outcome, and an acknowledged EndTxn's outcome
//     is that outcome; an acknowledged produce is present;
//   - a transaction's TxnOffsetCommit offsets are visible iff it committed
//     (the newest committed transaction's offset wins);
//   - producer id/epoch of a transactional id never go backwards.
//
// The flushers run on their own threads, so a seed replays the same
// operations but not always the same fsync timing. Seeds are scrambled
// (SimRng kScrambleSeed), so consecutive seeds are unrelated runs.
//
// Env: KEEL_SIM_SECONDS bounds the run (default 20); KEEL_SIM_SEED replays
// one seed verbosely (KEEL_SIM_LOG=1 adds the storage logs); KEEL_SIM_FIRST_SEED picks the first seed (default 1).
// Prints one summary line: `power-cut seeds: <N> failures: <M>`.
#include <algorithm>
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
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "keel/common/coding.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/coordinator/partition_coordinator_log.h"
#include "keel/coordinator/partition_txn_marker_writer.h"
#include "keel/coordinator/txn_coordinator.h"
#include "keel/partition/partition_manager.h"
#include "keel/server/producer_id_allocator.h"
#include "testutil/batch_builder.h"
#include "testutil/crashable_file_system.h"
#include "testutil/sim_file_system.h"
#include "testutil/sim_report.h"
#include "testutil/sim_seeds.h"

namespace keel::coordinator {
namespace {

constexpr char kData[] = "data";
constexpr int kDataPartitions = 3;
constexpr int kOffsetsPartitions = 3;
constexpr int kTxnPartitions = 2;
constexpr int32_t kTxnTimeoutMs = 60000;
const char* const kTxnIds[] = {"tx0", "tx1", "tx2"};

// The generator with this simulation's salt (seed -> sequence as before).
class Rng : public keel::testing::SimRng {
 public:
  explicit Rng(uint64_t seed) : SimRng(seed, 0xABCDEFULL, kScrambleSeed) {}
};

class SimClock final : public Clock {
 public:
  int64_t NowMs() const override { return now.load(); }
  std::atomic<int64_t> now{1700000000000};
};

// Waits for a callback's value; nullopt after `seconds`.
template <typename T>
std::optional<T> Await(std::future<T>& f, int seconds = 20) {
  if (f.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) return std::nullopt;
  return f.get();
}

// One transaction of a transactional id, as the model knows it.
struct ModelTxn {
  std::string id;
  int index = 0;  // per transactional id, increasing
  int64_t producer_id = -1;
  int16_t epoch = -1;
  std::optional<bool> acked_outcome;  // EndTxn answered kNone: commit?
  std::optional<bool> outcome;        // observed after a reload
  std::map<std::string, bool> batches;  // produced value -> produce acknowledged
  std::map<TopicPartition, int64_t> offsets;  // acknowledged TxnOffsetCommit
};

struct ModelProducer {
  bool inited = false;
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int64_t max_pid = -1;  // highest (pid, epoch) ever seen for the id
  int16_t max_epoch = -1;
  int open = -1;  // index into txns_ of the open transaction, -1 if none
  bool offsets_added = false;
  int64_t begin_ms = 0;                    // when the open transaction began
  std::set<int32_t> partitions;            // data partitions added
  std::map<int32_t, int32_t> next_seq;     // per data partition
};

// One event in the history of a group's committed offset of a partition.
struct OffsetEvent {
  std::optional<int64_t> value;  // nullopt: deleted (OffsetDelete, DeleteGroups)
  std::shared_ptr<std::atomic<bool>> acked = std::make_shared<std::atomic<bool>>(false);
  int op = -1;  // the request it came from (one request writes one batch)
};

// What the model knows of one life of group "gm" (it ends when the group is
// deleted, by DeleteGroups or by the coordinator's expiry of an empty group
// without offsets).
struct GmEra {
  std::map<int32_t, std::vector<std::string>> generations{{0, {}}};  // formed: generation -> members
  int32_t acked = -1;           // newest generation whose SyncGroup was answered
  bool delete_issued = false;   // a deletion was under way or done
  std::shared_ptr<std::atomic<bool>> delete_acked;  // DeleteGroups answered Ok
};

// The consumer-protocol subscription of gm's members: topic "in" (so
// OffsetDelete of "in" is refused while the group has members).
const Bytes kGmSubscription = {0, 0, 0, 0, 0, 1, 0, 2, 'i', 'n', 0xff, 0xff, 0xff, 0xff};
constexpr int32_t kGmSessionMs = 30000;

// A CoordinatorLog in front of the group coordinator's real one that can cut
// the power at two points of a write: right after the n-th append returned
// (the records are in the page cache, nothing waits for their fsync yet), or
// when the n-th durability acknowledgement arrives (the records are durable
// but the writer learns an error, as a client whose broker died before
// answering). Thread-safe; `inner` and `fs` must outlive it.
class CrashPointLog final : public CoordinatorLog {
 public:
  CrashPointLog(CoordinatorLog* inner, keel::testing::CrashableFileSystem* fs) : inner_(inner), fs_(fs) {}

  void CrashAfterAppend(int n) { appends_.store(n); }
  void CrashBeforeAck(int n) { acks_.store(n); }
  void Disarm() {
    appends_.store(-1);
    acks_.store(-1);
  }

  int32_t partition_count() const override { return inner_->partition_count(); }
  absl::StatusOr<int64_t> Append(int32_t partition, std::span<const CoordinatorRecord> records) override {
    auto r = inner_->Append(partition, records);
    AfterAppend(r.ok());
    return r;
  }
  absl::StatusOr<int64_t> AppendTransactional(int32_t partition, int64_t producer_id, int16_t producer_epoch,
                                              std::span<const CoordinatorRecord> records) override {
    auto r = inner_->AppendTransactional(partition, producer_id, producer_epoch, records);
    AfterAppend(r.ok());
    return r;
  }
  absl::StatusOr<int64_t> AppendMarker(int32_t partition, int64_t producer_id, int16_t producer_epoch,
                                       bool commit) override {
    auto r = inner_->AppendMarker(partition, producer_id, producer_epoch, commit);
    AfterAppend(r.ok());
    return r;
  }
  void WaitDurable(int32_t partition, int64_t last_offset, absl::AnyInvocable<void(absl::Status)> done) override {
    inner_->WaitDurable(partition, last_offset, [this, done = std::move(done)](absl::Status s) mutable {
      if (s.ok() && Hit(acks_)) {
        fs_->Crash();
        s = absl::UnavailableError("simulated power cut before the acknowledgement");
      }
      done(std::move(s));
    });
  }

 private:
  static bool Hit(std::atomic<int>& countdown) {
    int c = countdown.load();
    while (c > 0 && !countdown.compare_exchange_weak(c, c - 1)) {
    }
    return c == 1;
  }
  void AfterAppend(bool ok) {
    if (ok && Hit(appends_)) fs_->Crash();
  }

  CoordinatorLog* inner_;
  keel::testing::CrashableFileSystem* fs_;
  std::atomic<int> appends_{-1};
  std::atomic<int> acks_{-1};
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool verbose)
      : report_(seed, verbose), rng_(seed), sim_(seed ^ 0xFACEULL), fs_(&sim_),
        logger_(keel::testing::SimLogger(verbose)) {}

  std::string Run() {
    if (auto s = sim_.CreateDir("/d0"); !s.ok()) return s.ToString();
    if (auto s = sim_.SyncDir("/"); !s.ok()) return s.ToString();
    if (!Start("initial start")) return report_.failure();
    if (auto r = pm_->CreateTopic(kData, kDataPartitions, {}); !r.ok()) return r.status().ToString();
    int steps = 100 + int(rng_.Below(150));
    for (int i = 0; i < steps && report_.ok(); ++i) Step(i);
    if (report_.ok()) CrashAndReload("final power cut");
    Stop();
    return report_.failure();
  }

  keel::testing::SimFileSystem& sim() { return sim_; }

 private:
  void Fail(const std::string& what) { report_.Fail(what); }
  // An operation failed. Fine after an injected fsync EIO (not
  // acknowledged; the machine is power-cycled before the next step), a
  // failure otherwise.
  void OpError(const std::string& what) { report_.OpError(sim_, what); }
  void Note(const std::string& op) { report_.Note(op); }

  // As the broker starts: partitions, producer ids, __consumer_offsets and
  // the group coordinator, then __transaction_state and the transaction
  // coordinator, loaded in that order.
  bool Start(const std::string& why) {
    Note("start after " + why);
    sim_.FailNextDataSyncs(0);
    sim_.FailNextDirSyncs(0);
    report_.Restarted(sim_);
    partition::PartitionManagerOptions o;
    o.log_dirs = {"/d0"};
    o.fs = &fs_;
    o.clock_ms = [this] { return clock_.NowMs(); };
    o.retention_check_interval_ms = 3600000;
    o.cleaner_enable = false;
    o.logger = logger_;
    auto pm = partition::PartitionManager::Open(std::move(o));
    if (!pm.ok()) return Fail("partitions do not open: " + pm.status().ToString()), false;
    pm_ = std::move(*pm);
    auto ids = server::ProducerIdAllocator::Open(fs_, "/d0");
    if (!ids.ok()) return Fail("producer ids: " + ids.status().ToString()), false;
    ids_ = std::move(*ids);
    auto offsets_log = PartitionCoordinatorLog::Open(*pm_, kOffsetsPartitions, &clock_);
    if (!offsets_log.ok()) return Fail("offsets log: " + offsets_log.status().ToString()), false;
    offsets_log_ = std::move(*offsets_log);
    GroupCoordinatorConfig gcfg;
    gcfg.initial_rebalance_delay_ms = 0;
    crash_log_ = std::make_unique<CrashPointLog>(offsets_log_.get(), &fs_);
    groups_ = std::make_unique<GroupCoordinator>(gcfg, crash_log_.get(), &clock_);
    if (auto n = offsets_log_->LoadInto(*groups_); !n.ok()) {
      return Fail("group load: " + n.status().ToString()), false;
    }
    auto txn_log = PartitionCoordinatorLog::OpenTopic(*pm_, std::string(kTransactionStateTopic),
                                                      kTxnPartitions, &clock_, /*create_lazily=*/true);
    if (!txn_log.ok()) return Fail("txn log: " + txn_log.status().ToString()), false;
    txn_log_ = std::move(*txn_log);
    markers_ = std::make_unique<PartitionTxnMarkerWriter>(*pm_, groups_.get(), &clock_);
    txns_ = std::make_unique<TxnCoordinator>(TxnCoordinatorConfig{}, txn_log_.get(), markers_.get(),
                                             [this] { return ids_->Next(); }, &clock_);
    if (auto n = txn_log_->LoadInto(*txns_); !n.ok()) {
      return Fail("txn load: " + n.status().ToString()), false;
    }
    txns_->FinishLoading();
    return true;
  }

  // The machine dies: nothing written from now on reaches the disk. The
  // logs fail their waiters (into the still-living coordinators) before the
  // coordinators go away, as in the broker's shutdown order.
  void Stop(bool already_crashed = false) {
    if (!pm_) return;
    if (!already_crashed) fs_.Crash();
    (void)pm_->Shutdown();
    txns_.reset();
    markers_.reset();
    txn_log_.reset();
    groups_.reset();
    crash_log_.reset();
    offsets_log_.reset();
    pm_.reset();
    ids_.reset();
    fs_.Revive();
  }

  void CrashAndReload(const std::string& why, bool already_crashed = false) {
    Note(why);
    Stop(already_crashed);
    if (!Start(why)) return;
    VerifyAfterReload();
  }

  void Step(int i) {
    report_.SetStep(i);
    if (report_.needs_power_cycle()) return CrashAndReload("power cycle after an I/O error");
    clock_.now += int64_t(rng_.Below(30));
    uint64_t r = rng_.Below(100);
    if (rng_.Chance(0.04)) {
      // Every partition shares one log dir: an fsync EIO takes all of them
      // offline until the restart.
      Note("the next fsync fails with EIO");
      if (rng_.Chance(0.8)) {
        sim_.FailNextDataSyncs(1);
      } else {
        sim_.FailNextDirSyncs(1);
      }
      return;
    }
    if (r < 10) {
      SimpleCommitOp(/*then_crash=*/false);
    } else if (r < 12) {
      SimpleCommitOp(/*then_crash=*/true);
    } else if (r < 22) {
      GroupOp();
    } else if (r < 26) {
      CrashMidOperations();
    } else if (r < 90) {
      TxnOp(kTxnIds[rng_.Below(3)]);
    } else if (r < 96) {
      CrashAndReload("power cut");
    } else {
      Note("tick");
      GmHeartbeats();
      TickGroups();
      txns_->Tick();
    }
  }

  // Joins (or rejoins) the one member of consumer group "gc" and syncs;
  // false if that failed (then the simulation has failed).
  bool JoinGroupOp() {
    std::vector<std::string> members = groups_->MembersOf("gc");
    JoinRequest req;
    req.group_id = "gc";
    req.member_id = members.empty() ? "" : members.front();
    req.protocol_type = "consumer";
    req.protocols.push_back({"range", Bytes{1, 2, 3}});
    req.session_timeout_ms = 1000000;
    req.rebalance_timeout_ms = 60000;
    req.client_id = "sim";
    Note("join gc as " + (req.member_id.empty() ? std::string("a new member") : req.member_id));
    auto joined = std::make_shared<std::promise<JoinResult>>();
    auto jf = joined->get_future();
    groups_->Join(std::move(req), [joined](JoinResult r) { joined->set_value(std::move(r)); });
    for (int i = 0; i < 200 && jf.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready; ++i) {
      clock_.now += 50;
      TickGroups();
    }
    auto j = Await(jf);
    if (!j || j->error != GroupError::kNone) {
      if (!j) Fail("JoinGroup never answered");
      if (j) OpError("JoinGroup: " + std::to_string(int(j->error)));
      return false;
    }
    SyncRequest sync;
    sync.group_id = "gc";
    sync.generation = j->generation;
    sync.member_id = j->member_id;
    sync.assignments.push_back({j->member_id, Bytes{4, 5}});
    auto synced = std::make_shared<std::promise<SyncResult>>();
    auto sf = synced->get_future();
    groups_->Sync(std::move(sync), [synced](SyncResult r) { synced->set_value(std::move(r)); });
    auto r = Await(sf);
    if (!r || r->error != GroupError::kNone) {
      if (!r) Fail("SyncGroup never answered");
      if (r) OpError("SyncGroup: " + std::to_string(int(r->error)));
      return false;
    }
    member_ = {j->member_id, j->generation};
    return true;
  }

  void SimpleCommitOp(bool then_crash) {
    bool consumer = rng_.Chance(0.3);
    if (consumer && !member_ && !JoinGroupOp()) return;
    std::string group = consumer ? "gc" : "gs" + std::to_string(rng_.Below(3));
    TopicPartition tp{"in", PartitionId(int32_t(rng_.Below(4)))};
    AwaitNotDead(group);
    int64_t value = ++next_value_;
    Note("commit " + group + " " + tp.topic + "-" + std::to_string(tp.partition.value) + " = " +
         std::to_string(value) + (then_crash ? " then power cut" : ""));
    OffsetCommitRequest req;
    req.group_id = group;
    if (consumer) {
      req.member_id = member_->first;
      req.generation = member_->second;
    }
    req.partitions.push_back({tp, Offset(value), -1, std::nullopt});
    auto acked = std::make_shared<std::atomic<bool>>(false);
    if (deletes_.contains(group)) deletes_[group].later_commit = true;
    offsets_[{group, tp}].push_back({value, acked, next_op_++});
    auto done = std::make_shared<std::promise<std::vector<GroupError>>>();
    auto f = done->get_future();
    groups_->CommitOffsets(std::move(req), [done, acked](std::vector<GroupError> e) {
      if (e.size() == 1 && e[0] == GroupError::kNone) acked->store(true);
      done->set_value(std::move(e));
    });
    if (then_crash) {
      if (rng_.Chance(0.5)) std::this_thread::sleep_for(std::chrono::microseconds(rng_.Below(3000)));
      CrashAndReload("power cut after an unanswered commit");
      return;
    }
    auto e = Await(f);
    if (!e || e->size() != 1 || (*e)[0] != GroupError::kNone) {
      if (!e) return Fail("offset commit never answered");
      OpError("offset commit not acknowledged: " + (e->size() == 1 ? std::to_string(int((*e)[0])) : "?"));
    }
  }

  static bool After(int64_t pid, int16_t epoch, int64_t max_pid, int16_t max_epoch) {
    return pid > max_pid || (pid == max_pid && epoch >= max_epoch);
  }

  void TxnOp(const std::string& id) {
    ModelProducer& p = producers_[id];
    if (!p.inited) return InitOp(id, p);
    if (p.open < 0) return BeginOp(id, p);
    uint64_t r = rng_.Below(100);
    if (r < 45) return ProduceOp(id, p);
    if (r < 65 && p.offsets_added) return TxnOffsetCommitOp(id, p);
    if (r < 70) return AddMoreOp(id, p);
    EndOp(id, p);
  }

  void InitOp(const std::string& id, ModelProducer& p) {
    Note("init producer id of " + id);
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto done = std::make_shared<std::promise<InitProducerIdResult>>();
      auto f = done->get_future();
      txns_->InitProducerId(id, kTxnTimeoutMs, -1, -1,
                            [done](InitProducerIdResult r) { done->set_value(r); });
      auto r = Await(f);
      if (!r) return Fail("InitProducerId never answered");
      if (r->error == TxnError::kConcurrentTransactions) {
        // The previous transaction is still completing (markers).
        clock_.now += 1100;
        txns_->Tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (r->error != TxnError::kNone) {
        return OpError("InitProducerId: " + std::string(TxnErrorName(r->error)));
      }
      if (!After(r->producer_id, r->producer_epoch, p.max_pid, p.max_epoch) ||
          (r->producer_id == p.max_pid && r->producer_epoch == p.max_epoch)) {
        return Fail("InitProducerId of " + id + " went backwards or repeated: " +
                    std::to_string(r->producer_id) + "/" + std::to_string(r->producer_epoch) +
                    " after " + std::to_string(p.max_pid) + "/" + std::to_string(p.max_epoch));
      }
      p.inited = true;
      p.producer_id = p.max_pid = r->producer_id;
      p.epoch = p.max_epoch = r->producer_epoch;
      p.open = -1;
      p.next_seq.clear();
      return;
    }
    Fail("InitProducerId kept answering CONCURRENT_TRANSACTIONS");
  }

  // Retries CONCURRENT_TRANSACTIONS (the previous transaction's Complete*
  // record is still being written), as clients do.
  TxnError AddPartitions(const std::string& id, ModelProducer& p, const std::vector<TopicPartition>& tps) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto done = std::make_shared<std::promise<TxnError>>();
      auto f = done->get_future();
      txns_->AddPartitions(id, p.producer_id, p.epoch, tps, [done](TxnError e) { done->set_value(e); });
      auto e = Await(f);
      if (!e) return TxnError::kUnknownServerError;
      if (*e != TxnError::kConcurrentTransactions) return *e;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return TxnError::kConcurrentTransactions;
  }

  void BeginOp(const std::string& id, ModelProducer& p) {
    std::vector<TopicPartition> tps;
    std::set<int32_t> parts;
    int n = 1 + int(rng_.Below(2));
    for (int i = 0; i < n; ++i) parts.insert(int32_t(rng_.Below(kDataPartitions)));
    for (int32_t part : parts) tps.push_back({kData, PartitionId(part)});
    bool offsets = rng_.Chance(0.6);
    if (offsets) {
      tps.push_back({std::string(kConsumerOffsetsTopic), PartitionId(groups_->PartitionFor("gt-" + id))});
    }
    Note("begin a transaction of " + id + " on " + std::to_string(parts.size()) + " data partitions" +
         (offsets ? " and its group" : ""));
    TxnError e = AddPartitions(id, p, tps);
    if (e != TxnError::kNone) return OpError("AddPartitions: " + std::string(TxnErrorName(e)));
    ModelTxn t;
    t.id = id;
    t.index = next_txn_index_[id]++;
    t.producer_id = p.producer_id;
    t.epoch = p.epoch;
    txns_model_.push_back(std::move(t));
    p.open = int(txns_model_.size()) - 1;
    p.partitions = parts;
    p.offsets_added = offsets;
    p.begin_ms = clock_.NowMs();
  }

  void AddMoreOp(const std::string& id, ModelProducer& p) {
    int32_t part = int32_t(rng_.Below(kDataPartitions));
    Note("add data partition " + std::to_string(part) + " to the transaction of " + id);
    TxnError e = AddPartitions(id, p, {{kData, PartitionId(part)}});
    if (e != TxnError::kNone) return OpError("AddPartitions: " + std::string(TxnErrorName(e)));
    p.partitions.insert(part);
  }

  void ProduceOp(const std::string& id, ModelProducer& p) {
    auto it = p.partitions.begin();
    std::advance(it, long(rng_.Below(p.partitions.size())));
    int32_t part = *it;
    TopicPartition tp{kData, PartitionId(part)};
    ModelTxn& t = txns_model_[size_t(p.open)];
    int32_t seq = p.next_seq[part];
    std::string value = id + "|" + std::to_string(t.index) + "|" + std::to_string(part) + "|" + std::to_string(seq);
    Note("produce " + value);
    if (TxnError e = txns_->VerifyPartition(std::nullopt, p.producer_id, p.epoch, tp); e != TxnError::kNone) {
      return Fail("VerifyPartition of a produce: " + std::string(TxnErrorName(e)));
    }
    testutil::BatchOptions o;
    o.base_timestamp = clock_.NowMs();
    o.producer_id = p.producer_id;
    o.producer_epoch = p.epoch;
    o.base_sequence = seq;
    o.attributes = batch_attr::kTransactional;
    auto batch = testutil::BuildBatch({{id, value, {}, 0}}, o);
    auto log = pm_->GetLog(tp);
    if (!log) return Fail("no data log");
    auto r = log->Append(batch);
    if (!r.ok()) return OpError("transactional append: " + r.status().ToString());
    p.next_seq[part] = seq + 1;
    t.batches[value] = false;
    auto done = std::make_shared<std::promise<absl::Status>>();
    auto f = done->get_future();
    log->WaitDurable(r->last_offset, [done](absl::Status s) { done->set_value(s); });
    auto s = Await(f);
    if (!s) return Fail("WaitDurable never answered");
    if (!s->ok()) return OpError("transactional batch not durable: " + s->ToString());
    t.batches[value] = true;
  }

  void TxnOffsetCommitOp(const std::string& id, ModelProducer& p) {
    ModelTxn& t = txns_model_[size_t(p.open)];
    TopicPartition tp{"src", PartitionId(int32_t(rng_.Below(2)))};
    int64_t value = ++next_value_;
    std::string group = "gt-" + id;
    Note("txn offset commit " + group + " src-" + std::to_string(tp.partition.value) + " = " +
         std::to_string(value));
    TopicPartition offsets_tp{std::string(kConsumerOffsetsTopic), PartitionId(groups_->PartitionFor(group))};
    if (TxnError e = txns_->VerifyPartition(id, p.producer_id, p.epoch, offsets_tp); e != TxnError::kNone) {
      return Fail("VerifyPartition of a TxnOffsetCommit: " + std::string(TxnErrorName(e)));
    }
    TxnOffsetCommitRequest req;
    req.group_id = group;
    req.producer_id = p.producer_id;
    req.producer_epoch = p.epoch;
    req.partitions.push_back({tp, Offset(value), -1, std::nullopt});
    auto done = std::make_shared<std::promise<std::vector<GroupError>>>();
    auto f = done->get_future();
    groups_->CommitTxnOffsets(std::move(req), [done](std::vector<GroupError> e) { done->set_value(std::move(e)); });
    // Known before the answer: a failed write may still be durable.
    t.offsets[tp] = value;
    txn_offset_owner_[value] = size_t(p.open);
    auto e = Await(f);
    if (!e) return Fail("TxnOffsetCommit never answered");
    if (e->size() != 1 || (*e)[0] != GroupError::kNone) {
      return OpError("TxnOffsetCommit not acknowledged: " + (e->size() == 1 ? std::to_string(int((*e)[0])) : "?"));
    }
  }

  void EndOp(const std::string& id, ModelProducer& p) {
    bool commit = rng_.Chance(0.6);
    bool then_crash = rng_.Chance(0.25);
    size_t index = size_t(p.open);
    Note(std::string(commit ? "commit" : "abort") + " the transaction of " + id +
         (then_crash ? " then power cut" : ""));
    auto acked = std::make_shared<std::atomic<int>>(-1);  // -1 unanswered, 0 ok, 1 error
    auto done = std::make_shared<std::promise<TxnError>>();
    auto f = done->get_future();
    txns_->EndTxn(id, p.producer_id, p.epoch, commit, [done, acked](TxnError e) {
      acked->store(e == TxnError::kNone ? 0 : 1);
      done->set_value(e);
    });
    p.open = -1;
    if (then_crash) {
      if (rng_.Chance(0.5)) std::this_thread::sleep_for(std::chrono::microseconds(rng_.Below(3000)));
      fs_.Crash();
      // Whatever was answered before the cut is acknowledged.
      if (acked->load() == 0) txns_model_[index].acked_outcome = commit;
      CrashAndReload("power cut after EndTxn", /*already_crashed=*/true);
      return;
    }
    auto e = Await(f);
    if (!e) return Fail("EndTxn never answered");
    if (*e != TxnError::kNone) return OpError("EndTxn: " + std::string(TxnErrorName(*e)));
    txns_model_[index].acked_outcome = commit;
  }

  // Ends every transaction the crash left open or half-done: the clock
  // passes the transaction timeout, then ticks until nothing is pending.
  bool DriveToCompletion() {
    clock_.now += kTxnTimeoutMs + 1000;
    for (int round = 0; round < 400; ++round) {
      txns_->Tick();
      TickGroups();
      bool pending = false;
      for (const char* id : kTxnIds) {
        auto d = txns_->Describe(id);
        if (!d) continue;
        if (d->state != TxnState::kEmpty && d->state != TxnState::kCompleteCommit &&
            d->state != TxnState::kCompleteAbort) {
          pending = true;
        }
      }
      if (!pending) return true;
      clock_.now += 1100;  // past the marker retry backoff
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  void VerifyAfterReload() {
    if (!report_.ok()) return;
    // Producer ids / epochs as loaded.
    for (const char* id : kTxnIds) {
      ModelProducer& p = producers_[id];
      auto d = txns_->Describe(id);
      if (p.max_pid >= 0) {
        if (!d) return Fail(std::string("transactional id ") + id + " forgotten");
        if (!After(d->producer_id, d->producer_epoch, p.max_pid, p.max_epoch)) {
          return Fail(std::string("producer id/epoch of ") + id + " went back to " +
                      std::to_string(d->producer_id) + "/" + std::to_string(d->producer_epoch));
        }
      }
    }
    VerifyGm();
    if (!report_.ok()) return;
    if (!DriveToCompletion()) return Fail("transactions did not complete after reload");
    for (const char* id : kTxnIds) {
      ModelProducer& p = producers_[id];
      if (auto d = txns_->Describe(id)) {
        if (!After(d->producer_id, d->producer_epoch, p.max_pid, p.max_epoch)) {
          return Fail(std::string("producer id/epoch of ") + id + " went backwards while completing");
        }
        p.max_pid = d->producer_id;
        p.max_epoch = d->producer_epoch;
      }
      p.inited = false;  // the producer re-initializes after a restart
      p.open = -1;
    }
    VerifyMembership();
    VerifyDataPartitions();
    VerifyTxnOffsets();
    VerifyOffsets();
    // gm's clients: whoever the coordinator still holds (the clock jump of
    // the completion usually expired them all).
    SnapshotGm();
    gm_members_.clear();
    gm_generation_ = -1;
    if (groups_->StateOf("gm") == GroupState::kStable) {
      gm_members_ = groups_->MembersOf("gm");
      gm_generation_ = groups_->GenerationOf("gm").value_or(-1);
    }
  }

  // The consumer group's member and generation, once its SyncGroup was
  // answered, survive the reload (nothing rebalances it in between).
  void VerifyMembership() {
    if (!member_) return;
    auto gen = groups_->GenerationOf("gc");
    std::vector<std::string> members = groups_->MembersOf("gc");
    if (!gen || *gen != member_->second || members != std::vector<std::string>{member_->first}) {
      return Fail("group gc lost its synced generation " + std::to_string(member_->second) + " / member " +
                  member_->first + " (loaded generation " + (gen ? std::to_string(*gen) : "none") + ", " +
                  std::to_string(members.size()) + " members)");
    }
  }

  // Scans the data partitions: every transactional batch must be closed by
  // its producer's marker; records each transaction's observed outcome.
  void VerifyDataPartitions() {
    std::map<std::string, bool> seen;  // value -> committed
    for (int part = 0; part < kDataPartitions && report_.ok(); ++part) {
      auto log = pm_->GetLog({kData, PartitionId(part)});
      if (!log) return Fail("data partition missing");
      int64_t end = log->log_end_offset().value;
      if (log->last_stable_offset() != log->high_watermark() || log->high_watermark().value != end) {
        return Fail("data-" + std::to_string(part) + ": LSO " + std::to_string(log->last_stable_offset().value) +
                    " HW " + std::to_string(log->high_watermark().value) + " end " + std::to_string(end) +
                    " after every transaction completed");
      }
      std::map<int64_t, std::vector<std::string>> open;  // pid -> values awaiting a marker
      int64_t at = log->log_start_offset().value;
      while (at < end) {
        auto read = log->Read(Offset(at), 1 << 20, Offset(end));
        if (!read.ok() || read->slices.empty()) return Fail("data read failed");
        auto bytes = storage::ReadBytes(read->slices);
        if (!bytes.ok()) return Fail("data read bytes failed");
        std::span<const uint8_t> rest(*bytes);
        while (!rest.empty()) {
          auto h = ParseBatchHeader(rest);
          if (!h.ok() || h->total_size() > rest.size()) return Fail("unparsable data batch");
          std::span<const uint8_t> batch = rest.first(h->total_size());
          rest = rest.subspan(h->total_size());
          at = h->last_offset() + 1;
          std::vector<std::pair<std::string, std::string>> records;
          (void)ForEachRecord(batch, [&](const RecordView& r) {
            auto str = [](const std::optional<std::span<const uint8_t>>& b) {
              return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : std::string();
            };
            records.emplace_back(str(r.key), str(r.value));
            return absl::OkStatus();
          });
          if (h->is_control()) {
            if (records.size() != 1 || records[0].first.size() < 4) return Fail("malformed marker");
            bool commit = coding::LoadBE16(reinterpret_cast<const uint8_t*>(records[0].first.data()) + 2) == 1;
            for (const auto& v : open[h->producer_id]) seen[v] = commit;
            open.erase(h->producer_id);
          } else {
            for (const auto& [k, v] : records) open[h->producer_id].push_back(v);
          }
        }
      }
      for (const auto& [pid, values] : open) {
        if (!values.empty()) return Fail("batch " + values.front() + " of producer " + std::to_string(pid) +
                                         " has no marker after completion");
      }
    }
    for (auto& t : txns_model_) {
      for (const auto& [value, acked] : t.batches) {
        auto it = seen.find(value);
        if (it == seen.end()) {
          if (acked) return Fail("acknowledged transactional batch " + value + " is missing");
          continue;
        }
        if (!Observe(t, it->second, "its data batch " + value)) return;
      }
    }
  }

  // Records an observed outcome of `t`, failing on a contradiction.
  bool Observe(ModelTxn& t, bool commit, const std::string& where) {
    std::string name = t.id + "#" + std::to_string(t.index);
    if (t.acked_outcome && *t.acked_outcome != commit) {
      Fail("transaction " + name + " was acknowledged as " + (*t.acked_outcome ? "committed" : "aborted") +
           " but " + where + " says otherwise");
      return false;
    }
    if (t.outcome && *t.outcome != commit) {
      Fail("transaction " + name + " ended both ways (" + where + ")");
      return false;
    }
    t.outcome = commit;
    return true;
  }

  void VerifyTxnOffsets() {
    std::map<std::pair<std::string, TopicPartition>, std::vector<size_t>> touched;  // -> txns in order
    for (size_t i = 0; i < txns_model_.size(); ++i) {
      for (const auto& [tp, v] : txns_model_[i].offsets) touched[{"gt-" + txns_model_[i].id, tp}].push_back(i);
    }
    for (const auto& [key, list] : touched) {
      const auto& [group, tp] = key;
      auto fetched = groups_->FetchOffsets(group, std::vector<TopicPartition>{tp});
      if (fetched.offsets.size() != 1) return Fail("OffsetFetch shape");
      int64_t v = fetched.offsets[0].offset.value;
      std::optional<size_t> owner;
      if (v >= 0) {
        auto it = txn_offset_owner_.find(v);
        if (it == txn_offset_owner_.end() || !txns_model_[it->second].offsets.contains(tp) ||
            txns_model_[it->second].offsets.at(tp) != v) {
          return Fail(group + ": offset " + std::to_string(v) + " was never committed there");
        }
        owner = it->second;
        if (!Observe(txns_model_[*owner], true, "its visible offset " + std::to_string(v))) return;
      }
      for (size_t i : list) {
        ModelTxn& t = txns_model_[i];
        bool later = !owner || i > *owner;
        if (later && t.outcome && *t.outcome) {
          return Fail(group + ": committed transaction " + t.id + "#" + std::to_string(t.index) +
                      "'s offset is not visible (fetched " + std::to_string(v) + ")");
        }
        if (later && t.acked_outcome && *t.acked_outcome) {
          return Fail(group + ": acknowledged commit of " + t.id + "#" + std::to_string(t.index) +
                      " lost its offset (fetched " + std::to_string(v) + ")");
        }
      }
    }
  }

  // ---- group "gm": several members, heartbeats, leaves, expiry ----

  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::string Err(GroupError e) { return std::string(GroupErrorName(e)); }

  // A group the coordinator is deleting (Dead until its tombstone is
  // durable) refuses requests with COORDINATOR_NOT_AVAILABLE; clients retry.
  // Waits for the deletion to settle.
  void AwaitNotDead(const std::string& group) {
    for (int i = 0; i < 5000 && groups_->StateOf(group) == GroupState::kDead; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (group == "gm") SnapshotGm();
  }

  void TickGroups() {
    groups_->Tick();
    SnapshotGm();
  }

  // Records what the coordinator shows of gm now; called after anything
  // that may change it.
  void SnapshotGm() {
    GmEra& era = gm_eras_.back();
    auto state = groups_->StateOf("gm");
    const bool existed = era.acked >= 0 || era.generations.size() > 1;
    if (!state || *state == GroupState::kDead) {
      if (existed) era.delete_issued = true;
      if (!state) {
        if (existed) gm_eras_.push_back(GmEra{});
        gm_members_.clear();
        gm_generation_ = -1;
      }
      return;
    }
    if (*state == GroupState::kPreparingRebalance) return;
    if (auto gen = groups_->GenerationOf("gm")) era.generations[*gen] = Sorted(groups_->MembersOf("gm"));
  }

  // A rebalance of gm: every member the model holds rejoins (the leader
  // first so that a rebalance starts, or a new member first when `grow`),
  // then all sync, the leader last with an assignment for each. With
  // `tolerant` a power cut is armed: failures are expected, not checked.
  // True when the new generation was synced (acknowledged).
  bool GmRebalance(bool grow, bool tolerant) {
    AwaitNotDead("gm");
    std::vector<std::string> joiners = gm_members_;
    if (auto leader = groups_->LeaderOf("gm")) {
      auto it = std::find(joiners.begin(), joiners.end(), *leader);
      if (it != joiners.end()) std::rotate(joiners.begin(), it, it + 1);
    }
    if (grow || joiners.empty()) joiners.insert(joiners.begin(), "");
    if (deletes_.contains("gm")) deletes_["gm"].later_commit = true;
    Note("rebalance gm with " + std::to_string(joiners.size()) + " members" + (grow ? " (one new)" : "") +
         (tolerant ? " during a power cut" : ""));
    std::vector<std::future<JoinResult>> joins;
    for (const auto& id : joiners) {
      JoinRequest req;
      req.group_id = "gm";
      req.member_id = id;
      req.protocol_type = "consumer";
      req.protocols.push_back({"range", kGmSubscription});
      req.session_timeout_ms = kGmSessionMs;
      req.rebalance_timeout_ms = 20000;
      req.client_id = "gm";
      auto pr = std::make_shared<std::promise<JoinResult>>();
      joins.push_back(pr->get_future());
      groups_->Join(std::move(req), [pr](JoinResult r) { pr->set_value(std::move(r)); });
    }
    std::vector<JoinResult> results;
    for (auto& f : joins) {
      auto r = Await(f, 10);
      if (!r) return Fail("gm JoinGroup never answered"), false;
      results.push_back(std::move(*r));
    }
    for (const auto& r : results) {
      if (r.error != GroupError::kNone) {
        SnapshotGm();
        if (!tolerant) OpError("gm JoinGroup of " + r.member_id + ": " + Err(r.error));
        return false;
      }
    }
    const int32_t gen = results[0].generation;
    const std::string leader = results[0].leader;
    std::vector<std::string> ids, listed;
    for (const auto& r : results) {
      if (r.generation != gen || r.leader != leader) {
        return Fail("members of one gm rebalance got different generations or leaders"), false;
      }
      ids.push_back(r.member_id);
      if (r.member_id == leader) {
        for (const auto& m : r.members) listed.push_back(m.member_id);
      }
    }
    if (Sorted(ids) != Sorted(listed)) return Fail("gm leader's member list differs from who joined"), false;
    if (gm_generation_ >= 0 && gen <= gm_generation_) {
      return Fail("gm generation went from " + std::to_string(gm_generation_) + " to " + std::to_string(gen)), false;
    }
    gm_eras_.back().generations[gen] = Sorted(ids);
    gm_members_ = ids;
    gm_generation_ = gen;
    // Followers first (they wait for the leader's assignment), then the leader.
    std::vector<std::string> order = ids;
    std::stable_partition(order.begin(), order.end(), [&](const std::string& id) { return id != leader; });
    std::vector<std::future<SyncResult>> syncs;
    for (const auto& id : order) {
      SyncRequest sync;
      sync.group_id = "gm";
      sync.generation = gen;
      sync.member_id = id;
      if (id == leader) {
        for (size_t i = 0; i < ids.size(); ++i) sync.assignments.push_back({ids[i], Bytes{uint8_t(i)}});
      }
      auto pr = std::make_shared<std::promise<SyncResult>>();
      syncs.push_back(pr->get_future());
      groups_->Sync(std::move(sync), [pr](SyncResult r) { pr->set_value(std::move(r)); });
    }
    bool all_ok = true;
    std::string error;
    for (auto& f : syncs) {
      auto r = Await(f, 10);
      if (!r) return Fail("gm SyncGroup never answered"), false;
      if (r->error != GroupError::kNone) {
        all_ok = false;
        error = Err(r->error);
      }
    }
    if (!all_ok) {
      SnapshotGm();
      if (!tolerant) OpError("gm SyncGroup: " + error);
      return false;
    }
    GmEra& era = gm_eras_.back();
    era.acked = std::max(era.acked, gen);
    Note("gm generation " + std::to_string(gen) + " synced with " + std::to_string(ids.size()) + " members");
    SnapshotGm();
    return true;
  }

  // Every member heartbeats. As clients do, a member the coordinator
  // dropped is forgotten and a rebalance in progress is joined.
  void GmHeartbeats() {
    bool rejoin = false;
    for (auto it = gm_members_.begin(); it != gm_members_.end();) {
      GroupError e = groups_->Heartbeat("gm", gm_generation_, *it, std::nullopt);
      if (e == GroupError::kNone) {
        ++it;
      } else if (e == GroupError::kRebalanceInProgress) {
        rejoin = true;
        ++it;
      } else if (e == GroupError::kUnknownMemberId || e == GroupError::kIllegalGeneration) {
        Note("gm member " + *it + " was dropped: " + Err(e));
        it = gm_members_.erase(it);
        rejoin = true;
      } else {
        return Fail("gm heartbeat of " + *it + ": " + Err(e));
      }
    }
    if (!rejoin) return;
    if (gm_members_.empty()) {
      gm_generation_ = -1;
      SnapshotGm();
    } else {
      GmRebalance(false, false);
    }
  }

  void GmLeaveOp() {
    if (gm_members_.empty()) {
      GmRebalance(true, false);
      return;
    }
    size_t i = rng_.Below(gm_members_.size());
    std::string id = gm_members_[i];
    Note("gm member " + id + " leaves");
    LeaveResult r = groups_->Leave("gm", {MemberIdentity{id, std::nullopt}});
    if (r.error != GroupError::kNone || r.members.size() != 1 || r.members[0] != GroupError::kNone) {
      return Fail("LeaveGroup of " + id + ": " + Err(r.error));
    }
    gm_members_.erase(gm_members_.begin() + long(i));
    if (gm_members_.empty()) {
      gm_generation_ = -1;
      SnapshotGm();
    } else {
      GmRebalance(false, false);
    }
  }

  // gm's members stop heartbeating and their sessions expire. Not when a
  // transaction has been open for a while: the clock jump would time it out.
  void GmExpireOp() {
    for (const auto& [id, p] : producers_) {
      if (p.open >= 0 && clock_.NowMs() - p.begin_ms > kTxnTimeoutMs - kGmSessionMs - 10000) {
        return Note("gm's members keep heartbeating (transaction of " + id + " open for " +
                    std::to_string(clock_.NowMs() - p.begin_ms) + " ms)");
      }
    }
    Note("gm's " + std::to_string(gm_members_.size()) + " members stop heartbeating and expire");
    clock_.now += kGmSessionMs + 1;
    TickGroups();
    if (!groups_->MembersOf("gm").empty()) return Fail("gm members outlived their sessions");
    gm_members_.clear();
    gm_generation_ = -1;
  }

  std::vector<TopicPartition> RandomTps() {
    std::set<TopicPartition> out;
    int n = 1 + int(rng_.Below(3));
    for (int i = 0; i < n; ++i) {
      out.insert(TopicPartition{rng_.Chance(0.5) ? "in" : "aux", PartitionId(int32_t(rng_.Below(4)))});
    }
    return {out.begin(), out.end()};
  }
  static std::string Names(const std::vector<TopicPartition>& tps) {
    std::string out;
    for (const auto& tp : tps) out += (out.empty() ? "" : ",") + tp.topic + "-" + std::to_string(tp.partition.value);
    return out;
  }

  // An offset commit of several partitions (one batch) to `group`; gm
  // commits as one of its members. `wait` false: the answer is only
  // recorded (a power cut is armed).
  void CommitOp(const std::string& group, const std::vector<TopicPartition>& tps, bool wait) {
    AwaitNotDead(group);
    OffsetCommitRequest req;
    req.group_id = group;
    if (group == "gm") {
      if (gm_members_.empty()) return;
      req.member_id = gm_members_[rng_.Below(gm_members_.size())];
      req.generation = gm_generation_;
    }
    if (deletes_.contains(group)) deletes_[group].later_commit = true;
    int op = next_op_++;
    auto acked = std::make_shared<std::atomic<bool>>(false);
    std::string values;
    for (const auto& tp : tps) {
      int64_t value = ++next_value_;
      req.partitions.push_back({tp, Offset(value), -1, std::nullopt});
      offsets_[{group, tp}].push_back({value, acked, op});
      values += " " + std::to_string(value);
    }
    Note("commit " + group + " " + Names(tps) + " =" + values + (wait ? "" : " (unanswered)"));
    auto done = std::make_shared<std::promise<std::vector<GroupError>>>();
    auto f = done->get_future();
    inflight_->fetch_add(1);
    groups_->CommitOffsets(std::move(req), [done, acked, inflight = inflight_](std::vector<GroupError> e) {
      bool ok = true;
      for (GroupError x : e) ok = ok && x == GroupError::kNone;
      if (ok) acked->store(true);
      inflight->fetch_sub(1);
      done->set_value(std::move(e));
    });
    if (!wait) return;
    auto e = Await(f);
    if (!e) return Fail("offset commit never answered");
    if (!acked->load()) return OpError("offset commit of " + group + " not acknowledged");
  }

  // OffsetDelete. Expected: GROUP_ID_NOT_FOUND for a missing group, and
  // GROUP_SUBSCRIBED_TO_TOPIC for a topic gm's members consume.
  void DeleteOffsetsOp(const std::string& group, const std::vector<TopicPartition>& tps, bool wait) {
    AwaitNotDead(group);
    auto state = groups_->StateOf(group);
    const bool missing = !state || *state == GroupState::kDead;
    const bool members = !groups_->MembersOf(group).empty();
    int op = next_op_++;
    auto acked = std::make_shared<std::atomic<bool>>(false);
    std::vector<GroupError> expect_per;
    for (const auto& tp : tps) {
      bool subscribed = group == "gm" && members && tp.topic == "in";
      expect_per.push_back(subscribed ? GroupError::kGroupSubscribedToTopic : GroupError::kNone);
      if (!missing && !subscribed) offsets_[{group, tp}].push_back({std::nullopt, acked, op});
    }
    GroupError expect = missing ? GroupError::kGroupIdNotFound : GroupError::kNone;
    Note("delete offsets " + group + " " + Names(tps) + (wait ? "" : " (unanswered)") + ", expecting " + Err(expect));
    auto done = std::make_shared<std::promise<std::pair<GroupError, std::vector<GroupError>>>>();
    auto f = done->get_future();
    inflight_->fetch_add(1);
    groups_->DeleteOffsets(group, tps,
                           [done, acked, inflight = inflight_](GroupError top, std::vector<GroupError> per) {
                             if (top == GroupError::kNone) acked->store(true);
                             inflight->fetch_sub(1);
                             done->set_value({top, std::move(per)});
                           });
    if (!wait) return;
    auto r = Await(f);
    if (!r) return Fail("OffsetDelete never answered");
    if (r->first != expect) {
      if (expect == GroupError::kNone) return OpError("OffsetDelete of " + group + ": " + Err(r->first));
      return Fail("OffsetDelete of " + group + " answered " + Err(r->first) + ", expected " + Err(expect));
    }
    if (!missing && r->second != expect_per) return Fail("OffsetDelete of " + group + ": unexpected per-partition errors");
    if (missing) return;
    // Live: deleted offsets are gone, refused ones are still there.
    auto fetched = groups_->FetchOffsets(group, tps);
    for (size_t i = 0; i < tps.size() && i < fetched.offsets.size(); ++i) {
      if (expect_per[i] == GroupError::kNone && fetched.offsets[i].offset.value >= 0) {
        return Fail("OffsetDelete of " + group + " answered but " + Names({tps[i]}) + " still has offset " +
                    std::to_string(fetched.offsets[i].offset.value));
      }
    }
  }

  // DeleteGroups of one group. Expected: GROUP_ID_NOT_FOUND for a missing
  // group, NON_EMPTY_GROUP while it has members.
  void DeleteGroupsOp(const std::string& group, bool wait) {
    AwaitNotDead(group);
    auto state = groups_->StateOf(group);
    GroupError expect = !state || *state == GroupState::kDead ? GroupError::kGroupIdNotFound
                        : *state == GroupState::kEmpty        ? GroupError::kNone
                                                              : GroupError::kNonEmptyGroup;
    int op = next_op_++;
    auto acked = std::make_shared<std::atomic<bool>>(false);
    if (expect == GroupError::kNone) {
      for (auto& [key, history] : offsets_) {
        if (key.first == group) history.push_back({std::nullopt, acked, op});
      }
      deletes_[group] = GroupDelete{acked, false};
      if (group == "gm") {
        gm_eras_.back().delete_issued = true;
        gm_eras_.back().delete_acked = acked;
      }
    }
    Note("delete group " + group + (wait ? "" : " (unanswered)") + ", expecting " + Err(expect));
    auto done = std::make_shared<std::promise<std::vector<GroupError>>>();
    auto f = done->get_future();
    inflight_->fetch_add(1);
    groups_->DeleteGroups({group}, [done, acked, inflight = inflight_](std::vector<GroupError> e) {
      if (e.size() == 1 && e[0] == GroupError::kNone) acked->store(true);
      inflight->fetch_sub(1);
      done->set_value(std::move(e));
    });
    if (!wait) return;
    auto e = Await(f);
    if (!e) return Fail("DeleteGroups never answered");
    if (e->size() != 1) return Fail("DeleteGroups answer shape");
    if (group == "gm") SnapshotGm();
    if ((*e)[0] != expect) {
      if (expect == GroupError::kNone) return OpError("DeleteGroups of " + group + ": " + Err((*e)[0]));
      return Fail("DeleteGroups of " + group + " answered " + Err((*e)[0]) + ", expected " + Err(expect));
    }
    if (expect == GroupError::kNone && groups_->StateOf(group)) Fail("group " + group + " is still there after its deletion");
  }

  // Group operations on gm and the simple groups, answered one by one.
  void GroupOp() {
    GmHeartbeats();
    if (!report_.ok() || report_.needs_power_cycle()) return;
    static const char* const kGroups[] = {"gs0", "gs1", "gs2", "gm"};
    uint64_t r = rng_.Below(100);
    if (r < 25) {
      GmRebalance(gm_members_.size() < 4 && rng_.Chance(0.6), false);
    } else if (r < 40) {
      GmLeaveOp();
    } else if (r < 55) {
      if (gm_members_.empty()) {
        GmRebalance(true, false);
      } else {
        CommitOp("gm", RandomTps(), true);
      }
    } else if (r < 62) {
      GmExpireOp();
    } else if (r < 70) {
      CommitOp(kGroups[rng_.Below(3)], RandomTps(), true);
    } else if (r < 85) {
      DeleteOffsetsOp(kGroups[rng_.Below(4)], RandomTps(), true);
    } else {
      DeleteGroupsOp(kGroups[rng_.Below(4)], true);
    }
  }

  // 1-3 requests to different groups are in flight when the power goes:
  // right after the n-th append of the group coordinator (records written,
  // not synced), at its n-th durability acknowledgement (synced, not
  // answered), or at a random moment.
  void CrashMidOperations() {
    GmHeartbeats();
    if (!report_.ok() || report_.needs_power_cycle()) return;
    std::vector<std::string> groups = {"gs0", "gs1", "gs2", "gm"};
    for (size_t i = groups.size() - 1; i > 0; --i) std::swap(groups[i], groups[rng_.Below(i + 1)]);
    groups.resize(1 + rng_.Below(3));
    int kind = int(rng_.Below(3));
    int n = 1 + int(rng_.Below(3));
    Note(std::string("power cut ") +
         (kind == 0 ? "after append " + std::to_string(n) : kind == 1 ? "before acknowledgement " + std::to_string(n)
                                                                       : std::string("at a random moment")) +
         " of requests to " + std::to_string(groups.size()) + " groups");
    inflight_ = std::make_shared<std::atomic<int>>(0);
    if (kind == 0) crash_log_->CrashAfterAppend(n);
    if (kind == 1) crash_log_->CrashBeforeAck(n);
    bool rebalance_gm = false;
    for (const auto& g : groups) {
      uint64_t what = rng_.Below(10);
      if (g == "gm") {
        if (!gm_members_.empty() && what < 4) {
          CommitOp("gm", RandomTps(), false);
        } else if (what < 8) {
          rebalance_gm = true;
        } else if (gm_members_.empty() && what == 9) {
          DeleteGroupsOp("gm", false);
        } else {
          DeleteOffsetsOp("gm", RandomTps(), false);
        }
      } else if (what < 6) {
        CommitOp(g, RandomTps(), false);
      } else if (what < 8) {
        DeleteOffsetsOp(g, RandomTps(), false);
      } else {
        DeleteGroupsOp(g, false);
      }
    }
    if (rebalance_gm && !fs_.crashed()) GmRebalance(gm_members_.size() < 4 && rng_.Chance(0.5), /*tolerant=*/true);
    if (kind == 2) std::this_thread::sleep_for(std::chrono::microseconds(rng_.Below(3000)));
    for (int i = 0; i < 5000 && !fs_.crashed() && inflight_->load() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!fs_.crashed()) fs_.Crash();
    crash_log_->Disarm();
    CrashAndReload("power cut in the middle of group operations", /*already_crashed=*/true);
  }

  // gm after a reload (before anything expires it): absent only if every
  // acknowledged generation's group was being deleted; otherwise a
  // generation the coordinator formed, with exactly its members, not below
  // the acknowledged one, not of a life whose deletion was acknowledged,
  // and not of an earlier life than one with an acknowledged generation.
  void VerifyGm() {
    auto state = groups_->StateOf("gm");
    if (!state) {
      for (auto it = gm_eras_.rbegin(); it != gm_eras_.rend(); ++it) {
        if (it->acked < 0) continue;
        if (!it->delete_issued) {
          return Fail("group gm with acknowledged generation " + std::to_string(it->acked) + " is gone");
        }
        break;
      }
      gm_eras_ = {GmEra{}};
      return;
    }
    int32_t gen = groups_->GenerationOf("gm").value_or(-1);
    std::vector<std::string> members = Sorted(groups_->MembersOf("gm"));
    int match = -1;
    for (int e = int(gm_eras_.size()) - 1; e >= 0 && match < 0; --e) {
      const auto& gens = gm_eras_[size_t(e)].generations;
      auto it = gens.find(gen);
      if (it != gens.end() && it->second == members) match = e;
      // The members of a known generation all gone (expired in a tick that
      // may also have deleted the group, so the model never saw it).
      if (it == gens.end() && members.empty() && gens.contains(gen - 1)) match = e;
    }
    if (match < 0) {
      return Fail("gm loaded generation " + std::to_string(gen) + " with " + std::to_string(members.size()) +
                  " members, which the coordinator never formed");
    }
    GmEra& era = gm_eras_[size_t(match)];
    if (gen < era.acked) {
      return Fail("gm went back from acknowledged generation " + std::to_string(era.acked) + " to " +
                  std::to_string(gen));
    }
    if (era.delete_acked && era.delete_acked->load()) {
      return Fail("deleted group gm came back at generation " + std::to_string(gen));
    }
    for (size_t e = size_t(match) + 1; e < gm_eras_.size(); ++e) {
      if (gm_eras_[e].acked >= 0) {
        return Fail("gm is back at generation " + std::to_string(gen) + " of a deleted life; acknowledged generation " +
                    std::to_string(gm_eras_[e].acked) + " of its next life is lost");
      }
    }
    gm_eras_.resize(size_t(match) + 1);
    era.generations.erase(era.generations.upper_bound(gen), era.generations.end());
    era.acked = gen;  // durable now
    era.delete_issued = false;
    era.delete_acked.reset();
  }

  // Every committed-offset history against OffsetFetch after a reload: the
  // fetched state (a value, or none) is the outcome of an event at or after
  // the newest acknowledged one; no request is half-applied (one partition
  // shows it while another cannot have seen it); a group whose deletion was
  // acknowledged, with no commit after it, is gone. What was loaded then
  // becomes the history (it is durable).
  void VerifyOffsets() {
    std::map<int, std::pair<std::string, std::string>> shown;  // op -> (applied at, not applied at)
    for (auto& [key, history] : offsets_) {
      const auto& [group, tp] = key;
      auto fetched = groups_->FetchOffsets(group, std::vector<TopicPartition>{tp});
      if (fetched.offsets.size() != 1) return Fail("OffsetFetch shape");
      int64_t v = fetched.offsets[0].offset.value;
      std::string where = group + " " + tp.topic + "-" + std::to_string(tp.partition.value);
      int last_acked = -1;
      std::vector<int> outcome;  // events whose result is the fetched state; -1: before all
      if (v < 0) outcome.push_back(-1);
      for (int i = 0; i < int(history.size()); ++i) {
        const OffsetEvent& ev = history[size_t(i)];
        if (ev.acked->load()) last_acked = i;
        if (v < 0 ? !ev.value : ev.value == v) outcome.push_back(i);
      }
      if (outcome.empty()) return Fail(where + ": offset " + std::to_string(v) + " was never committed");
      if (outcome.back() < last_acked) {
        const OffsetEvent& lost = history[size_t(last_acked)];
        return Fail(where + ": fetched " + std::to_string(v) + " but " +
                    (lost.value ? "the commit of " + std::to_string(*lost.value) : std::string("a deletion")) +
                    " was acknowledged later");
      }
      for (int i = 0; i < int(history.size()); ++i) {
        int op = history[size_t(i)].op;
        if (op < 0) continue;
        if (outcome.front() >= i) shown[op].first = where;
        if (outcome.back() < i) shown[op].second = where;
      }
      std::vector<OffsetEvent> now;
      if (v >= 0) {
        now.push_back({v, std::make_shared<std::atomic<bool>>(true), -1});
      }
      history = std::move(now);
    }
    for (const auto& [op, at] : shown) {
      if (!at.first.empty() && !at.second.empty()) {
        return Fail("request " + std::to_string(op) + " is half-applied: " + at.first + " shows it, " + at.second +
                    " does not");
      }
    }
    for (const auto& [group, d] : deletes_) {
      if (d.acked->load() && !d.later_commit && groups_->StateOf(group)) {
        return Fail("deleted group " + group + " came back");
      }
    }
    deletes_.clear();
  }

  keel::testing::SimReport report_;
  Rng rng_;
  keel::testing::SimFileSystem sim_;
  keel::testing::CrashableFileSystem fs_;
  std::shared_ptr<spdlog::logger> logger_;
  SimClock clock_;
  std::unique_ptr<partition::PartitionManager> pm_;
  std::unique_ptr<server::ProducerIdAllocator> ids_;
  std::unique_ptr<PartitionCoordinatorLog> offsets_log_, txn_log_;
  std::unique_ptr<CrashPointLog> crash_log_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<PartitionTxnMarkerWriter> markers_;
  std::unique_ptr<TxnCoordinator> txns_;

  std::optional<std::pair<std::string, int32_t>> member_;  // gc's member id, generation (synced)
  std::map<std::string, ModelProducer> producers_;
  std::map<std::string, int> next_txn_index_;
  std::vector<ModelTxn> txns_model_;
  std::map<int64_t, size_t> txn_offset_owner_;  // offset value -> txn
  // Committed-offset histories of the non-transactional groups (gc, gs*, gm).
  std::map<std::pair<std::string, TopicPartition>, std::vector<OffsetEvent>> offsets_;
  struct GroupDelete {
    std::shared_ptr<std::atomic<bool>> acked;
    bool later_commit = false;  // a commit (or join) to the group came after it
  };
  std::map<std::string, GroupDelete> deletes_;  // newest DeleteGroups per group
  std::vector<GmEra> gm_eras_{GmEra{}};  // since the last reload; the last is the current one
  std::vector<std::string> gm_members_;  // members holding gm's current generation (client view)
  int32_t gm_generation_ = -1;
  std::shared_ptr<std::atomic<int>> inflight_ = std::make_shared<std::atomic<int>>(0);
  int next_op_ = 0;
  int64_t next_value_ = 0;
};

TEST(CoordinatorSimulationTest, AcknowledgedOffsetsAndTransactionsSurvivePowerCuts) {
  auto tally = keel::testing::RunSimulationSeeds(20.0, [](uint64_t seed, bool verbose) {
    Simulation sim(seed, verbose);
    std::string failure = sim.Run();
    return failure;
  });
  EXPECT_EQ(tally.failures, 0);
  EXPECT_GT(tally.runs, 0);
}

}  // namespace
}  // namespace keel::coordinator
