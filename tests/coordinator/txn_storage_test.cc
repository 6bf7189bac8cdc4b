// The transaction coordinator over real storage: __transaction_state created
// on first use, COMMIT/ABORT markers written into real partition logs (and
// through the group coordinator into __consumer_offsets), and the state
// replayed after a restart.
#include <gtest/gtest.h>

#include <future>

#include "keel/common/record_batch.h"
#include "keel/coordinator/partition_coordinator_log.h"
#include "keel/coordinator/partition_txn_marker_writer.h"
#include "keel/coordinator/txn_coordinator.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::coordinator {
namespace {

class TxnStorageTest : public ::testing::Test {
 protected:
  // One "broker": partitions, both coordinator logs and both coordinators.
  struct Node {
    std::unique_ptr<partition::PartitionManager> pm;
    std::unique_ptr<PartitionCoordinatorLog> offsets_log, txn_log;
    std::unique_ptr<GroupCoordinator> groups;
    std::unique_ptr<PartitionTxnMarkerWriter> markers;
    std::unique_ptr<TxnCoordinator> txns;
    bool shut_down = false;
    // As the broker stops: the logs flush (running their durability
    // callbacks into the coordinators) before the coordinators go away.
    void Shutdown() {
      if (!shut_down) EXPECT_TRUE(pm->Shutdown().ok());
      shut_down = true;
    }
    ~Node() { Shutdown(); }
  };

  std::unique_ptr<Node> Start() {
    auto n = std::make_unique<Node>();
    partition::PartitionManagerOptions o;
    o.log_dirs.push_back((tmp_.path() / "data").string());
    o.fs = fs_.get();
    o.retention_check_interval_ms = 60000;
    n->pm = std::move(*partition::PartitionManager::Open(std::move(o)));
    n->offsets_log = std::move(*PartitionCoordinatorLog::Open(*n->pm, 2, &clock_));
    n->groups = std::make_unique<GroupCoordinator>(GroupCoordinatorConfig{}, n->offsets_log.get(),
                                                   &clock_);
    EXPECT_TRUE(n->offsets_log->LoadInto(*n->groups).ok());
    n->txn_log = std::move(*PartitionCoordinatorLog::OpenTopic(
        *n->pm, std::string(kTransactionStateTopic), 3, &clock_, /*create_lazily=*/true));
    n->markers = std::make_unique<PartitionTxnMarkerWriter>(*n->pm, n->groups.get(), &clock_);
    n->txns = std::make_unique<TxnCoordinator>(TxnCoordinatorConfig{}, n->txn_log.get(),
                                               n->markers.get(), [this] { return next_pid_++; },
                                               &clock_);
    EXPECT_TRUE(n->txn_log->LoadInto(*n->txns).ok());
    n->txns->FinishLoading();
    return n;
  }

  static InitProducerIdResult Init(Node& n, const std::string& id) {
    std::promise<InitProducerIdResult> p;
    n.txns->InitProducerId(id, 60000, -1, -1, [&p](InitProducerIdResult r) { p.set_value(r); });
    return p.get_future().get();
  }
  static TxnError Add(Node& n, const std::string& id, const InitProducerIdResult& r,
                      std::vector<TopicPartition> tps) {
    std::promise<TxnError> p;
    n.txns->AddPartitions(id, r.producer_id, r.producer_epoch, std::move(tps),
                          [&p](TxnError e) { p.set_value(e); });
    return p.get_future().get();
  }
  static TxnError End(Node& n, const std::string& id, const InitProducerIdResult& r, bool commit) {
    std::promise<TxnError> p;
    n.txns->EndTxn(id, r.producer_id, r.producer_epoch, commit,
                   [&p](TxnError e) { p.set_value(e); });
    return p.get_future().get();
  }
  // Appends a transactional batch of the producer and waits for its fsync.
  static void Produce(storage::Log& log, const InitProducerIdResult& r, int32_t sequence) {
    testutil::BatchOptions o;
    o.producer_id = r.producer_id;
    o.producer_epoch = r.producer_epoch;
    o.base_sequence = sequence;
    o.attributes = batch_attr::kTransactional;
    auto batch = testutil::BuildBatch({{"k", "v"}}, o);
    auto appended = log.Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.status();
    std::promise<absl::Status> p;
    log.WaitDurable(appended->last_offset, [&p](absl::Status st) { p.set_value(st); });
    ASSERT_TRUE(p.get_future().get().ok());
  }

