// The transaction coordinator's state machine, driven by a manual clock, an
// in-memory __transaction_state and a marker writer that records (and can
// hold or fail) marker writes.
#include "keel/coordinator/txn_coordinator.h"

#include <gtest/gtest.h>

#include <optional>

#include "fake_coordinator_log.h"
#include "keel/protocol/error_code.h"

namespace keel::coordinator {
namespace {

using testing::FakeCoordinatorLog;
using testing::ManualClock;

TopicPartition TP(const std::string& t, int32_t p) { return TopicPartition{t, PartitionId(p)}; }

struct MarkerCall {
  int64_t producer_id;
  int16_t epoch;
  bool commit;
  std::vector<TopicPartition> partitions;
};

class RecordingMarkerWriter final : public TxnMarkerWriter {
 public:
  void WriteMarkers(int64_t producer_id, int16_t producer_epoch, bool commit,
                    std::vector<TopicPartition> partitions,
                    absl::AnyInvocable<void(absl::Status)> done) override {
    calls.push_back({producer_id, producer_epoch, commit, partitions});
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    done(fail);
  }
  void ReleaseAll(absl::Status st = absl::OkStatus()) {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(st);
  }
  std::vector<MarkerCall> calls;
  std::vector<absl::AnyInvocable<void(absl::Status)>> held;
  bool hold = false;
  absl::Status fail;
};

class TxnCoordinatorTest : public ::testing::Test {
 protected:
  TxnCoordinatorTest() { Restart(); }

  // A fresh coordinator replaying everything the log holds.
  void Restart() {
    coordinator_ = std::make_unique<TxnCoordinator>(config_, &log_, &markers_,
                                                    [this] { return next_pid_++; }, &clock_);
    for (const auto& [p, records] : log_.records()) {
      for (const auto& r : records) {
        std::optional<std::span<const uint8_t>> value;
        if (r.value) value = std::span<const uint8_t>(*r.value);
        ASSERT_TRUE(coordinator_->ReplayStored(r.key, value).ok());
      }
    }
    coordinator_->FinishLoading();
  }

  InitProducerIdResult Init(const std::string& id, int32_t timeout = 60000, int64_t pid = -1,
                            int16_t epoch = -1) {
    std::optional<InitProducerIdResult> out;
    coordinator_->InitProducerId(id, timeout, pid, epoch,
                                 [&](InitProducerIdResult r) { out = r; });
    EXPECT_TRUE(out.has_value()) << "InitProducerId not answered";
    return out.value_or(InitProducerIdResult{TxnError::kUnknownServerError});
  }
  TxnError Add(const std::string& id, const InitProducerIdResult& p,
               std::vector<TopicPartition> tps) {
    std::optional<TxnError> out;
    coordinator_->AddPartitions(id, p.producer_id, p.producer_epoch, std::move(tps),
                                [&](TxnError e) { out = e; });
    EXPECT_TRUE(out.has_value()) << "AddPartitions not answered";
    return out.value_or(TxnError::kUnknownServerError);
  }
  // The answer if EndTxn answered at once; a later answer lands in
  // *last_end_ (it outlives this call).
  std::optional<TxnError> End(const std::string& id, const InitProducerIdResult& p, bool commit) {
    auto out = std::make_shared<std::optional<TxnError>>();
    last_end_ = out;
    coordinator_->EndTxn(id, p.producer_id, p.producer_epoch, commit,
                         [out](TxnError e) { *out = e; });
    return *out;
  }
  TxnState StateOf(const std::string& id) { return coordinator_->Describe(id).value().state; }

