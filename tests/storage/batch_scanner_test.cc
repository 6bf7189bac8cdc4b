#include "keel/storage/batch_scanner.h"

#include <gtest/gtest.h>

#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

class BatchScannerTest : public ::testing::Test {
 protected:
  // Writes three batches with offsets 0-1, 2-4, 5 and returns the file.
  std::shared_ptr<FileHandle> Write(std::vector<uint8_t> tail = {}) {
    std::vector<uint8_t> all;
    int64_t next = 0;
    for (int n : {2, 3, 1}) {
      auto b = testutil::BuildSimpleBatch(n, 30, uint32_t(n));
      PatchBaseOffset(b, next);
      next += n;
      sizes_.push_back(b.size());
      all.insert(all.end(), b.begin(), b.end());
    }
    all.insert(all.end(), tail.begin(), tail.end());
    auto f = *fs_->Open(tmp_.str() + "/seg", OpenMode::kCreateTruncate);
    EXPECT_TRUE(f->PWrite(0, all).ok());
    size_ = all.size();
    return f;
  }

  testutil::TempDir tmp_;
  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  std::vector<size_t> sizes_;
  size_t size_ = 0;
};

TEST_F(BatchScannerTest, WalksEveryBatchInSmallChunks) {
  auto f = Write();
  ScanOptions o;
  o.chunk_bytes = 7;  // forces refills mid-header
  o.min_base_offset = 0;
  o.verify_crc_from_offset = 0;
  std::vector<int64_t> bases;
  auto r = ScanBatches(*f, 0, size_, o, [&](const BatchHeader& h, uint64_t) {
    bases.push_back(h.base_offset);
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stop_reason.ok());
  EXPECT_EQ(bases, (std::vector<int64_t>{0, 2, 5}));
  EXPECT_EQ(r->next_offset, 6);
  EXPECT_EQ(r->valid_end, size_);
}

TEST_F(BatchScannerTest, StopsAtZeroTailAndFlagsIt) {
  auto f = Write(std::vector<uint8_t>(100, 0));
  auto r = ScanBatches(*f, 0, size_, {}, [](const BatchHeader&, uint64_t) { return true; });
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->stop_reason.ok());
  EXPECT_TRUE(r->zero_tail);
  EXPECT_EQ(r->valid_end, size_ - 100);
}

TEST_F(BatchScannerTest, CrcIsCheckedOnlyFromTheGivenOffset) {
  auto f = Write();
  std::vector<uint8_t> flip = {0xee};
  ASSERT_TRUE(f->PWrite(sizes_[0] - 1, flip).ok());  // payload of batch 0
  ScanOptions lax;
  lax.verify_crc_from_offset = 2;
  auto r = ScanBatches(*f, 0, size_, lax, [](const BatchHeader&, uint64_t) { return true; });
  EXPECT_EQ(r->batches, 3u);
  ScanOptions strict;
  strict.verify_crc_from_offset = 0;
  r = ScanBatches(*f, 0, size_, strict, [](const BatchHeader&, uint64_t) { return true; });
  EXPECT_EQ(r->batches, 0u);
  EXPECT_EQ(r->valid_end, 0u);
  EXPECT_FALSE(r->zero_tail);
}

TEST_F(BatchScannerTest, OffsetsGoingBackwardsStopTheScan) {
  auto f = Write();
  ScanOptions o;
  o.min_base_offset = 1;
  auto r = ScanBatches(*f, 0, size_, o, [](const BatchHeader&, uint64_t) { return true; });
  EXPECT_EQ(r->batches, 0u);
  EXPECT_FALSE(r->stop_reason.ok());
}

TEST_F(BatchScannerTest, CallbackCanStopEarly) {
  auto f = Write();
  int seen = 0;
  auto r = ScanBatches(*f, 0, size_, {}, [&](const BatchHeader&, uint64_t) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(r->stop_reason.ok());
  EXPECT_EQ(r->valid_end, sizes_[0] + sizes_[1]);
}

}  // namespace
}  // namespace keel::storage
