// Offsets committed inside transactions (TxnOffsetCommit): pending until the
// producer's marker reaches the group's partition, then applied (COMMIT) or
// dropped (ABORT) — live and when replayed from the log.
#include <gtest/gtest.h>

#include <optional>

#include "fake_coordinator_log.h"
#include "keel/coordinator/group_coordinator.h"

namespace keel::coordinator {
namespace {

using testing::FakeCoordinatorLog;
using testing::ManualClock;

const TopicPartition kT0{"in", PartitionId(0)};
const TopicPartition kT1{"in", PartitionId(1)};
constexpr int64_t kProducer = 77;

class GroupTxnTest : public ::testing::Test {
 protected:
  GroupTxnTest() { coordinator_ = Make(); }

  std::unique_ptr<GroupCoordinator> Make() {
    return std::make_unique<GroupCoordinator>(GroupCoordinatorConfig{}, &log_, &clock_);
  }

  std::vector<GroupError> TxnCommit(std::vector<std::pair<TopicPartition, int64_t>> offsets,
                                    int64_t producer = kProducer, const std::string& member = "",
                                    int32_t generation = -1) {
    TxnOffsetCommitRequest r;
    r.group_id = "g";
    r.producer_id = producer;
    r.producer_epoch = 3;
    r.member_id = member;
    r.generation = generation;
    for (auto& [tp, off] : offsets) r.partitions.push_back({tp, Offset(off), -1, "txn"});
    std::optional<std::vector<GroupError>> out;
    coordinator_->CommitTxnOffsets(std::move(r), [&](std::vector<GroupError> e) { out = e; });
    EXPECT_TRUE(out.has_value());
    return out.value_or(std::vector<GroupError>{});
  }
  void Commit(const TopicPartition& tp, int64_t offset) {
    OffsetCommitRequest r;
    r.group_id = "g";
    r.partitions.push_back({tp, Offset(offset), -1, "plain"});
    bool done = false;
    coordinator_->CommitOffsets(std::move(r), [&](std::vector<GroupError>) { done = true; });
    EXPECT_TRUE(done);
  }
  absl::Status Complete(bool commit, int64_t producer = kProducer) {
    std::optional<absl::Status> out;
    coordinator_->CompleteTxn(coordinator_->PartitionFor("g"), producer, 3, commit,
                              [&](absl::Status st) { out = st; });
    EXPECT_TRUE(out.has_value());
    return out.value_or(absl::UnknownError("not answered"));
  }
  int64_t Committed(const TopicPartition& tp, bool require_stable = false) {
    auto f = coordinator_->FetchOffsets("g", std::vector<TopicPartition>{tp}, require_stable);
    if (f.offsets.at(0).error != GroupError::kNone) return -100 - int64_t(f.offsets[0].error);
    return f.offsets.at(0).offset.value;
  }
  // Replays the fake log (records, transactional batches and markers in log
  // order) into a fresh coordinator, as the loader does.
  std::unique_ptr<GroupCoordinator> Replay() {
    auto c = Make();
    auto txn = log_.txn_records();
    auto markers = log_.markers();
    for (const auto& [p, records] : log_.records()) {
      for (size_t off = 0; off < records.size(); ++off) {
        bool is_marker = false;
        for (const auto& m : markers) {
          if (m.partition == p && m.offset == int64_t(off)) {
            c->ReplayStoredMarker(p, m.producer_id, m.commit);
            is_marker = true;
          }
        }
        if (is_marker) continue;
        int64_t producer = -1;
        for (const auto& t : txn)
          if (t.partition == p && t.offset == int64_t(off)) producer = t.producer_id;
        const auto& r = records[off];
        std::optional<std::span<const uint8_t>> value;
        if (r.value) value = std::span<const uint8_t>(*r.value);
        EXPECT_TRUE(c->ReplayStored(r.key, value, producer).ok());
      }
    }
    c->FinishLoading();
    return c;
  }

