#include "keel/partition/partition_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "keel/storage/format.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::partition {
namespace {

namespace fs = std::filesystem;

class PartitionManagerTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<PartitionManager>> Open(int dirs = 1) {
    PartitionManagerOptions o;
    for (int i = 0; i < dirs; ++i) o.log_dirs.push_back((tmp_.path() / ("d" + std::to_string(i))).string());
    o.fs = fs_.get();
    o.retention_check_interval_ms = 60000;
    return PartitionManager::Open(std::move(o));
  }

  Offset AppendDurable(storage::Log& log, int records) {
    auto b = testutil::BuildSimpleBatch(records, 10);
    auto r = log.Append(b);
    EXPECT_TRUE(r.ok()) << r.status();
    std::promise<absl::Status> p;
    log.WaitDurable(r->last_offset, [&](absl::Status s) { p.set_value(s); });
    EXPECT_TRUE(p.get_future().get().ok());
    return r->last_offset;
  }

  testutil::TempDir tmp_;
  std::unique_ptr<storage::FileSystem> fs_ = storage::NewPosixFileSystem();
};

TEST_F(PartitionManagerTest, CreateTopicMakesPartitionLogs) {
  auto pm = *Open();
  auto info = pm->CreateTopic("orders", 3, {{"retention.ms", "1000"}});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->partitions, 3);
  EXPECT_FALSE(info->id.IsZero());
  EXPECT_FALSE(info->internal);
  for (int p = 0; p < 3; ++p) {
    EXPECT_NE(pm->GetLog({"orders", PartitionId(p)}), nullptr);
    EXPECT_TRUE(fs::is_directory(tmp_.path() / "d0" / ("orders-" + std::to_string(p))));
  }
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(3)}), nullptr);
  EXPECT_EQ(pm->GetLog({"nope", PartitionId(0)}), nullptr);
  EXPECT_EQ(pm->TopicConfig("orders")->retention_ms, 1000);
  EXPECT_TRUE(pm->CreateTopic("__consumer_offsets", 1, {})->internal);
}

TEST_F(PartitionManagerTest, CreateTopicRejectsDuplicatesAndBadInput) {
  auto pm = *Open();
  ASSERT_TRUE(pm->CreateTopic("orders", 1, {}).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(pm->CreateTopic("orders", 1, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(pm->CreateTopic("bad/name", 1, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(pm->CreateTopic("..", 1, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(pm->CreateTopic("zero", 0, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(pm->CreateTopic("cfg", 1, {{"bogus.key", "1"}}).status()));
  EXPECT_EQ(pm->ListTopics().size(), 1u);
}

TEST_F(PartitionManagerTest, TopicNamesWithDashesAndDigitsRoundTrip) {
  {
    auto pm = *Open();
    ASSERT_TRUE(pm->CreateTopic("a-1-2", 2, {}).ok());
    ASSERT_TRUE(pm->CreateTopic("a-1", 3, {}).ok());
    AppendDurable(*pm->GetLog({"a-1-2", PartitionId(1)}), 4);
    ASSERT_TRUE(pm->Shutdown().ok());
  }
  auto pm = *Open();
  EXPECT_EQ(pm->FindTopic("a-1-2")->partitions, 2);
  EXPECT_EQ(pm->FindTopic("a-1")->partitions, 3);
  EXPECT_EQ(pm->GetLog({"a-1-2", PartitionId(1)})->log_end_offset().value, 4);
  EXPECT_EQ(pm->GetLog({"a-1", PartitionId(2)})->log_end_offset().value, 0);
}

TEST_F(PartitionManagerTest, MetadataAndDataSurviveReopen) {
  TopicInfo created;
  {
    auto pm = *Open();
    created = *pm->CreateTopic("orders", 2, {{"segment.bytes", "100000"}});
    AppendDurable(*pm->GetLog({"orders", PartitionId(0)}), 5);
    AppendDurable(*pm->GetLog({"orders", PartitionId(1)}), 2);
    ASSERT_TRUE(pm->Shutdown().ok());
  }
  auto pm = *Open();
  auto found = pm->FindTopic("orders");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->configs, created.configs);
  EXPECT_EQ(pm->FindTopicById(created.id)->name, "orders");
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(0)})->log_end_offset().value, 5);
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(1)})->high_watermark().value, 2);
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(0)})->config().segment_bytes, 100000);
}

