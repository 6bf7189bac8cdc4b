// The coordinator over real __consumer_offsets logs: commits reach disk as
// Kafka-format records, and a restarted broker replays them.
#include "keel/coordinator/partition_coordinator_log.h"

#include <gtest/gtest.h>

#include <future>

#include "keel/storage/file_system.h"
#include "testutil/temp_dir.h"

namespace keel::coordinator {
namespace {

class PartitionCoordinatorLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<partition::PartitionManager> OpenManager() {
    partition::PartitionManagerOptions o;
    o.log_dirs.push_back((tmp_.path() / "data").string());
    o.fs = fs_.get();
    o.retention_check_interval_ms = 60000;
    auto pm = partition::PartitionManager::Open(std::move(o));
    EXPECT_TRUE(pm.ok()) << pm.status();
    return std::move(*pm);
  }

  std::vector<GroupError> CommitAndWait(GroupCoordinator& c, const std::string& group,
                                        TopicPartition tp, int64_t offset) {
    OffsetCommitRequest r;
    r.group_id = group;
    r.partitions.push_back({tp, Offset(offset), 4, "meta"});
    std::promise<std::vector<GroupError>> p;
    c.CommitOffsets(r, [&p](std::vector<GroupError> e) { p.set_value(std::move(e)); });
    return p.get_future().get();
  }

  testutil::TempDir tmp_;
  std::unique_ptr<storage::FileSystem> fs_ = storage::NewPosixFileSystem();
  SystemClock clock_;
};

TEST_F(PartitionCoordinatorLogTest, OpenCreatesTheInternalTopic) {
  auto pm = OpenManager();
  auto log = PartitionCoordinatorLog::Open(*pm, 3, &clock_);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->partition_count(), 3);
  auto info = pm->FindTopic(kConsumerOffsetsTopic);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->internal);
  // An existing topic keeps its partition count.
  auto again = PartitionCoordinatorLog::Open(*pm, 10, &clock_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->partition_count(), 3);
}

TEST_F(PartitionCoordinatorLogTest, CommitsSurviveRestart) {
  TopicPartition tp{"orders", PartitionId(2)};
  {
    auto pm = OpenManager();
    auto log = *PartitionCoordinatorLog::Open(*pm, 5, &clock_);
    GroupCoordinator c(GroupCoordinatorConfig{}, log.get(), &clock_);
    ASSERT_EQ(CommitAndWait(c, "g1", tp, 41)[0], GroupError::kNone);
    ASSERT_EQ(CommitAndWait(c, "g1", tp, 42)[0], GroupError::kNone);
    ASSERT_EQ(CommitAndWait(c, "g2", tp, 7)[0], GroupError::kNone);
    // The record landed in the group's partition.
    auto plog = pm->GetLog({std::string(kConsumerOffsetsTopic), PartitionId(PartitionForGroup("g1", 5))});
    EXPECT_GE(plog->high_watermark().value, 2);
    ASSERT_TRUE(pm->Shutdown().ok());
  }
  auto pm = OpenManager();
  auto log = *PartitionCoordinatorLog::Open(*pm, 5, &clock_);
  GroupCoordinator c(GroupCoordinatorConfig{}, log.get(), &clock_);
  auto loaded = log->LoadInto(c);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, 3);
  auto f = c.FetchOffsets("g1", std::nullopt);
  ASSERT_EQ(f.offsets.size(), 1u);
  EXPECT_EQ(f.offsets[0].offset, Offset(42));
  EXPECT_EQ(f.offsets[0].leader_epoch, 4);
  EXPECT_EQ(f.offsets[0].metadata, "meta");
  EXPECT_EQ(c.FetchOffsets("g2", std::nullopt).offsets.at(0).offset, Offset(7));
}

TEST_F(PartitionCoordinatorLogTest, DeletedGroupStaysDeletedAfterRestart) {
  TopicPartition tp{"orders", PartitionId(0)};
  {
    auto pm = OpenManager();
    auto log = *PartitionCoordinatorLog::Open(*pm, 2, &clock_);
    GroupCoordinator c(GroupCoordinatorConfig{}, log.get(), &clock_);
    ASSERT_EQ(CommitAndWait(c, "gone", tp, 1)[0], GroupError::kNone);
    std::promise<std::vector<GroupError>> p;
    c.DeleteGroups({"gone"}, [&p](std::vector<GroupError> e) { p.set_value(e); });
    ASSERT_EQ(p.get_future().get()[0], GroupError::kNone);
    ASSERT_TRUE(pm->Shutdown().ok());
  }
  auto pm = OpenManager();
  auto log = *PartitionCoordinatorLog::Open(*pm, 2, &clock_);
  GroupCoordinator c(GroupCoordinatorConfig{}, log.get(), &clock_);
  ASSERT_TRUE(log->LoadInto(c).ok());
  EXPECT_FALSE(c.StateOf("gone").has_value());
  EXPECT_TRUE(c.FetchOffsets("gone", std::nullopt).offsets.empty());
}

}  // namespace
}  // namespace keel::coordinator
