#include "keel/storage/format.h"

#include <gtest/gtest.h>

namespace keel::storage {
namespace {

TEST(FormatTest, SegmentNamesHaveTwentyDigits) {
  EXPECT_EQ(SegmentFileName(42, kLogSuffix), "00000000000000000042.log");
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.log", kLogSuffix), 42);
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.index", kLogSuffix), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000042.log", kLogSuffix), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000004x.log", kLogSuffix), std::nullopt);
}

TEST(FormatTest, PartitionDirIsSplitAtLastDash) {
  auto p = ParsePartitionDirName("my-topic-12-3");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->topic, "my-topic-12");
  EXPECT_EQ(p->partition, 3);
  EXPECT_EQ(PartitionDirName("a-1", 7), "a-1-7");
  EXPECT_FALSE(ParsePartitionDirName("topic").has_value());
  EXPECT_FALSE(ParsePartitionDirName("-3").has_value());
  EXPECT_FALSE(ParsePartitionDirName("topic-x").has_value());
  EXPECT_FALSE(ParsePartitionDirName("topic-").has_value());
  EXPECT_FALSE(ParsePartitionDirName("t-0.abc-delete").has_value());
}

TEST(FormatTest, CheckpointRoundTrips) {
  Checkpoint c{123, 45};
  auto d = DecodeCheckpoint(EncodeCheckpoint(c));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->recovery_point, 123);
  EXPECT_EQ(d->log_start_offset, 45);
}

TEST(FormatTest, DamagedCheckpointIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(DecodeCheckpoint("keel-checkpoint 1\nrecovery_point 1\n").status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeCheckpoint("garbage").status()));
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeCheckpoint("keel-checkpoint 1\nrecovery_point x\nlog_start_offset 0\n").status()));
}

}  // namespace
}  // namespace keel::storage
