// RecompressBatch: every codec to every codec keeps records, offsets,
// timestamps, headers and producer fields; the CRC is recomputed.
#include "keel/common/recompress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/records.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

using Bytes = std::vector<uint8_t>;
namespace bo = batch_offsets;

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};

struct Decoded {
  int8_t attributes;
  int64_t timestamp_delta;
  int32_t offset_delta;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  bool operator==(const Decoded&) const = default;
};

std::optional<std::string> Str(const std::optional<std::span<const uint8_t>>& b) {
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

std::vector<Decoded> DecodeAll(std::span<const uint8_t> batch) {
  std::vector<Decoded> out;
  absl::Status st = ForEachRecord(batch, [&](const RecordView& r) {
    Decoded d{r.attributes, r.timestamp_delta, r.offset_delta, Str(r.key), Str(r.value), {}};
    for (const auto& h : r.headers)
      d.headers.emplace_back(std::string(h.key.begin(), h.key.end()), Str(h.value));
    out.push_back(std::move(d));
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

// A batch of records with keys, null values, headers and varied timestamps,
// compressed with `codec`, from an idempotent transactional producer.
Bytes SourceBatch(Compression codec, int16_t extra_attributes = batch_attr::kTransactional) {
  std::vector<testutil::TestRecord> records;
  for (int i = 0; i < 50; ++i) {
    testutil::TestRecord r;
    r.key = "key-" + std::to_string(i);
    if (i % 7 != 3) r.value = std::string(200 + i, char('a' + i % 26));
    r.headers = {{"trace", "t" + std::to_string(i)}, {"h2", ""}};
    r.timestamp_delta = i * 13;
    records.push_back(std::move(r));
  }
  testutil::BatchOptions o;
  o.producer_id = 4242;
  o.producer_epoch = 7;
  o.base_sequence = 1000;
  o.attributes = extra_attributes;
  Bytes plain = testutil::BuildBatch(records, o);
  if (codec == Compression::kNone) return plain;
  auto header = ValidateBatch(plain);
  EXPECT_TRUE(header.ok());
  auto out = RecompressBatch(plain, *header, codec, DefaultCompressionLevel(codec));
  EXPECT_TRUE(out.ok()) << out.status();
  return *out;
}

TEST(RecompressTest, EveryCodecToEveryCodecKeepsRecordsAndHeader) {
  for (Compression from : kCodecs) {
    Bytes src = SourceBatch(from);
    auto src_header = ValidateBatch(src);
    ASSERT_TRUE(src_header.ok()) << src_header.status();
    ASSERT_EQ(src_header->compression(), from);
    const std::vector<Decoded> want = DecodeAll(src);
    ASSERT_EQ(want.size(), 50u);
    for (Compression to : kCodecs) {
      SCOPED_TRACE(std::string(CompressionName(from)) + " -> " + std::string(CompressionName(to)));
      auto out = RecompressBatch(src, *src_header, to, DefaultCompressionLevel(to));
      ASSERT_TRUE(out.ok()) << out.status();
      // New CRC-32C is right and the records pass the produce checks.
      auto h = ValidateBatch(*out);
      ASSERT_TRUE(h.ok()) << h.status();
      EXPECT_TRUE(ValidateRecords(*out).ok());
      EXPECT_EQ(h->compression(), to);
      // Everything but the codec bits, the length and the CRC is unchanged.
      EXPECT_EQ(h->attributes & ~batch_attr::kCompressionMask,
                src_header->attributes & ~batch_attr::kCompressionMask);
      EXPECT_TRUE(h->is_transactional());
      EXPECT_EQ(h->base_offset, src_header->base_offset);
      EXPECT_EQ(h->last_offset_delta, src_header->last_offset_delta);
      EXPECT_EQ(h->base_timestamp, src_header->base_timestamp);
      EXPECT_EQ(h->max_timestamp, src_header->max_timestamp);
      EXPECT_EQ(h->producer_id, 4242);
      EXPECT_EQ(h->producer_epoch, 7);
      EXPECT_EQ(h->base_sequence, 1000);
      EXPECT_EQ(h->records_count, 50);
      EXPECT_EQ(h->partition_leader_epoch, src_header->partition_leader_epoch);
      EXPECT_EQ(DecodeAll(*out), want);
      if (to == Compression::kNone) {
        // Uncompressed output is the producer's plain encoding byte for byte.
        EXPECT_EQ(*out, SourceBatch(Compression::kNone));
      }
    }
  }
}

TEST(RecompressTest, KeepsLogAppendTimeAndNonTransactionalBits) {
  Bytes src = SourceBatch(Compression::kNone, batch_attr::kLogAppendTime);
  auto header = ValidateBatch(src);
  ASSERT_TRUE(header.ok());
  auto out = RecompressBatch(src, *header, Compression::kZstd, kZstdLevelDefault);
  ASSERT_TRUE(out.ok());
  auto h = ValidateBatch(*out);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->log_append_time());
  EXPECT_FALSE(h->is_transactional());
  EXPECT_FALSE(h->is_control());
  EXPECT_EQ(h->compression(), Compression::kZstd);
}

TEST(RecompressTest, CompressesAndLevelsMatter) {
  Bytes src = SourceBatch(Compression::kNone);
  auto header = ValidateBatch(src);
  ASSERT_TRUE(header.ok());
  auto fast = RecompressBatch(src, *header, Compression::kZstd, 1);
  auto best = RecompressBatch(src, *header, Compression::kZstd, 19);
  auto gz1 = RecompressBatch(src, *header, Compression::kGzip, 1);
  auto lz_hc = RecompressBatch(src, *header, Compression::kLz4, 12);
  ASSERT_TRUE(fast.ok() && best.ok() && gz1.ok() && lz_hc.ok());
  EXPECT_LT(fast->size(), src.size());
  EXPECT_LE(best->size(), fast->size());
  for (const Bytes* b : {&*fast, &*best, &*gz1, &*lz_hc}) {
    EXPECT_TRUE(ValidateRecords(*b).ok());
    EXPECT_EQ(DecodeAll(*b), DecodeAll(src));
  }
}

TEST(RecompressTest, BadLevelIsRefused) {
  Bytes src = SourceBatch(Compression::kNone);
  auto header = ValidateBatch(src);
  ASSERT_TRUE(header.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      RecompressBatch(src, *header, Compression::kZstd, 23).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      RecompressBatch(src, *header, Compression::kGzip, 0).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      RecompressBatch(src, *header, Compression::kLz4, 18).status()));
}

TEST(RecompressTest, CorruptCompressedRecordsAreRefused) {
  Bytes src = SourceBatch(Compression::kZstd);
  auto header = ValidateBatch(src);
  ASSERT_TRUE(header.ok());
  for (size_t i = kBatchHeaderSize; i < src.size(); ++i) src[i] ^= 0x5A;
  auto out = RecompressBatch(src, *header, Compression::kGzip, kGzipLevelDefault);
  EXPECT_FALSE(out.ok());
}

TEST(RecompressTest, DecompressionLimitApplies) {
  Bytes src = SourceBatch(Compression::kGzip);
  auto header = ValidateBatch(src);
  ASSERT_TRUE(header.ok());
  auto out = RecompressBatch(src, *header, Compression::kZstd, 3, /*max_decompressed=*/100);
  EXPECT_TRUE(absl::IsResourceExhausted(out.status())) << out.status();
}

TEST(RecompressTest, TargetSaysWhenToRewrite) {
  CompressionTarget producer;
  EXPECT_FALSE(producer.NeedsRewrite(Compression::kGzip));
  EXPECT_FALSE(producer.NeedsRewrite(Compression::kNone));
  CompressionTarget zstd{false, Compression::kZstd, 3};
  EXPECT_TRUE(zstd.NeedsRewrite(Compression::kNone));
  EXPECT_TRUE(zstd.NeedsRewrite(Compression::kLz4));
  EXPECT_FALSE(zstd.NeedsRewrite(Compression::kZstd));
  CompressionTarget none{false, Compression::kNone, 0};
  EXPECT_TRUE(none.NeedsRewrite(Compression::kSnappy));
  EXPECT_FALSE(none.NeedsRewrite(Compression::kNone));
}

}  // namespace
}  // namespace keel
