#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "keel/storage/format.h"
#include "keel/storage/log.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::BatchAt;
namespace fs = std::filesystem;

class LogRecoveryTest : public ::testing::Test, public testing::LogFixture {
 protected:
  // Writes `n` batches without a clean close; returns each stored batch.
  std::vector<std::vector<uint8_t>> WriteUnclean(int n, LogConfig c = {}) {
    std::vector<std::vector<uint8_t>> stored;
    auto log = *OpenLog(c);
    for (int i = 0; i < n; ++i) stored.push_back(AppendOk(*log, BatchAt(1 + i % 3, 1000 + i, 20 + i * 7, i)));
    EXPECT_TRUE(log->Flush().ok());
    return stored;  // log destroyed without Close(): no clean-shutdown marker
  }

  fs::path LastSegment() {
    fs::path last;
    for (auto& e : fs::directory_iterator(dir())) {
      if (e.path().extension() == ".log" && (last.empty() || e.path() > last)) last = e.path();
    }
    return last;
  }

  static std::vector<uint8_t> Prefix(const std::vector<std::vector<uint8_t>>& batches, size_t bytes,
                                     int64_t* next_offset) {
    std::vector<uint8_t> out;
    *next_offset = 0;
    for (const auto& b : batches) {
      if (out.size() + b.size() > bytes) break;
      out.insert(out.end(), b.begin(), b.end());
      *next_offset = ValidateBatch(b)->last_offset() + 1;
    }
    return out;
  }

  void AppendToFile(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::app);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
};

TEST_F(LogRecoveryTest, TornTailAtRandomPositionsKeepsExactlyTheValidPrefix) {
  std::mt19937 rng(42);
  for (int round = 0; round < 25; ++round) {
    fs::remove_all(dir());
    auto stored = WriteUnclean(12);
    fs::path seg = LastSegment();
    size_t total = fs::file_size(seg);
    size_t cut = std::uniform_int_distribution<size_t>(0, total)(rng);
    fs::resize_file(seg, cut);
    int64_t expected_next;
    auto expected = Prefix(stored, cut, &expected_next);
    auto log = OpenLog();
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->log_end_offset().value, expected_next) << "cut at " << cut;
    EXPECT_EQ(ReadAll(**log), expected);
    EXPECT_EQ(fs::file_size(seg), expected.size());
    auto r = AppendTemp(**log, BatchAt(1, now_ms));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->base_offset.value, expected_next);
  }
}

TEST_F(LogRecoveryTest, GarbageAfterLastBatchIsTruncated) {
  std::mt19937 rng(7);
  for (int round = 0; round < 10; ++round) {
    fs::remove_all(dir());
    auto stored = WriteUnclean(5);
    std::vector<uint8_t> garbage(size_t(1 + rng() % 300));
    for (auto& g : garbage) g = uint8_t(rng());
    AppendToFile(LastSegment(), garbage);
    auto log = *OpenLog();
    int64_t next;
    auto expected = Prefix(stored, SIZE_MAX, &next);
    EXPECT_EQ(log->log_end_offset().value, next);
    EXPECT_EQ(ReadAll(*log), expected);
  }
}

TEST_F(LogRecoveryTest, CopiedBatchWithWrongOffsetIsTruncated) {
  auto stored = WriteUnclean(4);
  AppendToFile(LastSegment(), stored[1]);  // valid CRC but offsets not contiguous
  auto log = *OpenLog();
  int64_t next;
  EXPECT_EQ(ReadAll(*log), Prefix(stored, SIZE_MAX, &next));
  EXPECT_EQ(log->log_end_offset().value, next);
}

TEST_F(LogRecoveryTest, ZeroFilledPreallocatedTailIsNotAnError) {
  LogConfig c;
  c.preallocate_bytes = 64 * 1024;
  auto stored = WriteUnclean(6, c);
  EXPECT_EQ(fs::file_size(LastSegment()), 64u * 1024);
  auto log = OpenLog(c);
  ASSERT_TRUE(log.ok()) << log.status();
  int64_t next;
  EXPECT_EQ(ReadAll(**log), Prefix(stored, SIZE_MAX, &next));
  EXPECT_EQ((*log)->log_end_offset().value, next);
  auto r = AppendTemp(**log, BatchAt(1, now_ms));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset.value, next);
}

TEST_F(LogRecoveryTest, CorruptCrcInUnflushedTailTruncatesThere) {
  auto stored = WriteUnclean(6);
  fs::path seg = LastSegment();
  size_t pos = stored[0].size() + stored[1].size() + stored[2].size() + stored[3].size() - 1;
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(std::streamoff(pos));
    f.put('\x5a');
  }
  auto log = *OpenLog();
  int64_t next;
  EXPECT_EQ(ReadAll(*log), Prefix(stored, pos - stored[3].size() + 1, &next));
  EXPECT_EQ(log->log_end_offset().value, next);
}

