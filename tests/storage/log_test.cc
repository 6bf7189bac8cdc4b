#include "keel/storage/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "keel/common/coding.h"
#include "keel/storage/format.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::BatchAt;
namespace fs = std::filesystem;

class LogTest : public ::testing::Test, public testing::LogFixture {};

std::vector<uint8_t> Concat(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_F(LogTest, AppendAssignsContiguousOffsets) {
  auto log = *OpenLog();
  auto b1 = BatchAt(5, now_ms);
  auto b2 = BatchAt(1, now_ms);
  auto b3 = BatchAt(3, now_ms);
  auto r1 = log->Append(b1);
  auto r2 = log->Append(b2);
  auto r3 = log->Append(b3);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ(r1->base_offset.value, 0);
  EXPECT_EQ(r1->last_offset.value, 4);
  EXPECT_EQ(r2->base_offset.value, 5);
  EXPECT_EQ(r3->base_offset.value, 6);
  EXPECT_EQ(r3->last_offset.value, 8);
  EXPECT_EQ(r3->log_append_time_ms, -1);
  EXPECT_EQ(log->log_end_offset().value, 9);
}

TEST_F(LogTest, AppendPatchesOffsetAndEpochInPlaceKeepingCrcValid) {
  auto log = *OpenLog();
  AppendOk(*log, BatchAt(2, now_ms));
  auto b = BatchAt(3, now_ms);
  ASSERT_TRUE(log->Append(b, 7).ok());
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->base_offset, 2);
  EXPECT_EQ(h->partition_leader_epoch, 7);
}

TEST_F(LogTest, AppendOfSeveralBatchesInOneSpan) {
  auto log = *OpenLog();
  auto all = Concat({BatchAt(2, now_ms), BatchAt(3, now_ms), BatchAt(1, now_ms)});
  auto r = log->Append(all);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset.value, 0);
  EXPECT_EQ(r->last_offset.value, 5);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadAll(*log), all);
}

TEST_F(LogTest, AppendRejectsMalformedBytesWithoutWriting) {
  auto log = *OpenLog();
  auto good = BatchAt(2, now_ms);
  auto bad_magic = good;
  bad_magic[batch_offsets::kMagic] = 1;
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(bad_magic).status()));
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(trailing).status()));
  auto cut = good;
  cut.resize(good.size() - 1);
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(cut).status()));
  std::vector<uint8_t> empty;
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(empty).status()));
  EXPECT_EQ(log->log_end_offset().value, 0);
  EXPECT_EQ(log->size_bytes(), 0u);
}

TEST_F(LogTest, AppendChecksCrcOnlyWhenConfigured) {
  auto corrupt = BatchAt(2, now_ms);
  corrupt.back() ^= 0xff;
  {
    auto log = *OpenLog();
    EXPECT_TRUE(log->Append(corrupt).ok());
  }
  LogConfig c;
  c.verify_crc_on_append = true;
  testing::LogFixture other;
  auto log = *other.OpenLog(c);
  auto again = BatchAt(2, now_ms);
  again.back() ^= 0xff;
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(again).status()));
}

TEST_F(LogTest, AppendRejectsBatchOverMaxMessageBytes) {
  LogConfig c;
  c.max_message_bytes = 200;
  auto log = *OpenLog(c);
  auto big = BatchAt(3, now_ms, 100);
  EXPECT_TRUE(absl::IsResourceExhausted(log->Append(big).status()));
}

TEST_F(LogTest, LogAppendTimeStampsBatches) {
  LogConfig c;
  c.message_timestamp_type = TimestampType::kLogAppendTime;
  auto log = *OpenLog(c);
  now_ms = 1800000000000;
  auto b = BatchAt(2, 1000);
  auto r = log->Append(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->log_append_time_ms, 1800000000000);
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->log_append_time());
  EXPECT_EQ(h->max_timestamp, 1800000000000);
}

TEST_F(LogTest, ReadRoundTripsStoredBytes) {
  auto log = *OpenLog();
  std::vector<std::vector<uint8_t>> stored;
  for (int i = 0; i < 20; ++i) stored.push_back(AppendOk(*log, BatchAt(1 + i % 4, now_ms, 50, i)));
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadAll(*log), Concat(stored));
}