TEST_F(PartitionManagerTest, DeleteTopicRemovesMetadataAndData) {
  auto pm = *Open();
  auto info = *pm->CreateTopic("orders", 2, {});
  auto log = pm->GetLog({"orders", PartitionId(0)});
  AppendDurable(*log, 1);
  ASSERT_TRUE(pm->DeleteTopic("orders").ok());
  EXPECT_TRUE(absl::IsNotFound(pm->DeleteTopic("orders")));
  EXPECT_FALSE(pm->FindTopic("orders").has_value());
  EXPECT_FALSE(pm->FindTopicById(info.id).has_value());
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(0)}), nullptr);
  EXPECT_FALSE(fs::exists(tmp_.path() / "d0" / "orders-0"));
  auto b = testutil::BuildSimpleBatch(1, 10);
  EXPECT_FALSE(log->Append(b).ok());
  // The name can be reused, with a new id and empty logs.
  auto again = pm->CreateTopic("orders", 1, {});
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->id, info.id);
  EXPECT_EQ(pm->GetLog({"orders", PartitionId(0)})->log_end_offset().value, 0);
  ASSERT_TRUE(pm->Shutdown().ok());
  auto reopened = *Open();
  EXPECT_EQ(reopened->FindTopic("orders")->id, again->id);
}

TEST_F(PartitionManagerTest, CreatePartitionsOnlyGrows) {
  {
    auto pm = *Open();
    ASSERT_TRUE(pm->CreateTopic("orders", 2, {}).ok());
    EXPECT_TRUE(absl::IsInvalidArgument(pm->CreatePartitions("orders", 2)));
    EXPECT_TRUE(absl::IsNotFound(pm->CreatePartitions("nope", 5)));
    ASSERT_TRUE(pm->CreatePartitions("orders", 5).ok());
    EXPECT_NE(pm->GetLog({"orders", PartitionId(4)}), nullptr);
    EXPECT_EQ(pm->FindTopic("orders")->partitions, 5);
  }
  auto pm = *Open();
  EXPECT_EQ(pm->FindTopic("orders")->partitions, 5);
  EXPECT_NE(pm->GetLog({"orders", PartitionId(4)}), nullptr);
}

TEST_F(PartitionManagerTest, AlterTopicConfigReplacesOverridesAndPersists) {
  {
    auto pm = *Open();
    ASSERT_TRUE(pm->CreateTopic("orders", 1, {{"retention.ms", "1000"}}).ok());
    EXPECT_TRUE(absl::IsInvalidArgument(pm->AlterTopicConfig("orders", {{"retention.ms", "x"}})));
    EXPECT_TRUE(absl::IsNotFound(pm->AlterTopicConfig("nope", {})));
    ASSERT_TRUE(pm->AlterTopicConfig("orders", {{"segment.ms", "5000"}}).ok());
    EXPECT_EQ(pm->GetLog({"orders", PartitionId(0)})->config().segment_ms, 5000);
  }
  auto pm = *Open();
  auto info = pm->FindTopic("orders");
  EXPECT_EQ(info->configs, (std::map<std::string, std::string>{{"segment.ms", "5000"}}));
  EXPECT_EQ(pm->TopicConfig("orders")->retention_ms, pm->default_config().retention_ms);
}