TEST_F(LogRecoveryTest, CleanShutdownSkipsTheScan) {
  std::vector<std::vector<uint8_t>> stored;
  {
    auto log = *OpenLog();
    for (int i = 0; i < 4; ++i) stored.push_back(AppendOk(*log, BatchAt(2, 1000, 50, i)));
    ASSERT_TRUE(log->Close().ok());
  }
  // A payload byte flip that only a CRC check would notice.
  {
    std::fstream f(LastSegment(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(std::streamoff(stored[0].size() + stored[1].size() - 1));
    f.put('\x01');
  }
  {
    auto log = *OpenLog();
    EXPECT_EQ(log->log_end_offset().value, 8);  // not scanned: kept
  }
  // Without the marker (and with no checkpoint, so from offset 0) the same log
  // is CRC-checked and cut before the bad batch.
  fs::remove(fs::path(dir()) / kCheckpointFile);
  auto log = *OpenLog();
  EXPECT_EQ(log->log_end_offset().value, 2);
}

TEST_F(LogRecoveryTest, RecoveryInfoTellsCreatedCleanAndUncleanApart) {
  {
    auto log = *OpenLog();  // an empty directory: created, nothing to recover
    EXPECT_TRUE(log->recovery_info().clean_shutdown);
    AppendOk(*log, BatchAt(2, 1000, 50, 0));
    ASSERT_TRUE(log->Close().ok());
  }
  {
    auto log = *OpenLog();
    EXPECT_TRUE(log->recovery_info().clean_shutdown);
    AppendOk(*log, BatchAt(2, 1000, 50, 1));
    ASSERT_TRUE(log->Flush().ok());
  }  // destroyed without Close()
  auto log = *OpenLog();
  EXPECT_FALSE(log->recovery_info().clean_shutdown);
  EXPECT_EQ(log->recovery_info().bytes_truncated, 0u);
  EXPECT_EQ(log->log_end_offset().value, 4);
}

// An fsync error raced a roll: the old segment lost its unsynced data while
// the next segment's data reached the disk. Nothing after such a hole was
// acknowledged, and a delete-policy log has no legitimate holes: recovery
// ends the log at the hole. A compacted log (cleaned batches leave holes)
// keeps its later segments.
TEST_F(LogRecoveryTest, SegmentsAfterAHoleAreDroppedUnlessCompacted) {
  for (bool compacted : {false, true}) {
    SCOPED_TRACE(compacted ? "compacted" : "delete policy");
    fs::remove_all(dir());
    LogConfig c;
    c.cleanup_compact = compacted;
    {
      auto log = *OpenLog(c);
      for (int i = 0; i < 3; ++i) AppendOk(*log, BatchAt(2, 1000 + i, 30, i));
      ASSERT_TRUE(log->Roll().ok());
      for (int i = 0; i < 2; ++i) AppendOk(*log, BatchAt(2, 2000 + i, 30, i));
      ASSERT_TRUE(log->Flush().ok());
      ASSERT_EQ(log->segment_count(), 2u);
    }  // no Close(): unclean
    // The first segment's data was lost (empty file); with no checkpoint
    // every segment is above the recovery point.
    fs::resize_file(fs::path(dir()) / SegmentFileName(0, kLogSuffix), 0);
    fs::remove(fs::path(dir()) / kCheckpointFile);
    auto log = *OpenLog(c);
    if (compacted) {
      EXPECT_EQ(log->log_end_offset().value, 10);
      EXPECT_EQ(log->segment_count(), 2u);
    } else {
      EXPECT_EQ(log->log_end_offset().value, 0);
      EXPECT_EQ(log->segment_count(), 1u);
      EXPECT_FALSE(fs::exists(fs::path(dir()) / SegmentFileName(6, kLogSuffix)));
    }
  }
}

TEST_F(LogRecoveryTest, TruncationInEarlierSegmentDropsLaterSegments) {
  LogConfig c;
  c.segment_bytes = 400;
  auto stored = WriteUnclean(10, c);
  std::vector<fs::path> segs;
  for (auto& e : fs::directory_iterator(dir())) {
    if (e.path().extension() == ".log") segs.push_back(e.path());
  }
  std::sort(segs.begin(), segs.end());
  ASSERT_GE(segs.size(), 3u);
  // No checkpoint: recovery starts at the first segment.
  fs::remove(fs::path(dir()) / kCheckpointFile);
  fs::resize_file(segs[1], fs::file_size(segs[1]) - 1);
  auto log = *OpenLog(c);
  auto first_base = ParseSegmentFileName(segs[1].filename().string(), kLogSuffix);
  EXPECT_LT(log->log_end_offset().value, *first_base + 5);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_FALSE(fs::exists(segs[2]));
}

TEST_F(LogRecoveryTest, LeftoverTempAndDeletedFilesAreRemoved) {
  WriteUnclean(2);
  std::ofstream(fs::path(dir()) / "checkpoint.tmp") << "x";
  std::ofstream(fs::path(dir()) / "00000000000000000000.log.deleted") << "x";
  std::ofstream(fs::path(dir()) / "00000000000000000099.index") << "x";  // orphan index
  auto log = *OpenLog();
  EXPECT_FALSE(fs::exists(fs::path(dir()) / "checkpoint.tmp"));
  EXPECT_FALSE(fs::exists(fs::path(dir()) / "00000000000000000000.log.deleted"));
  EXPECT_FALSE(fs::exists(fs::path(dir()) / "00000000000000000099.index"));
}

TEST_F(LogRecoveryTest, SegmentsBelowCheckpointedLogStartAreDeleted) {
  LogConfig c;
  c.segment_bytes = 400;
  WriteUnclean(10, c);
  auto text = ReadFileToString(fs_, JoinPath(dir(), kCheckpointFile));
  ASSERT_TRUE(text.ok());
  auto cp = DecodeCheckpoint(*text);
  cp->log_start_offset = 9;
  ASSERT_TRUE(WriteFileAtomically(fs_, dir(), std::string(kCheckpointFile), EncodeCheckpoint(*cp)).ok());
  auto log = *OpenLog(c);
  EXPECT_EQ(log->log_start_offset().value, 9);
  EXPECT_TRUE(absl::IsOutOfRange(log->Read(Offset(0), 10, log->high_watermark()).status()));
}

}  // namespace
}  // namespace keel::storage