TEST_F(LogTest, ReadIsBoundedByHighWatermark) {
  auto log = *OpenLog();
  AppendOk(*log, BatchAt(3, now_ms));
  EXPECT_EQ(log->high_watermark().value, 0);
  auto r = log->Read(Offset(0), 1 << 20, log->high_watermark());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->slices.empty());
  EXPECT_EQ(r->first_offset.value, -1);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->high_watermark().value, 3);
  r = log->Read(Offset(0), 1 << 20, log->high_watermark());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_offset.value, 0);
  EXPECT_EQ(r->next_offset.value, 3);
}

TEST_F(LogTest, ReadStartsAtBatchContainingOffset) {
  auto log = *OpenLog();
  AppendOk(*log, BatchAt(5, now_ms));
  auto second = AppendOk(*log, BatchAt(5, now_ms));
  ASSERT_TRUE(log->Flush().ok());
  auto r = log->Read(Offset(7), 1 << 20, log->high_watermark());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_offset.value, 5);
  EXPECT_EQ(*ReadBytes(r->slices), second);
}

TEST_F(LogTest, ReadReturnsOneWholeBatchEvenAboveMaxBytes) {
  auto log = *OpenLog();
  auto first = AppendOk(*log, BatchAt(5, now_ms, 500));
  AppendOk(*log, BatchAt(5, now_ms, 500));
  ASSERT_TRUE(log->Flush().ok());
  auto r = log->Read(Offset(0), 10, log->high_watermark());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*ReadBytes(r->slices), first);
  EXPECT_EQ(r->next_offset.value, 5);
}

TEST_F(LogTest, ReadStopsBeforeExceedingMaxBytes) {
  auto log = *OpenLog();
  std::vector<std::vector<uint8_t>> stored;
  for (int i = 0; i < 10; ++i) stored.push_back(AppendOk(*log, BatchAt(1, now_ms, 100)));
  ASSERT_TRUE(log->Flush().ok());
  size_t three = stored[0].size() * 3;
  auto r = log->Read(Offset(0), three + stored[0].size() - 1, log->high_watermark());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total_bytes, three);
  EXPECT_EQ(r->next_offset.value, 3);
}

TEST_F(LogTest, ReadMustFitReturnsNothingWhenTheFirstBatchIsTooLarge) {
  auto log = *OpenLog();
  auto first = AppendOk(*log, BatchAt(5, now_ms, 500));
  AppendOk(*log, BatchAt(1, now_ms, 10));
  ASSERT_TRUE(log->Flush().ok());
  auto r = log->Read(Offset(0), first.size() - 1, log->high_watermark(), FirstBatch::kMustFit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->slices.empty()) << "a batch one byte over the limit must not be returned";
  EXPECT_EQ(r->total_bytes, 0u);
  EXPECT_EQ(r->next_offset.value, 0) << "nothing consumed";
  EXPECT_EQ(r->high_watermark.value, 6) << "the watermarks are still reported";

  auto zero = log->Read(Offset(0), 0, log->high_watermark(), FirstBatch::kMustFit);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->total_bytes, 0u);
}

TEST_F(LogTest, ReadMustFitReturnsWholeBatchesThatFitExactly) {
  auto log = *OpenLog();
  std::vector<std::vector<uint8_t>> stored;
  for (int i = 0; i < 4; ++i) stored.push_back(AppendOk(*log, BatchAt(2, now_ms, 100)));
  ASSERT_TRUE(log->Flush().ok());
  const size_t one = stored[0].size();
  auto exact = log->Read(Offset(0), 2 * one, log->high_watermark(), FirstBatch::kMustFit);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->total_bytes, 2 * one) << "a limit equal to two batches holds both";
  EXPECT_EQ(exact->next_offset.value, 4);
  // Starting inside the second batch: it is returned whole (from its base).
  auto mid = log->Read(Offset(3), one, log->high_watermark(), FirstBatch::kMustFit);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->first_offset.value, 2);
  EXPECT_EQ(*ReadBytes(mid->slices), stored[1]);
}

TEST_F(LogTest, ReadOutsideLogIsOutOfRange) {
  auto log = *OpenLog();
  AppendOk(*log, BatchAt(3, now_ms));
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_TRUE(absl::IsOutOfRange(log->Read(Offset(4), 100, Offset(100)).status()));
  auto at_end = log->Read(Offset(3), 100, log->high_watermark());
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->slices.empty());
  ASSERT_TRUE(log->DeleteRecordsBefore(Offset(2)).ok());
  EXPECT_TRUE(absl::IsOutOfRange(log->Read(Offset(1), 100, Offset(100)).status()));
}