  testutil::TempDir tmp_;
  std::unique_ptr<storage::FileSystem> fs_ = storage::NewPosixFileSystem();
  SystemClock clock_;
  int64_t next_pid_ = 5000;
};

TEST_F(TxnStorageTest, TransactionStateTopicIsCreatedOnFirstUse) {
  auto n = Start();
  EXPECT_FALSE(n->pm->FindTopic(kTransactionStateTopic).has_value());
  EXPECT_EQ(n->txn_log->partition_count(), 3);
  ASSERT_EQ(Init(*n, "t").error, TxnError::kNone);
  auto info = n->pm->FindTopic(kTransactionStateTopic);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->partitions, 3);
  EXPECT_TRUE(info->internal);
}

TEST_F(TxnStorageTest, CommitMarkersReachThePartitionsAndStateSurvivesRestart) {
  InitProducerIdResult r;
  {
    auto n = Start();
    ASSERT_TRUE(n->pm->CreateTopic("out", 2, {}).ok());
    r = Init(*n, "tx");
    ASSERT_EQ(r.error, TxnError::kNone);
    TopicPartition out0{"out", PartitionId(0)}, out1{"out", PartitionId(1)};
    ASSERT_EQ(Add(*n, "tx", r, {out0, out1}), TxnError::kNone);
    auto log0 = n->pm->GetLog(out0);
    Produce(*log0, r, 0);
    // The open transaction holds the last stable offset at its first batch.
    EXPECT_EQ(log0->last_stable_offset(), Offset(0));
    ASSERT_EQ(End(*n, "tx", r, true), TxnError::kNone);
    // The COMMIT marker follows the batch (offset 1) and is durable.
    EXPECT_EQ(log0->log_end_offset(), Offset(2));
    EXPECT_EQ(log0->last_stable_offset(), Offset(2));
    EXPECT_EQ(n->pm->GetLog(out1)->log_end_offset(), Offset(1));  // marker only
    EXPECT_TRUE(log0->AbortedTransactions(Offset(0), Offset(2)).empty());
    n->Shutdown();
  }
  auto n = Start();
  auto d = n->txns->Describe("tx");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, TxnState::kCompleteCommit);
  EXPECT_EQ(d->producer_id, r.producer_id);
  // The producer id is never handed out again.
  EXPECT_NE(Init(*n, "other").producer_id, r.producer_id);
}

TEST_F(TxnStorageTest, AbortIsListedForReadCommittedFetches) {
  auto n = Start();
  ASSERT_TRUE(n->pm->CreateTopic("out", 1, {}).ok());
  auto r = Init(*n, "tx");
  TopicPartition out0{"out", PartitionId(0)};
  ASSERT_EQ(Add(*n, "tx", r, {out0}), TxnError::kNone);
  auto log0 = n->pm->GetLog(out0);
  Produce(*log0, r, 0);
  Produce(*log0, r, 1);
  ASSERT_EQ(End(*n, "tx", r, false), TxnError::kNone);
  auto aborted = log0->AbortedTransactions(Offset(0), Offset(3));
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].producer_id, r.producer_id);
  EXPECT_EQ(aborted[0].first_offset, 0);
  EXPECT_EQ(aborted[0].last_offset, 2);
  EXPECT_EQ(log0->last_stable_offset(), Offset(3));
}

TEST_F(TxnStorageTest, TransactionalOffsetsCommitThroughTheGroupPartition) {
  auto n = Start();
  auto r = Init(*n, "tx");
  TopicPartition offsets_tp{std::string(kConsumerOffsetsTopic),
                            PartitionId(n->groups->PartitionFor("g"))};
  ASSERT_EQ(Add(*n, "tx", r, {offsets_tp}), TxnError::kNone);
  EXPECT_EQ(n->txns->VerifyPartition(std::string("tx"), r.producer_id, r.producer_epoch,
                                     offsets_tp),
            TxnError::kNone);
  TxnOffsetCommitRequest req;
  req.group_id = "g";
  req.producer_id = r.producer_id;
  req.producer_epoch = r.producer_epoch;
  req.partitions.push_back({TopicPartition{"in", PartitionId(0)}, Offset(42), -1, ""});
  std::promise<std::vector<GroupError>> p;
  n->groups->CommitTxnOffsets(req, [&p](std::vector<GroupError> e) { p.set_value(e); });
  ASSERT_EQ(p.get_future().get(), std::vector<GroupError>{GroupError::kNone});
  auto fetch = [&] {
    return n->groups->FetchOffsets("g", std::vector<TopicPartition>{{"in", PartitionId(0)}})
        .offsets.at(0)
        .offset;
  };
  EXPECT_EQ(fetch(), Offset(-1));
  ASSERT_EQ(End(*n, "tx", r, true), TxnError::kNone);
  EXPECT_EQ(fetch(), Offset(42));
  // And after a restart the committed offset is replayed from the log.
  n.reset();
  n = Start();
  EXPECT_EQ(fetch(), Offset(42));
}

}  // namespace
}  // namespace keel::coordinator
