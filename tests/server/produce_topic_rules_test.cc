// Produce validation's topic-config parts: CreateTime timestamp bounds
// (message.timestamp.before/after.max.ms) and recompression to the topic's
// compression.type.
#include "produce_validation.h"

#include <gtest/gtest.h>

#include "keel/common/compression.h"
#include "keel/common/records.h"
#include "testutil/batch_builder.h"

namespace keel::server {
namespace {

using protocol::ErrorCode;
using Bytes = std::vector<uint8_t>;

constexpr int64_t kBase = 1700000000000;

Bytes BatchAt(int64_t base_ts, std::vector<int64_t> deltas, int64_t producer_id = -1) {
  std::vector<testutil::TestRecord> records;
  for (int64_t d : deltas) {
    testutil::TestRecord r;
    r.key = "k";
    r.value = std::string(500, 'v');
    r.headers = {{"h", "x"}};
    r.timestamp_delta = d;
    records.push_back(r);
  }
  testutil::BatchOptions o;
  o.base_timestamp = base_ts;
  if (producer_id >= 0) {
    o.producer_id = producer_id;
    o.producer_epoch = 0;
    o.base_sequence = 0;
  }
  return testutil::BuildBatch(records, o);
}

ProduceValidation Validate(Bytes& b, TimestampBounds bounds = {}) {
  ProduceTopicRules rules;
  rules.timestamps = bounds;
  return ValidateProduceRecords(b, rules);
}

TEST(ProduceTopicRulesTest, TimestampBoundsRefuseRecordsOutsideTheWindow) {
  Bytes b = BatchAt(kBase, {0, 1000, 2000});
  TimestampBounds bounds{kBase + 1000, 500, 500};
  // Record 0 is 1000 ms before now: over before.max 500.
  auto v = Validate(b, bounds);
  EXPECT_EQ(v.error, ErrorCode::INVALID_TIMESTAMP);
  EXPECT_NE(v.message.find("record 0"), std::string::npos) << v.message;
  // Widen before: record 2 is 1000 ms after now, over after.max 500.
  bounds.before_max_ms = 5000;
  v = Validate(b, bounds);
  EXPECT_EQ(v.error, ErrorCode::INVALID_TIMESTAMP);
  EXPECT_NE(v.message.find("record 2"), std::string::npos) << v.message;
  bounds.after_max_ms = 1000;
  EXPECT_EQ(Validate(b, bounds).error, ErrorCode::NONE);
  // Default bounds: no check at all.
  Bytes old = BatchAt(1, {0});
  EXPECT_EQ(Validate(old).error, ErrorCode::NONE);
}

TEST(ProduceTopicRulesTest, ProducerTargetNeverRewrites) {
  Bytes b = BatchAt(kBase, {0, 1});
  auto rc = RecompressProduceRecords(b, CompressionTarget{}, 1 << 20);
  EXPECT_EQ(rc.error, ErrorCode::NONE);
  EXPECT_FALSE(rc.bytes.has_value());
}

TEST(ProduceTopicRulesTest, RecompressesEveryBatchToTheTarget) {
  Bytes one = BatchAt(kBase, {0, 1, 2});
  Bytes two = BatchAt(kBase, {0, 5});
  Bytes both = one;
  both.insert(both.end(), two.begin(), two.end());
  CompressionTarget zstd{false, Compression::kZstd, 3};
  auto rc = RecompressProduceRecords(both, zstd, 1 << 20);
  ASSERT_EQ(rc.error, ErrorCode::NONE) << rc.message;
  ASSERT_TRUE(rc.bytes.has_value());
  EXPECT_LT(rc.bytes->size(), both.size());
  // Still valid produce input, two zstd batches with the same records.
  auto v = Validate(*rc.bytes);
  EXPECT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_EQ(v.batch_count, 2);
  EXPECT_EQ(v.record_count, 5);
  size_t first = *NextBatchSize(*rc.bytes);
  auto h1 = ValidateBatch(std::span<const uint8_t>(*rc.bytes).subspan(0, first));
  auto h2 = ValidateBatch(std::span<const uint8_t>(*rc.bytes).subspan(first));
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(h1->compression(), Compression::kZstd);
  EXPECT_EQ(h2->compression(), Compression::kZstd);
  // An idempotent batch keeps its producer fields.
  Bytes idem = BatchAt(kBase, {0, 1}, /*producer_id=*/9);
  auto ri = RecompressProduceRecords(idem, zstd, 1 << 20);
  ASSERT_TRUE(ri.bytes.has_value());
  auto hi = ValidateBatch(*ri.bytes);
  ASSERT_TRUE(hi.ok());
  EXPECT_EQ(hi->producer_id, 9);
  EXPECT_EQ(hi->base_sequence, 0);
  EXPECT_EQ(Validate(*ri.bytes).error, ErrorCode::NONE);
  // A batch already in the target codec is left alone.
  auto again = RecompressProduceRecords(*rc.bytes, zstd, 1 << 20);
  EXPECT_FALSE(again.bytes.has_value());
}

TEST(ProduceTopicRulesTest, RecompressedBatchOverTheLimitIsTooLarge) {
  // Incompressible values grow a little under gzip framing.
  std::vector<testutil::TestRecord> records(1);
  std::string noise(4000, '\0');
  uint32_t x = 12345;
  for (char& c : noise) {
    x = x * 1103515245 + 12345;
    c = char(x >> 24);
  }
  records[0].value = noise;
  Bytes b = testutil::BuildBatch(records);
  CompressionTarget gzip{false, Compression::kGzip, -1};
  auto rc = RecompressProduceRecords(b, gzip, int64_t(b.size()));
  EXPECT_EQ(rc.error, ErrorCode::MESSAGE_TOO_LARGE) << rc.message;
}

}  // namespace
}  // namespace keel::server