TEST_F(LogTest, IndexLookupsFindEveryOffset) {
  LogConfig c;
  c.index_interval_bytes = 300;
  c.segment_bytes = 4000;
  auto log = *OpenLog(c);
  std::vector<int64_t> base_of;
  for (int i = 0; i < 60; ++i) {
    int n = 1 + i % 3;
    auto r = AppendTemp(*log, BatchAt(n, now_ms, 40));
    ASSERT_TRUE(r.ok());
    for (int k = 0; k < n; ++k) base_of.push_back(r->base_offset.value);
  }
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_GT(log->segment_count(), 2u);
  for (int64_t o = 0; o < int64_t(base_of.size()); ++o) {
    auto r = log->Read(Offset(o), 1, log->high_watermark());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first_offset.value, base_of[o]) << "offset " << o;
  }
}

TEST_F(LogTest, RollsOnSegmentBytes) {
  LogConfig c;
  c.segment_bytes = 1000;
  auto log = *OpenLog(c);
  for (int i = 0; i < 10; ++i) AppendOk(*log, BatchAt(1, now_ms, 200));
  EXPECT_GE(log->segment_count(), 4u);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->Read(Offset(0), 1 << 20, log->high_watermark())->next_offset.value, 10);
}

TEST_F(LogTest, RollsOnSegmentMs) {
  LogConfig c;
  c.segment_ms = 1000;
  auto log = *OpenLog(c);
  AppendOk(*log, BatchAt(1, now_ms));
  AppendOk(*log, BatchAt(1, now_ms));
  EXPECT_EQ(log->segment_count(), 1u);
  now_ms += 1000;
  AppendOk(*log, BatchAt(1, now_ms));
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST_F(LogTest, RollsWhenIndexIsFull) {
  LogConfig c;
  c.index_interval_bytes = 0;
  c.segment_index_bytes = 36;  // 4 offset-index entries, 3 time-index entries
  auto log = *OpenLog(c);
  for (int i = 0; i < 3; ++i) AppendOk(*log, BatchAt(1, now_ms + i));
  EXPECT_EQ(log->segment_count(), 1u);
  AppendOk(*log, BatchAt(1, now_ms + 3));
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST_F(LogTest, RollsOnRelativeOffsetOverflow) {
  auto log = *OpenLog();
  auto huge = BatchAt(1, now_ms);
  coding::StoreBE32(huge.data() + batch_offsets::kLastOffsetDelta, 0x7ffffff0);
  auto r = log->Append(huge);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->last_offset.value, 0x7ffffff0);
  AppendOk(*log, BatchAt(1, now_ms));
  EXPECT_EQ(log->segment_count(), 1u);
  auto wide = BatchAt(1, now_ms);
  coding::StoreBE32(wide.data() + batch_offsets::kLastOffsetDelta, 100);
  ASSERT_TRUE(log->Append(wide).ok());
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST_F(LogTest, OffsetForTimestampUsesTimeIndexAcrossSegments) {
  LogConfig c;
  c.segment_bytes = 2000;
  c.index_interval_bytes = 200;
  auto log = *OpenLog(c);
  for (int i = 0; i < 40; ++i) AppendOk(*log, BatchAt(2, 1000 + i * 10, 80));
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_GT(log->segment_count(), 2u);
  EXPECT_EQ(log->OffsetForTimestamp(0)->value, 0);
  EXPECT_EQ(log->OffsetForTimestamp(1000)->value, 0);
  EXPECT_EQ(log->OffsetForTimestamp(1001)->value, 2);
  EXPECT_EQ(log->OffsetForTimestamp(1250)->value, 50);
  EXPECT_EQ(log->OffsetForTimestamp(1390)->value, 78);
  EXPECT_TRUE(absl::IsNotFound(log->OffsetForTimestamp(1391).status()));
  auto max = log->MaxTimestampOffset();
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->timestamp, 1390);
  EXPECT_EQ(max->offset, 78);
}

TEST_F(LogTest, TimestampLookupsIgnoreDataAboveHighWatermark) {
  auto log = *OpenLog();
  AppendOk(*log, BatchAt(1, 1000));
  ASSERT_TRUE(log->Flush().ok());
  AppendOk(*log, BatchAt(1, 5000));
  EXPECT_TRUE(absl::IsNotFound(log->OffsetForTimestamp(2000).status()));
  EXPECT_EQ(log->MaxTimestampOffset()->timestamp, 1000);
}

TEST_F(LogTest, RetentionByTimeDeletesExpiredClosedSegments) {
  LogConfig c;
  c.segment_bytes = 500;
  c.retention_ms = 10000;
  auto log = *OpenLog(c);
  for (int i = 0; i < 6; ++i) AppendOk(*log, BatchAt(1, 1000, 300));   // old
  for (int i = 0; i < 3; ++i) AppendOk(*log, BatchAt(1, 100000, 300));  // new
  ASSERT_TRUE(log->Flush().ok());
  size_t before = log->segment_count();
  auto deleted = log->ApplyRetention(100000 + 5000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 6);
  EXPECT_EQ(log->segment_count(), before - 6);
  EXPECT_EQ(log->log_start_offset().value, 6);
  EXPECT_TRUE(absl::IsOutOfRange(log->Read(Offset(0), 100, log->high_watermark()).status()));
  // Everything expired: the active segment still stays.
  deleted = log->ApplyRetention(10000000);
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST_F(LogTest, RetentionBySizeKeepsNewestBytes) {
  LogConfig c;
  c.segment_bytes = 500;
  c.retention_bytes = 1000;
  auto log = *OpenLog(c);
  size_t batch_size = 0;
  for (int i = 0; i < 10; ++i) batch_size = AppendOk(*log, BatchAt(1, now_ms, 300)).size();
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->ApplyRetention(now_ms).ok());
  // Whole segments (one batch each here) go while the rest still holds >= 1000 bytes.
  EXPECT_GE(log->size_bytes(), 1000u);
  EXPECT_LT(log->size_bytes() - batch_size, 1000u);
  EXPECT_EQ(log->log_end_offset().value, 10);
}

TEST_F(LogTest, RetentionNeverDeletesAboveHighWatermark) {
  LogConfig c;
  c.segment_bytes = 500;
  c.retention_ms = 1;
  auto log = *OpenLog(c);
  for (int i = 0; i < 6; ++i) AppendOk(*log, BatchAt(1, 1000, 300));
  ASSERT_EQ(log->high_watermark().value, 0);
  ASSERT_EQ(*log->ApplyRetention(now_ms), 0);
  EXPECT_EQ(log->log_start_offset().value, 0);
}

TEST_F(LogTest, DeleteRecordsBeforeAdvancesLogStartAndSurvivesReopen) {
  LogConfig c;
  c.segment_bytes = 500;
  {
    auto log = *OpenLog(c);
    for (int i = 0; i < 8; ++i) AppendOk(*log, BatchAt(1, now_ms, 300));
    EXPECT_TRUE(absl::IsOutOfRange(log->DeleteRecordsBefore(Offset(3)).status()));
    ASSERT_TRUE(log->Flush().ok());
    size_t before = log->segment_count();
    auto r = log->DeleteRecordsBefore(Offset(5));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->value, 5);
    EXPECT_LT(log->segment_count(), before);
    EXPECT_EQ(log->log_start_offset().value, 5);
    auto read = log->Read(Offset(5), 1, log->high_watermark());
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->first_offset.value, 5);
    EXPECT_TRUE(absl::IsOutOfRange(log->DeleteRecordsBefore(Offset(9)).status()));
    EXPECT_EQ(log->DeleteRecordsBefore(Offset(-1))->value, 8);
    EXPECT_EQ(log->DeleteRecordsBefore(Offset(6))->value, 8);
  }
  auto log = *OpenLog(c);
  EXPECT_EQ(log->log_start_offset().value, 8);
  EXPECT_EQ(log->log_end_offset().value, 8);
}

