// PartitionManager under injected I/O faults (SimFileSystem): an fsync EIO in
// one log dir takes that whole dir offline and leaves the others working;
// ENOSPC fails appends without taking anything offline.
#include <future>
#include <string>

#include "gtest/gtest.h"
#include "keel/partition/partition_manager.h"
#include "spdlog/sinks/null_sink.h"
#include "testutil/batch_builder.h"
#include "testutil/sim_file_system.h"

namespace keel::partition {
namespace {

using keel::testing::SimFaults;
using keel::testing::SimFileSystem;

class PartitionManagerFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDir("/d0").ok());
    ASSERT_TRUE(fs_.CreateDir("/d1").ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
    PartitionManagerOptions o;
    o.log_dirs = {"/d0", "/d1"};
    o.fs = &fs_;
    o.retention_check_interval_ms = 3600000;
    o.cleaner_enable = false;
    o.logger = std::make_shared<spdlog::logger>("pm", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto pm = PartitionManager::Open(std::move(o));
    ASSERT_TRUE(pm.ok()) << pm.status();
    pm_ = std::move(*pm);
    ASSERT_TRUE(pm_->CreateTopic("t", 4, {}).ok());
  }

  void TearDown() override {
    if (pm_) (void)pm_->Shutdown();
  }

  // Appends one batch and waits for its durability; returns the outcome.
  absl::Status AppendDurable(int partition) {
    auto log = pm_->GetLog(TopicPartition{"t", PartitionId(partition)});
    if (!log) return absl::NotFoundError("no log");
    auto b = testutil::BuildSimpleBatch(2, 20);
    auto r = log->Append(b);
    if (!r.ok()) return r.status();
    std::promise<absl::Status> p;
    log->WaitDurable(r->last_offset, [&](absl::Status s) { p.set_value(s); });
    return p.get_future().get();
  }

  // The partitions placed in log dir `dir`.
  std::vector<int> PartitionsIn(const std::string& dir) {
    std::vector<int> out;
    for (int p = 0; p < 4; ++p) {
      if (pm_->GetLog(TopicPartition{"t", PartitionId(p)})->dir().starts_with(dir + "/")) out.push_back(p);
    }
    return out;
  }

  SimFileSystem fs_{7};
  std::unique_ptr<PartitionManager> pm_;
};

TEST_F(PartitionManagerFaultTest, FsyncEioTakesOnlyItsLogDirOffline) {
  std::vector<int> in0 = PartitionsIn("/d0"), in1 = PartitionsIn("/d1");
  ASSERT_EQ(in0.size(), 2u);
  ASSERT_EQ(in1.size(), 2u);
  ASSERT_TRUE(AppendDurable(in0[0]).ok());

  fs_.FailNextDataSyncs(1, "/d0/");
  absl::Status failed = AppendDurable(in0[0]);
  EXPECT_TRUE(absl::IsUnavailable(failed)) << failed;
  EXPECT_TRUE(pm_->IsLogDirOffline("/d0"));
  EXPECT_FALSE(pm_->IsLogDirOffline("/d1"));
  EXPECT_EQ(pm_->OfflineLogDirs(), std::vector<std::string>{"/d0"});

  // The other partition of the failed dir is offline too: appends and reads.
  auto sibling = pm_->GetLog(TopicPartition{"t", PartitionId(in0[1])});
  EXPECT_TRUE(sibling->offline());
  EXPECT_TRUE(absl::IsUnavailable(AppendDurable(in0[1])));
  EXPECT_TRUE(absl::IsUnavailable(sibling->Read(Offset(0), 100, Offset(0)).status()));

  // The other log dir keeps working.
  EXPECT_TRUE(AppendDurable(in1[0]).ok());
  EXPECT_TRUE(AppendDurable(in1[1]).ok());

  // New partitions avoid the offline dir.
  ASSERT_TRUE(pm_->CreateTopic("u", 2, {}).ok());
  for (int p = 0; p < 2; ++p) {
    auto log = pm_->GetLog(TopicPartition{"u", PartitionId(p)});
    EXPECT_TRUE(log->dir().starts_with("/d1/")) << log->dir();
    EXPECT_FALSE(log->offline());
  }
}

TEST_F(PartitionManagerFaultTest, EnospcFailsAppendsWithoutTakingLogDirsOffline) {
  int p = PartitionsIn("/d0")[0];
  ASSERT_TRUE(AppendDurable(p).ok());
  SimFaults f;
  f.capacity_bytes = fs_.used_bytes();
  fs_.SetFaults(f);
  absl::Status full = AppendDurable(p);
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_TRUE(pm_->OfflineLogDirs().empty());
  auto log = pm_->GetLog(TopicPartition{"t", PartitionId(p)});
  EXPECT_FALSE(log->offline());
  EXPECT_TRUE(log->Read(Offset(0), 1000, log->high_watermark()).ok());
  fs_.SetFaults({});
  EXPECT_TRUE(AppendDurable(p).ok());
}

}  // namespace
}  // namespace keel::partition