  TxnCoordinatorConfig config_;
  ManualClock clock_;
  FakeCoordinatorLog log_{4};
  RecordingMarkerWriter markers_;
  int64_t next_pid_ = 1000;
  std::shared_ptr<std::optional<TxnError>> last_end_;
  std::unique_ptr<TxnCoordinator> coordinator_;
};

TEST_F(TxnCoordinatorTest, NewTransactionalIdGetsAFreshProducerIdAtEpochZero) {
  auto r = Init("t1");
  EXPECT_EQ(r.error, TxnError::kNone);
  EXPECT_EQ(r.producer_id, 1000);
  EXPECT_EQ(r.producer_epoch, 0);
  EXPECT_EQ(StateOf("t1"), TxnState::kEmpty);
  EXPECT_EQ(log_.total_records(), 1u);
}

TEST_F(TxnCoordinatorTest, InitIsAnsweredOnlyOnceTheStateIsDurable) {
  log_.Hold();
  std::optional<InitProducerIdResult> out;
  coordinator_->InitProducerId("t1", 60000, -1, -1, [&](InitProducerIdResult r) { out = r; });
  EXPECT_FALSE(out.has_value());
  EXPECT_FALSE(coordinator_->Describe("t1").has_value());
  log_.Release();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->error, TxnError::kNone);
}

TEST_F(TxnCoordinatorTest, FailedStateWriteAnswersRetriableErrorAndChangesNothing) {
  log_.FailAppends(absl::UnavailableError("disk"));
  EXPECT_EQ(Init("t1").error, TxnError::kCoordinatorNotAvailable);
  log_.FailAppends(absl::OkStatus());
  auto r = Init("t1");
  EXPECT_EQ(r.error, TxnError::kNone);
  EXPECT_EQ(r.producer_epoch, 0);
}

TEST_F(TxnCoordinatorTest, InitAgainBumpsTheEpochOfTheSameProducerId) {
  auto a = Init("t1");
  auto b = Init("t1");
  EXPECT_EQ(b.producer_id, a.producer_id);
  EXPECT_EQ(b.producer_epoch, a.producer_epoch + 1);
}

TEST_F(TxnCoordinatorTest, TimeoutOverTheMaximumIsRefused) {
  EXPECT_EQ(Init("t1", int32_t(config_.max_timeout_ms + 1)).error,
            TxnError::kInvalidTransactionTimeout);
  EXPECT_EQ(Init("t1", 0).error, TxnError::kInvalidTransactionTimeout);
  EXPECT_EQ(Init("").error, TxnError::kInvalidRequest);
}

TEST_F(TxnCoordinatorTest, CommitWritesCommitMarkersToEveryPartitionThenCompletes) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0), TP("a", 1)}), TxnError::kNone);
  ASSERT_EQ(Add("t1", p, {TP("b", 0)}), TxnError::kNone);
  EXPECT_EQ(StateOf("t1"), TxnState::kOngoing);
  auto end = End("t1", p, true);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, TxnError::kNone);
  ASSERT_EQ(markers_.calls.size(), 1u);
  EXPECT_TRUE(markers_.calls[0].commit);
  EXPECT_EQ(markers_.calls[0].producer_id, p.producer_id);
  EXPECT_EQ(markers_.calls[0].epoch, p.producer_epoch);
  EXPECT_EQ(markers_.calls[0].partitions,
            (std::vector<TopicPartition>{TP("a", 0), TP("a", 1), TP("b", 0)}));
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteCommit);
  EXPECT_TRUE(coordinator_->Describe("t1")->partitions.empty());
}

TEST_F(TxnCoordinatorTest, EndTxnWaitsForTheMarkers) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.hold = true;
  auto end = End("t1", p, false);
  EXPECT_FALSE(end.has_value());
  EXPECT_EQ(StateOf("t1"), TxnState::kPrepareAbort);
  // While the markers are being written the next transaction must wait.
  EXPECT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kConcurrentTransactions);
  std::optional<TxnError> answered;
  coordinator_->EndTxn("t1", p.producer_id, p.producer_epoch, false,
                       [&](TxnError e) { answered = e; });
  EXPECT_EQ(answered, TxnError::kConcurrentTransactions);
  markers_.ReleaseAll();
  EXPECT_EQ(*last_end_, TxnError::kNone);  // answered once the markers are written
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteAbort);
  EXPECT_FALSE(markers_.calls.back().commit);
}

TEST_F(TxnCoordinatorTest, RetriedEndTxnAfterCompletionSucceedsAndTheOppositeIsInvalid) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  ASSERT_EQ(End("t1", p, true), TxnError::kNone);
  EXPECT_EQ(End("t1", p, true), TxnError::kNone);
  EXPECT_EQ(End("t1", p, false), TxnError::kInvalidTxnState);
  EXPECT_EQ(markers_.calls.size(), 1u);
}

TEST_F(TxnCoordinatorTest, EndTxnWithoutATransactionIsInvalid) {
  auto p = Init("t1");
  EXPECT_EQ(End("t1", p, true), TxnError::kInvalidTxnState);
  EXPECT_EQ(End("unknown", p, true), TxnError::kInvalidProducerIdMapping);
}