TEST_F(LogTest, TruncateRemovesTailBatches) {
  LogConfig c;
  c.segment_bytes = 500;
  auto log = *OpenLog(c);
  std::vector<std::vector<uint8_t>> stored;
  for (int i = 0; i < 8; ++i) stored.push_back(AppendOk(*log, BatchAt(2, now_ms, 150)));
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Truncate(Offset(7)).ok());  // inside batch [6,7]
  EXPECT_EQ(log->log_end_offset().value, 6);
  EXPECT_EQ(log->high_watermark().value, 6);
  stored.resize(3);
  EXPECT_EQ(ReadAll(*log), Concat(stored));
  auto r = AppendTemp(*log, BatchAt(1, now_ms));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset.value, 6);
  EXPECT_TRUE(absl::IsInvalidArgument(log->Truncate(Offset(-5))));
}

TEST_F(LogTest, CleanCloseAndReopenKeepsEverything) {
  LogConfig c;
  c.segment_bytes = 1000;
  c.index_interval_bytes = 100;
  std::vector<std::vector<uint8_t>> stored;
  {
    auto log = *OpenLog(c);
    for (int i = 0; i < 12; ++i) stored.push_back(AppendOk(*log, BatchAt(2, 1000 + i, 100, i)));
    ASSERT_TRUE(log->Close().ok());
    EXPECT_TRUE(absl::IsUnavailable(AppendTemp(*log, BatchAt(1, 1)).status()));
    EXPECT_TRUE(fs::exists(fs::path(dir()) / kCleanShutdownFile));
  }
  auto log = *OpenLog(c);
  EXPECT_FALSE(fs::exists(fs::path(dir()) / kCleanShutdownFile));
  EXPECT_EQ(log->log_end_offset().value, 24);
  EXPECT_EQ(log->high_watermark().value, 24);
  EXPECT_EQ(ReadAll(*log), Concat(stored));
  EXPECT_EQ(log->OffsetForTimestamp(1005)->value, 10);
  EXPECT_EQ(AppendTemp(*log, BatchAt(1, 1))->base_offset.value, 24);
}

