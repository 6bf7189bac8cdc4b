#include "keel/common/record_batch.h"

#include "gtest/gtest.h"
#include "keel/common/coding.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

TEST(RecordBatch, BuiltBatchValidates) {
  auto b = testutil::BuildSimpleBatch(5, 10);
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->records_count, 5);
  EXPECT_EQ(h->last_offset_delta, 4);
  EXPECT_EQ(h->total_size(), b.size());
  EXPECT_EQ(h->compression(), Compression::kNone);
}

TEST(RecordBatch, CorruptPayloadFailsCrc) {
  auto b = testutil::BuildSimpleBatch(3, 10);
  b.back() ^= 0x01;
  auto h = ValidateBatch(b);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordBatch, WrongMagicRejected) {
  auto b = testutil::BuildSimpleBatch(1, 10);
  b[batch_offsets::kMagic] = 1;
  EXPECT_EQ(ValidateBatch(b).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordBatch, LengthMismatchRejected) {
  auto b = testutil::BuildSimpleBatch(2, 10);
  b.push_back(0);
  EXPECT_FALSE(ValidateBatch(b).ok());
  b.resize(b.size() - 2);
  EXPECT_FALSE(ValidateBatch(b).ok());
}

TEST(RecordBatch, ShortHeaderIsInvalidArgument) {
  std::vector<uint8_t> b(20, 0);
  b[batch_offsets::kMagic] = 2;
  EXPECT_EQ(ParseBatchHeader(b).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecordBatch, InconsistentLastOffsetDeltaRejected) {
  auto b = testutil::BuildSimpleBatch(4, 10);
  coding::StoreBE32(b.data() + batch_offsets::kLastOffsetDelta, 1);
  // Fix the CRC so only the count check can fail.
  PatchLogAppendTime(b, 5);  // recomputes the CRC over the changed header
  EXPECT_EQ(ValidateBatch(b).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordBatch, PatchesOutsideCrcKeepItValid) {
  auto b = testutil::BuildSimpleBatch(2, 10);
  PatchBaseOffset(b, 12345);
  PatchPartitionLeaderEpoch(b, 7);
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->base_offset, 12345);
  EXPECT_EQ(h->partition_leader_epoch, 7);
  EXPECT_EQ(h->last_offset(), 12346);
}

TEST(RecordBatch, LogAppendTimeRecomputesCrc) {
  auto b = testutil::BuildSimpleBatch(2, 10);
  PatchLogAppendTime(b, 424242);
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->log_append_time());
  EXPECT_EQ(h->max_timestamp, 424242);
}

TEST(RecordBatch, SetCreateTimeMaxTimestampRewritesOnlyWhatDiffers) {
  auto b = testutil::BuildSimpleBatch(2, 10);
  const int64_t built_max = ParseBatchHeader(b)->max_timestamp;
  const auto before = b;
  EXPECT_FALSE(SetCreateTimeMaxTimestamp(b, built_max));
  EXPECT_EQ(b, before);
  EXPECT_TRUE(SetCreateTimeMaxTimestamp(b, 777));
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->log_append_time());
  EXPECT_EQ(h->max_timestamp, 777);
  // A LogAppendTime bit is cleared even when the time already matches; the
  // other attribute bits are kept.
  coding::StoreBE16(b.data() + batch_offsets::kAttributes,
                    uint16_t(batch_attr::kLogAppendTime | batch_attr::kTransactional));
  EXPECT_TRUE(SetCreateTimeMaxTimestamp(b, 777));
  h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->attributes, batch_attr::kTransactional);
}

TEST(RecordBatch, NextBatchSizeSplitsStream) {
  auto a = testutil::BuildSimpleBatch(1, 5);
  auto b = testutil::BuildSimpleBatch(2, 5);
  std::vector<uint8_t> s = a;
  s.insert(s.end(), b.begin(), b.end());
  auto n = NextBatchSize(s);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, a.size());
  std::span<const uint8_t> rest(s.data() + a.size(), b.size() - 1);
  EXPECT_EQ(*NextBatchSize(rest), 0u);  // partial
  std::vector<uint8_t> bad(12, 0);
  EXPECT_FALSE(NextBatchSize(bad).ok());
}

}  // namespace
}  // namespace keel