TEST_F(TxnCoordinatorTest, NewProducerInstanceAbortsTheOpenTransactionAndFencesTheOldOne) {
  auto old_producer = Init("t1");
  ASSERT_EQ(Add("t1", old_producer, {TP("a", 0), TP("b", 2)}), TxnError::kNone);
  // The new instance's first attempt aborts the open transaction.
  EXPECT_EQ(Init("t1").error, TxnError::kConcurrentTransactions);
  ASSERT_EQ(markers_.calls.size(), 1u);
  EXPECT_FALSE(markers_.calls[0].commit);
  EXPECT_EQ(markers_.calls[0].epoch, old_producer.producer_epoch + 1);  // fences on every partition
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteAbort);
  auto fresh = Init("t1");
  ASSERT_EQ(fresh.error, TxnError::kNone);
  EXPECT_EQ(fresh.producer_id, old_producer.producer_id);
  EXPECT_EQ(fresh.producer_epoch, old_producer.producer_epoch + 2);
  // The zombie is fenced everywhere.
  EXPECT_EQ(Add("t1", old_producer, {TP("a", 0)}), TxnError::kProducerFenced);
  EXPECT_EQ(End("t1", old_producer, true), TxnError::kProducerFenced);
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, old_producer.producer_id,
                                          old_producer.producer_epoch, TP("a", 0)),
            TxnError::kInvalidProducerEpoch);
  // KIP-360: the old instance cannot bump the epoch either.
  EXPECT_EQ(Init("t1", 60000, old_producer.producer_id, old_producer.producer_epoch).error,
            TxnError::kProducerFenced);
}

TEST_F(TxnCoordinatorTest, TimedOutTransactionIsAbortedUnderABumpedEpoch) {
  auto p = Init("t1", 10000);
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  clock_.Advance(9000);
  coordinator_->Tick();
  EXPECT_EQ(StateOf("t1"), TxnState::kOngoing);
  clock_.Advance(2000);
  coordinator_->Tick();
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteAbort);
  ASSERT_EQ(markers_.calls.size(), 1u);
  EXPECT_FALSE(markers_.calls[0].commit);
  EXPECT_EQ(markers_.calls[0].epoch, p.producer_epoch + 1);
  EXPECT_EQ(End("t1", p, true), TxnError::kProducerFenced);
}

TEST_F(TxnCoordinatorTest, DecisionSurvivesACrashBeforeTheMarkers) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0), TP("a", 1)}), TxnError::kNone);
  markers_.hold = true;
  EXPECT_FALSE(End("t1", p, true).has_value());
  // "Crash": the markers never complete; a new coordinator replays the log.
  markers_.held.clear();
  markers_.hold = false;
  markers_.calls.clear();
  Restart();
  ASSERT_EQ(markers_.calls.size(), 1u);
  EXPECT_TRUE(markers_.calls[0].commit);
  EXPECT_EQ(markers_.calls[0].partitions, (std::vector<TopicPartition>{TP("a", 0), TP("a", 1)}));
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteCommit);
  // And the producer goes on with the same epoch.
  EXPECT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
}

TEST_F(TxnCoordinatorTest, OngoingTransactionFoundAtStartIsAbortedWhenItTimesOut) {
  auto p = Init("t1", 5000);
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  Restart();
  EXPECT_EQ(StateOf("t1"), TxnState::kOngoing);
  EXPECT_TRUE(markers_.calls.empty());
  clock_.Advance(6000);
  coordinator_->Tick();
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteAbort);
  ASSERT_EQ(markers_.calls.size(), 1u);
  EXPECT_FALSE(markers_.calls[0].commit);
}

TEST_F(TxnCoordinatorTest, FailedMarkersAreRetriedByTick) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.fail = absl::UnavailableError("log offline");
  EXPECT_EQ(End("t1", p, true), TxnError::kNone);  // the decision is durable
  EXPECT_EQ(StateOf("t1"), TxnState::kPrepareCommit);
  markers_.fail = absl::OkStatus();
  coordinator_->Tick();  // before the backoff: nothing
  EXPECT_EQ(markers_.calls.size(), 1u);
  clock_.Advance(config_.marker_retry_backoff_ms);
  coordinator_->Tick();
  EXPECT_EQ(markers_.calls.size(), 2u);
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteCommit);
}

