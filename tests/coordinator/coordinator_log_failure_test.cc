// The coordinators when a failing append completes earlier writes inline: a
// storage log whose append hits an I/O error takes its log dir offline and
// fails the durability waiters of every log there on the appending thread,
// which holds the coordinator's lock (found by the coordinator power-cut
// simulation, where this deadlocked the group coordinator; the transaction
// coordinator appends under its lock the same way).
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "fake_coordinator_log.h"
#include "gtest/gtest.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/coordinator/txn_coordinator.h"

namespace keel::coordinator {
namespace {

using testing::FakeCoordinatorLog;
using testing::ManualClock;

// A CoordinatorLog over FakeCoordinatorLog whose appends, once failing,
// first fail every waiting durability callback inline (as a log dir going
// offline does) and then return the error.
class OfflineOnAppendLog final : public CoordinatorLog {
 public:
  int32_t partition_count() const override { return inner.partition_count(); }
  absl::StatusOr<int64_t> Append(int32_t partition, std::span<const CoordinatorRecord> records) override {
    if (failing) return GoOffline();
    return inner.Append(partition, records);
  }
  absl::StatusOr<int64_t> AppendTransactional(int32_t partition, int64_t producer_id, int16_t producer_epoch,
                                              std::span<const CoordinatorRecord> records) override {
    if (failing) return GoOffline();
    return inner.AppendTransactional(partition, producer_id, producer_epoch, records);
  }
  absl::StatusOr<int64_t> AppendMarker(int32_t partition, int64_t producer_id, int16_t producer_epoch,
                                       bool commit) override {
    if (failing) return GoOffline();
    return inner.AppendMarker(partition, producer_id, producer_epoch, commit);
  }
  void WaitDurable(int32_t partition, int64_t last_offset, absl::AnyInvocable<void(absl::Status)> done) override {
    inner.WaitDurable(partition, last_offset, std::move(done));
  }

  FakeCoordinatorLog inner{1};
  bool failing = false;

 private:
  absl::Status GoOffline() {
    absl::Status error = absl::InternalError("pwrite: input/output error");
    inner.Release(error);
    return error;
  }
};

OffsetCommitRequest Commit(const std::string& group, int64_t offset) {
  OffsetCommitRequest req;
  req.group_id = group;
  req.partitions.push_back({TopicPartition{"t", PartitionId(0)}, Offset(offset), -1, std::nullopt});
  return req;
}

// Runs `fn` on its own thread; false if it did not return within 10 s (a
// deadlocked thread is left behind: the test then aborts).
bool ReturnsInTime(std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  std::thread([fn = std::move(fn), done] {
    fn();
    done->set_value();
  }).detach();
  return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
}

TEST(GroupCoordinatorLogFailureTest, FailedAppendThatFailsEarlierWritesInlineDoesNotDeadlock) {
  ManualClock clock;
  OfflineOnAppendLog log;
  GroupCoordinator groups(GroupCoordinatorConfig{}, &log, &clock);
  log.inner.Hold();
  auto first = std::make_shared<std::promise<std::vector<GroupError>>>();
  auto first_answer = first->get_future();
  groups.CommitOffsets(Commit("a", 5), [first](std::vector<GroupError> e) { first->set_value(std::move(e)); });
  ASSERT_EQ(log.inner.held_count(), 1u);

  log.failing = true;
  auto second = std::make_shared<std::promise<std::vector<GroupError>>>();
  auto second_answer = second->get_future();
  bool returned = ReturnsInTime([&groups, second] {
    groups.CommitOffsets(Commit("b", 7), [second](std::vector<GroupError> e) { second->set_value(std::move(e)); });
  });
  if (!returned) {
    ADD_FAILURE() << "CommitOffsets deadlocked when its append failed the earlier write inline";
    std::abort();
  }
  ASSERT_EQ(first_answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(second_answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  std::vector<GroupError> a = first_answer.get();
  std::vector<GroupError> b = second_answer.get();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0], GroupError::kNone);
  EXPECT_NE(b[0], GroupError::kNone);
  // Neither commit took effect, and the coordinator still answers.
  auto fetched = groups.FetchOffsets("a", std::vector<TopicPartition>{{"t", PartitionId(0)}});
  ASSERT_EQ(fetched.offsets.size(), 1u);
  EXPECT_EQ(fetched.offsets[0].offset.value, -1);
}

class NoMarkers final : public TxnMarkerWriter {
 public:
  void WriteMarkers(int64_t, int16_t, bool, std::vector<TopicPartition>,
                    absl::AnyInvocable<void(absl::Status)> done) override {
    done(absl::OkStatus());
  }
};

TEST(TxnCoordinatorLogFailureTest, FailedAppendThatFailsEarlierWritesInlineDoesNotDeadlock) {
  ManualClock clock;
  OfflineOnAppendLog log;
  NoMarkers markers;
  int64_t next_pid = 1000;
  TxnCoordinator txns(TxnCoordinatorConfig{}, &log, &markers, [&next_pid] { return next_pid++; }, &clock);
  txns.FinishLoading();
  log.inner.Hold();
  auto first = std::make_shared<std::promise<InitProducerIdResult>>();
  auto first_answer = first->get_future();
  txns.InitProducerId("a", 60000, -1, -1, [first](InitProducerIdResult r) { first->set_value(r); });
  ASSERT_EQ(log.inner.held_count(), 1u);

  log.failing = true;
  auto second = std::make_shared<std::promise<InitProducerIdResult>>();
  auto second_answer = second->get_future();
  bool returned = ReturnsInTime([&txns, second] {
    txns.InitProducerId("b", 60000, -1, -1, [second](InitProducerIdResult r) { second->set_value(r); });
  });
  if (!returned) {
    ADD_FAILURE() << "InitProducerId deadlocked when its append failed the earlier write inline";
    std::abort();
  }
  ASSERT_EQ(first_answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(second_answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(first_answer.get().error, TxnError::kNone);
  EXPECT_NE(second_answer.get().error, TxnError::kNone);
}

}  // namespace
}  // namespace keel::coordinator