TEST_F(LogTest, MissingAndCorruptIndexesAreRebuilt) {
  LogConfig c;
  c.segment_bytes = 1000;
  c.index_interval_bytes = 100;
  std::vector<std::vector<uint8_t>> stored;
  {
    auto log = *OpenLog(c);
    for (int i = 0; i < 12; ++i) stored.push_back(AppendOk(*log, BatchAt(2, 1000 + i, 100, i)));
    ASSERT_TRUE(log->Close().ok());
  }
  std::vector<fs::path> indexes;
  for (auto& e : fs::directory_iterator(dir())) {
    if (e.path().extension() == ".index") indexes.push_back(e.path());
  }
  std::sort(indexes.begin(), indexes.end());
  ASSERT_GE(indexes.size(), 3u);
  fs::remove(indexes[0]);
  fs::resize_file(indexes[1], 3);
  { std::ofstream(indexes[2], std::ios::binary) << std::string(16, '\xff'); }
  auto log = *OpenLog(c);
  EXPECT_EQ(ReadAll(*log), Concat(stored));
  for (int o = 0; o < 24; ++o) {
    EXPECT_EQ(log->Read(Offset(o), 1, log->high_watermark())->first_offset.value, o - o % 2);
  }
}

TEST_F(LogTest, SlicesStayReadableAfterSegmentDeletion) {
  LogConfig c;
  c.segment_bytes = 500;
  c.retention_bytes = 0;
  auto log = *OpenLog(c);
  auto first = AppendOk(*log, BatchAt(1, now_ms, 300));
  for (int i = 0; i < 3; ++i) AppendOk(*log, BatchAt(1, now_ms, 300));
  ASSERT_TRUE(log->Flush().ok());
  auto r = log->Read(Offset(0), 1, log->high_watermark());
  ASSERT_TRUE(r.ok());
  ASSERT_GT(*log->ApplyRetention(now_ms), 0);
  EXPECT_FALSE(fs::exists(fs::path(dir()) / SegmentFileName(0, kLogSuffix)));
  EXPECT_EQ(*ReadBytes(r->slices), first);
}

TEST_F(LogTest, PreallocatedSegmentsAreTrimmedOnRollAndClose) {
  LogConfig c;
  c.segment_bytes = 1000;
  c.preallocate_bytes = 1000;
  std::vector<std::vector<uint8_t>> stored;
  {
    auto log = *OpenLog(c);
    EXPECT_EQ(fs::file_size(fs::path(dir()) / SegmentFileName(0, kLogSuffix)), 1000u);
    for (int i = 0; i < 5; ++i) stored.push_back(AppendOk(*log, BatchAt(1, now_ms, 300)));
    ASSERT_TRUE(log->Flush().ok());
    EXPECT_EQ(ReadAll(*log), Concat(stored));
    ASSERT_TRUE(log->Close().ok());
  }
  uint64_t total = 0;
  for (auto& e : fs::directory_iterator(dir())) {
    if (e.path().extension() == ".log") total += fs::file_size(e.path());
  }
  EXPECT_EQ(total, Concat(stored).size());
  auto log = *OpenLog(c);
  EXPECT_EQ(ReadAll(*log), Concat(stored));
}

}  // namespace
}  // namespace keel::storage