// Steps the clock in 10 ms ticks, calling RetryDueMarkers at each, until the
// marker writer has been called `calls` times (or `limit_ms` passed);
// returns the time that took.
int64_t MsUntilMarkerCall(TxnCoordinator& c, ManualClock& clock, RecordingMarkerWriter& markers,
                          size_t calls, int64_t limit_ms = 60000) {
  int64_t waited = 0;
  while (markers.calls.size() < calls && waited < limit_ms) {
    clock.Advance(10);
    waited += 10;
    c.RetryDueMarkers();
  }
  return waited;
}

TEST_F(TxnCoordinatorTest, FailedMarkersAreRetriedWithExponentialBackoffBeforeTheNextTick) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.fail = absl::UnavailableError("log dir offline");
  EXPECT_EQ(End("t1", p, true), TxnError::kNone);
  ASSERT_EQ(markers_.calls.size(), 1u);
  coordinator_->RetryDueMarkers();  // not yet due
  EXPECT_EQ(markers_.calls.size(), 1u);
  // 100, 200, 400, ... ms between tries, capped at 5 s.
  const std::vector<int64_t> expected = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, i + 2), expected[i])
        << "retry " << i + 1;
  }
  EXPECT_EQ(StateOf("t1"), TxnState::kPrepareCommit);
  markers_.fail = absl::OkStatus();
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, expected.size() + 2), 5000);
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteCommit);
  // Done: nothing is retried any more.
  const size_t calls = markers_.calls.size();
  MsUntilMarkerCall(*coordinator_, clock_, markers_, calls + 1, 20000);
  EXPECT_EQ(markers_.calls.size(), calls);
}

TEST_F(TxnCoordinatorTest, BackoffStartsAgainForTheNextFailedTransaction) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.fail = absl::UnavailableError("log dir offline");
  EXPECT_EQ(End("t1", p, true), TxnError::kNone);
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, 2), 100);
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, 3), 200);
  markers_.fail = absl::OkStatus();
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, 4), 400);
  ASSERT_EQ(StateOf("t1"), TxnState::kCompleteCommit);

  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.fail = absl::UnavailableError("log dir offline");
  EXPECT_EQ(End("t1", p, false), TxnError::kNone);
  ASSERT_EQ(markers_.calls.size(), 5u);
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, 6), 100);
}

TEST_F(TxnCoordinatorTest, FailedCompleteRecordIsRetriedWithBackoffToo) {
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  markers_.hold = true;
  End("t1", p, true);
  ASSERT_EQ(markers_.calls.size(), 1u);
  markers_.hold = false;
  log_.FailAppends(absl::UnavailableError("disk"));
  markers_.ReleaseAll();  // markers written, the Complete* record is not
  EXPECT_EQ(StateOf("t1"), TxnState::kPrepareCommit);
  log_.FailAppends(absl::OkStatus());
  EXPECT_EQ(MsUntilMarkerCall(*coordinator_, clock_, markers_, 2), 100);
  EXPECT_EQ(StateOf("t1"), TxnState::kCompleteCommit);
}

TEST_F(TxnCoordinatorTest, VerifyPartitionAcceptsOnlyPartitionsOfTheOpenTransaction) {
  auto p = Init("t1");
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, p.producer_id, p.producer_epoch, TP("a", 0)),
            TxnError::kInvalidTxnState);
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, p.producer_id, p.producer_epoch, TP("a", 0)),
            TxnError::kNone);
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, p.producer_id, p.producer_epoch, TP("a", 1)),
            TxnError::kInvalidTxnState);
  EXPECT_EQ(coordinator_->VerifyPartition(std::string("t1"), p.producer_id, p.producer_epoch,
                                          TP("a", 0)),
            TxnError::kNone);
  EXPECT_EQ(coordinator_->VerifyPartition(std::string("other"), p.producer_id, p.producer_epoch,
                                          TP("a", 0)),
            TxnError::kInvalidProducerIdMapping);
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, 999999, 0, TP("a", 0)),
            TxnError::kInvalidTxnState);
  ASSERT_EQ(End("t1", p, true), TxnError::kNone);
  EXPECT_EQ(coordinator_->VerifyPartition(std::nullopt, p.producer_id, p.producer_epoch, TP("a", 0)),
            TxnError::kInvalidTxnState);
}