TEST_F(PartitionManagerTest, NewDefaultsApplyToLiveLogsWithoutTheirOwnOverride) {
  auto pm = *Open();
  ASSERT_TRUE(pm->CreateTopic("plain", 2, {}).ok());
  ASSERT_TRUE(pm->CreateTopic("own", 1, {{"retention.ms", "1000"}}).ok());
  storage::LogConfig defaults = pm->default_config();
  defaults.retention_ms = 77000;
  defaults.segment_bytes = 1 << 20;
  ASSERT_TRUE(pm->SetDefaultConfig(defaults).ok());
  for (int p = 0; p < 2; ++p) {
    EXPECT_EQ(pm->GetLog({"plain", PartitionId(p)})->config().retention_ms, 77000);
    EXPECT_EQ(pm->GetLog({"plain", PartitionId(p)})->config().segment_bytes, 1 << 20);
  }
  EXPECT_EQ(pm->GetLog({"own", PartitionId(0)})->config().retention_ms, 1000);
  EXPECT_EQ(pm->GetLog({"own", PartitionId(0)})->config().segment_bytes, 1 << 20);
  EXPECT_EQ(pm->TopicConfig("plain")->retention_ms, 77000);
  // Topics created afterwards start from the new defaults too.
  ASSERT_TRUE(pm->CreateTopic("later", 1, {}).ok());
  EXPECT_EQ(pm->GetLog({"later", PartitionId(0)})->config().retention_ms, 77000);
}

TEST_F(PartitionManagerTest, PartitionsSpreadOverLogDirs) {
  auto pm = *Open(2);
  ASSERT_TRUE(pm->CreateTopic("orders", 4, {}).ok());
  int in_d0 = 0, in_d1 = 0;
  for (int p = 0; p < 4; ++p) {
    std::string name = "orders-" + std::to_string(p);
    in_d0 += fs::exists(tmp_.path() / "d0" / name);
    in_d1 += fs::exists(tmp_.path() / "d1" / name);
  }
  EXPECT_EQ(in_d0, 2);
  EXPECT_EQ(in_d1, 2);
  AppendDurable(*pm->GetLog({"orders", PartitionId(3)}), 2);
  ASSERT_TRUE(pm->Shutdown().ok());
  auto again = *Open(2);
  EXPECT_EQ(again->GetLog({"orders", PartitionId(3)})->log_end_offset().value, 2);
}

TEST_F(PartitionManagerTest, HighWatermarkObserverSeesAdvances) {
  auto pm = *Open();
  std::mutex m;
  std::vector<std::pair<TopicPartition, int64_t>> seen;
  pm->SetHighWatermarkObserver([&](const TopicPartition& tp, Offset hw) {
    std::lock_guard<std::mutex> lock(m);
    seen.emplace_back(tp, hw.value);
  });
  ASSERT_TRUE(pm->CreateTopic("orders", 1, {}).ok());
  AppendDurable(*pm->GetLog({"orders", PartitionId(0)}), 3);
  std::lock_guard<std::mutex> lock(m);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().first.topic, "orders");
  EXPECT_EQ(seen.back().second, 3);
}

TEST_F(PartitionManagerTest, ShutdownWritesCleanMarkersAndRejectsAppends) {
  auto pm = *Open();
  ASSERT_TRUE(pm->CreateTopic("orders", 1, {}).ok());
  auto log = pm->GetLog({"orders", PartitionId(0)});
  ASSERT_TRUE(pm->Shutdown().ok());
  EXPECT_TRUE(fs::exists(tmp_.path() / "d0" / "orders-0" / storage::kCleanShutdownFile));
  auto b = testutil::BuildSimpleBatch(1, 10);
  EXPECT_TRUE(absl::IsUnavailable(log->Append(b).status()));
  EXPECT_TRUE(pm->Shutdown().ok());
  EXPECT_FALSE(pm->CreateTopic("late", 1, {}).ok());
}

TEST_F(PartitionManagerTest, LeftoverDeletedDirectoriesAreRemovedOnOpen) {
  fs::create_directories(tmp_.path() / "d0" / "orders-0.abcd-delete");
  std::ofstream(tmp_.path() / "d0" / "orders-0.abcd-delete" / "00000000000000000000.log") << "x";
  auto pm = *Open();
  EXPECT_FALSE(fs::exists(tmp_.path() / "d0" / "orders-0.abcd-delete"));
}

TEST_F(PartitionManagerTest, DamagedMetadataFailsOpen) {
  {
    auto pm = *Open();
    ASSERT_TRUE(pm->CreateTopic("orders", 1, {}).ok());
  }
  std::ofstream(tmp_.path() / "d0" / "topics.meta", std::ios::app) << "junk";
  EXPECT_TRUE(absl::IsDataLoss(Open().status()));
}

}  // namespace
}  // namespace keel::partition