  ManualClock clock_;
  FakeCoordinatorLog log_{4};
  std::unique_ptr<GroupCoordinator> coordinator_;
};

TEST_F(GroupTxnTest, OffsetsArePendingUntilTheCommitMarker) {
  Commit(kT0, 5);
  EXPECT_EQ(TxnCommit({{kT0, 10}, {kT1, 20}}),
            (std::vector<GroupError>{GroupError::kNone, GroupError::kNone}));
  ASSERT_EQ(log_.txn_records().size(), 2u);
  EXPECT_EQ(log_.txn_records()[0].producer_id, kProducer);
  EXPECT_EQ(Committed(kT0), 5);
  EXPECT_EQ(Committed(kT1), -1);
  EXPECT_EQ(Committed(kT0, /*require_stable=*/true),
            -100 - int64_t(GroupError::kUnstableOffsetCommit));
  EXPECT_EQ(coordinator_->pending_txn_offset_count("g"), 2u);
  ASSERT_TRUE(Complete(true).ok());
  ASSERT_EQ(log_.markers().size(), 1u);
  EXPECT_TRUE(log_.markers()[0].commit);
  EXPECT_EQ(Committed(kT0), 10);
  EXPECT_EQ(Committed(kT1, true), 20);
  EXPECT_EQ(coordinator_->pending_txn_offset_count("g"), 0u);
}

TEST_F(GroupTxnTest, AbortMarkerDropsThePendingOffsets) {
  Commit(kT0, 5);
  TxnCommit({{kT0, 10}});
  ASSERT_TRUE(Complete(false).ok());
  EXPECT_EQ(Committed(kT0, true), 5);
  EXPECT_EQ(coordinator_->pending_txn_offset_count("g"), 0u);
}

TEST_F(GroupTxnTest, MarkerOfAnotherProducerLeavesPendingOffsetsAlone) {
  TxnCommit({{kT0, 10}});
  ASSERT_TRUE(Complete(true, kProducer + 1).ok());
  EXPECT_EQ(Committed(kT0), -1);
  EXPECT_EQ(coordinator_->pending_txn_offset_count("g"), 1u);
}

TEST_F(GroupTxnTest, ReplayKeepsPendingOffsetsPendingAndAppliesMarkers) {
  Commit(kT0, 5);
  TxnCommit({{kT0, 10}});
  ASSERT_TRUE(Complete(true).ok());
  TxnCommit({{kT0, 15}, {kT1, 1}});
  ASSERT_TRUE(Complete(false).ok());
  TxnCommit({{kT1, 30}});  // still open at the "crash"
  auto c = Replay();
  auto f = c->FetchOffsets("g", std::vector<TopicPartition>{kT0, kT1}, true);
  EXPECT_EQ(f.offsets[0].offset, Offset(10));
  EXPECT_EQ(f.offsets[1].error, GroupError::kUnstableOffsetCommit);
  EXPECT_EQ(c->pending_txn_offset_count("g"), 1u);
  // The transaction coordinator finishes the open one after the restart.
  coordinator_ = std::move(c);
  ASSERT_TRUE(Complete(true).ok());
  EXPECT_EQ(Committed(kT1, true), 30);
}

TEST_F(GroupTxnTest, GroupWithOnlyPendingTxnOffsetsIsNotExpired) {
  ASSERT_EQ(TxnCommit({{kT0, 5}}), std::vector<GroupError>{GroupError::kNone});
  // The retention check runs: the group has no committed offsets yet, but
  // it holds the transaction's offsets, so it must stay.
  coordinator_->Tick();
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kEmpty);
  ASSERT_EQ(Complete(true), absl::OkStatus());
  EXPECT_EQ(Committed(kT0), 5);
  // And so after a replay of the log.
  auto replayed = Replay();
  EXPECT_EQ(replayed->FetchOffsets("g", std::vector<TopicPartition>{kT0}).offsets.at(0).offset, Offset(5));
}

TEST_F(GroupTxnTest, MemberAndGenerationAreCheckedWhenGiven) {
  EXPECT_EQ(TxnCommit({{kT0, 1}}, kProducer, "ghost"),
            (std::vector<GroupError>{GroupError::kUnknownMemberId}));
  EXPECT_EQ(TxnCommit({{kT0, 1}}, kProducer, "", 4),
            (std::vector<GroupError>{GroupError::kIllegalGeneration}));
  EXPECT_TRUE(log_.txn_records().empty());
}

TEST_F(GroupTxnTest, FailedMarkerAppendReportsTheError) {
  TxnCommit({{kT0, 10}});
  log_.FailAppends(absl::UnavailableError("offline"));
  EXPECT_FALSE(Complete(true).ok());
  log_.FailAppends(absl::OkStatus());
  EXPECT_EQ(coordinator_->pending_txn_offset_count("g"), 1u);
  ASSERT_TRUE(Complete(true).ok());
  EXPECT_EQ(Committed(kT0), 10);
}

}  // namespace
}  // namespace keel::coordinator