TEST_F(TxnCoordinatorTest, StateSurvivesRestart) {
  auto p = Init("t1", 45000);
  ASSERT_EQ(Add("t1", p, {TP("a", 0), TP("b", 3)}), TxnError::kNone);
  auto before = coordinator_->Describe("t1");
  Restart();
  EXPECT_EQ(coordinator_->Describe("t1"), before);
  auto again = Init("t2");
  EXPECT_NE(again.producer_id, p.producer_id);
}

TEST_F(TxnCoordinatorTest, IdleTransactionalIdsExpire) {
  config_.id_expiration_ms = 60000;
  Restart();
  auto p = Init("t1");
  ASSERT_EQ(Add("t1", p, {TP("a", 0)}), TxnError::kNone);
  ASSERT_EQ(End("t1", p, true), TxnError::kNone);
  Init("t2");
  clock_.Advance(30000);
  Init("t2");  // t2 is used again, t1 is not
  clock_.Advance(31000);
  coordinator_->Tick();
  EXPECT_FALSE(coordinator_->Describe("t1").has_value());
  EXPECT_TRUE(coordinator_->Describe("t2").has_value());
  Restart();  // the tombstone is durable
  EXPECT_FALSE(coordinator_->Describe("t1").has_value());
  EXPECT_TRUE(coordinator_->Describe("t2").has_value());
}

TEST_F(TxnCoordinatorTest, ListFiltersByStateProducerAndDuration) {
  auto a = Init("a");
  auto b = Init("b");
  ASSERT_EQ(Add("b", b, {TP("x", 0)}), TxnError::kNone);
  clock_.Advance(5000);
  auto ids = [](const std::vector<TxnListing>& l) {
    std::vector<std::string> out;
    for (const auto& x : l) out.push_back(x.transactional_id);
    return out;
  };
  EXPECT_EQ(ids(coordinator_->List({}, {}, -1)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ids(coordinator_->List({TxnState::kOngoing}, {}, -1)), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids(coordinator_->List({}, {a.producer_id}, -1)), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ids(coordinator_->List({}, {}, 4000)), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(coordinator_->List({}, {}, 6000).empty());
}

TEST(TxnRecordsTest, StateRecordRoundTripsAndTombstoneDecodes) {
  TxnMetadata m;
  m.transactional_id = "tx-1";
  m.producer_id = 42;
  m.producer_epoch = 7;
  m.timeout_ms = 60000;
  m.state = TxnState::kPrepareCommit;
  m.partitions = {TP("a", 0), TP("a", 2), TP("b", 1)};
  m.last_update_ms = 1234;
  m.start_ms = 1000;
  CoordinatorRecord r = TxnStateRecord(m);
  ASSERT_TRUE(r.value.has_value());
  EXPECT_EQ(r.key[0], 0);  // key version 0
  EXPECT_EQ(r.key[1], 0);
  auto decoded = DecodeTxnRecord(r.key, std::span<const uint8_t>(*r.value));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->meta, m);
  auto tomb = DecodeTxnRecord(TxnTombstone("tx-1").key, std::nullopt);
  ASSERT_TRUE(tomb.ok());
  EXPECT_EQ(tomb->transactional_id, "tx-1");
  EXPECT_FALSE(tomb->meta.has_value());
  std::vector<uint8_t> bad = *r.value;
  bad.resize(10);
  EXPECT_FALSE(DecodeTxnRecord(r.key, std::span<const uint8_t>(bad)).ok());
}

TEST(TxnErrorTest, ValuesAndNamesAreKafkasErrorCodes) {
  for (TxnError e : {TxnError::kUnknownServerError, TxnError::kNone,
                     TxnError::kUnknownTopicOrPartition, TxnError::kCoordinatorLoadInProgress,
                     TxnError::kCoordinatorNotAvailable, TxnError::kNotCoordinator,
                     TxnError::kInvalidRequest, TxnError::kInvalidProducerEpoch,
                     TxnError::kInvalidTxnState, TxnError::kInvalidProducerIdMapping,
                     TxnError::kInvalidTransactionTimeout, TxnError::kConcurrentTransactions,
                     TxnError::kOperationNotAttempted, TxnError::kProducerFenced,
                     TxnError::kTransactionalIdNotFound}) {
    EXPECT_EQ(TxnErrorName(e), protocol::ErrorName(protocol::ErrorCode(int16_t(e))));
  }
}

}  // namespace
}  // namespace keel::coordinator
