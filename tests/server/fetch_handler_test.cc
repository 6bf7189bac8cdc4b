// Fetch size limits (KIP-74) and Fetch over zstd batches, through the real
// Dispatcher and handlers on SimFileSystem (the buffered path: the sendfile
// path is covered by tests/integration/fetch_limits_test.cc).
//
// Kafka's rule (ReplicaManager.readFromLog): partitions are read in request
// order against what is left of max_bytes and their own partition_max_bytes;
// until a partition has returned records the first batch may exceed both,
// afterwards only batches that fit are returned. Keel returns whole batches
// only (Kafka may end a partition with a partial batch, which clients drop).
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "handler_fixture.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/fetch.h"
#include "keel/protocol/messages/produce.h"
#include "testutil/batch_builder.h"

namespace keel::server {
namespace {

using protocol::ErrorCode;

constexpr int kPartitions = 4;
constexpr int16_t kProduceVersion = 8;

class FetchHandlerTest : public testing::HandlerFixture {
 public:
  struct PartitionResult {
    int16_t error = -1;
    std::vector<uint8_t> records;
  };

 protected:
  void SetUp() override {
    HandlerFixture::SetUp();
    ASSERT_TRUE(partitions_->CreateTopic("t", kPartitions, {}).ok());
  }

  // Produces one batch of about `approx_size` bytes to `partition` (acks=all,
  // so it is readable afterwards) and returns its exact size.
  size_t ProduceOfSize(int partition, size_t approx_size) {
    std::vector<uint8_t> batch = testutil::BuildSimpleBatch(1, approx_size - 80, uint32_t(approx_size));
    EXPECT_EQ(ProduceBatch(partition, batch, kProduceVersion), int16_t(ErrorCode::NONE));
    sizes_[partition].push_back(batch.size());
    return batch.size();
  }

  int16_t ProduceBatch(int partition, std::span<const uint8_t> batch, int16_t version) {
    protocol::ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 10000;
    auto& t = req.topic_data.emplace_back();
    t.name = "t";
    auto& p = t.partition_data.emplace_back();
    p.index = PartitionId(partition);
    p.records = protocol::RecordsRef{batch};
    auto resp = Call<protocol::ProduceResponse>(req, version);
    if (resp.responses.size() != 1 || resp.responses[0].partition_responses.size() != 1) {
      ADD_FAILURE() << "malformed produce response";
      return -1;
    }
    return resp.responses[0].partition_responses[0].error_code;
  }

  // Fetches every partition in `order` from offset 0 (v11 unless given).
  std::vector<PartitionResult> Fetch(const std::vector<int>& order, int32_t max_bytes,
                                     int32_t partition_max_bytes, int16_t version = 11) {
    protocol::FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.max_bytes = max_bytes;
    auto& t = req.topics.emplace_back();
    t.topic = "t";
    for (int p : order) {
      auto& fp = t.partitions.emplace_back();
      fp.partition = PartitionId(p);
      fp.fetch_offset = Offset(0);
      fp.partition_max_bytes = partition_max_bytes;
    }
    auto resp = Call<protocol::FetchResponse>(req, version);
    std::vector<PartitionResult> out;
    if (resp.responses.size() != 1 || resp.responses[0].partitions.size() != order.size()) {
      ADD_FAILURE() << "malformed fetch response";
      return out;
    }
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& p = resp.responses[0].partitions[i];
      EXPECT_EQ(p.partition_index.value, order[i]);
      out.push_back({p.error_code, {p.records.bytes.begin(), p.records.bytes.end()}});
    }
    return out;
  }

  // Kafka's rule over whole batches, from offset 0 of each partition.
  std::vector<size_t> Expected(const std::vector<int>& order, size_t max_bytes, size_t partition_max) {
    std::vector<size_t> out;
    size_t left = max_bytes;
    bool may_exceed = true;
    for (int p : order) {
      size_t limit = std::min(left, partition_max), got = 0;
      for (size_t s : sizes_[p]) {
        if (got + s > limit && !(may_exceed && got == 0)) break;
        got += s;
      }
      if (got > 0) may_exceed = false;
      left -= std::min(left, got);
      out.push_back(got);
    }
    return out;
  }

  std::vector<size_t> sizes_[kPartitions];
};

size_t Sum(const std::vector<FetchHandlerTest::PartitionResult>& r) {
  size_t n = 0;
  for (const auto& p : r) n += p.records.size();
  return n;
}

TEST_F(FetchHandlerTest, ResponseLimitStopsLaterPartitionsFromAddingABatch) {
  // The bug seen with librdkafka: every partition used to add a whole batch
  // while any budget was left, so 4 x 600 bytes came back for max_bytes 1000.
  for (int p = 0; p < kPartitions; ++p) ProduceOfSize(p, 600);
  auto r = Fetch({0, 1, 2, 3}, 1000, 1000);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].records.size(), sizes_[0][0]);
  for (int p = 1; p < kPartitions; ++p) {
    EXPECT_EQ(r[p].error, int16_t(ErrorCode::NONE));
    EXPECT_TRUE(r[p].records.empty()) << "partition " << p << " does not fit in the 400 bytes left";
  }
  EXPECT_LE(Sum(r), 1000u);
}

TEST_F(FetchHandlerTest, OversizedFirstBatchIsReturnedAloneAndEndsTheResponse) {
  const size_t big = ProduceOfSize(0, 5000);
  ProduceOfSize(0, 200);
  for (int p = 1; p < kPartitions; ++p) ProduceOfSize(p, 200);
  auto r = Fetch({0, 1, 2, 3}, 1000, 1000);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].records.size(), big) << "exactly the oversized batch, not the small one after it";
  for (int p = 1; p < kPartitions; ++p) EXPECT_TRUE(r[p].records.empty()) << p;
}

TEST_F(FetchHandlerTest, FirstPartitionWithDataMayExceedEvenWhenEarlierOnesAreEmpty) {
  // Partition 0 has nothing: partition 1 is the first with data.
  const size_t big = ProduceOfSize(1, 3000);
  ProduceOfSize(2, 3000);
  auto r = Fetch({0, 1, 2}, 1000, 500);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].records.empty());
  EXPECT_EQ(r[1].records.size(), big);
  EXPECT_TRUE(r[2].records.empty()) << "only one partition may exceed the limits";
}

TEST_F(FetchHandlerTest, LaterPartitionOverItsOwnLimitIsSkippedButLaterOnesStillFill) {
  const size_t small0 = ProduceOfSize(0, 300);
  ProduceOfSize(1, 900);  // over partition_max_bytes (800), under what is left of max_bytes
  const size_t small2 = ProduceOfSize(2, 300);
  auto r = Fetch({0, 1, 2}, 10000, 800);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].records.size(), small0);
  EXPECT_TRUE(r[1].records.empty()) << "a later partition's batch must fit partition_max_bytes";
  EXPECT_EQ(r[2].records.size(), small2);
}

TEST_F(FetchHandlerTest, BatchesExactlyAtEachLimitFitAndOneByteOverDoesNot) {
  const size_t a = ProduceOfSize(0, 400);
  const size_t b = ProduceOfSize(1, 400);
  const size_t c = ProduceOfSize(2, 400);
  // partition_max_bytes == batch size: fits; max_bytes == a + b: b fits exactly.
  auto exact = Fetch({0, 1, 2}, int32_t(a + b), int32_t(b));
  EXPECT_EQ(exact[0].records.size(), a);
  EXPECT_EQ(exact[1].records.size(), b);
  EXPECT_TRUE(exact[2].records.empty());
  EXPECT_EQ(Sum(exact), a + b);
  // One byte less of response budget: partition 1 no longer fits.
  auto short_total = Fetch({0, 1, 2}, int32_t(a + b - 1), int32_t(b));
  EXPECT_EQ(short_total[0].records.size(), a);
  EXPECT_TRUE(short_total[1].records.empty());
  EXPECT_TRUE(short_total[2].records.empty()) << c;
  // One byte less of partition budget: only the first partition (may exceed) gets data.
  auto short_part = Fetch({0, 1, 2}, 100000, int32_t(b - 1));
  EXPECT_EQ(short_part[0].records.size(), a);
  EXPECT_TRUE(short_part[1].records.empty());
  EXPECT_TRUE(short_part[2].records.empty());
}

TEST_F(FetchHandlerTest, PartitionFillsWithSeveralWholeBatchesUpToItsLimit) {
  std::vector<size_t> s;
  for (int i = 0; i < 5; ++i) s.push_back(ProduceOfSize(0, 300));
  for (int i = 0; i < 5; ++i) ProduceOfSize(1, 300);
  auto r = Fetch({0, 1}, 100000, int32_t(s[0] + s[1] + s[2] + 10));
  EXPECT_EQ(r[0].records.size(), s[0] + s[1] + s[2]);
  EXPECT_EQ(r[1].records.size(), s[0] + s[1] + s[2]) << "same sizes, same limit";
}

TEST_F(FetchHandlerTest, RandomShapesFollowKafkasRule) {
  std::mt19937 rng(20261208);
  for (int p = 0; p < kPartitions; ++p) {
    for (int i = 0; i < 6; ++i) ProduceOfSize(p, std::uniform_int_distribution<size_t>(100, 3000)(rng));
  }
  for (int round = 0; round < 60; ++round) {
    std::vector<int> order = {0, 1, 2, 3};
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::uniform_int_distribution<size_t>(1, 4)(rng));
    const size_t max_bytes = std::uniform_int_distribution<size_t>(0, 12000)(rng);
    const size_t partition_max = std::uniform_int_distribution<size_t>(0, 6000)(rng);
    auto r = Fetch(order, int32_t(max_bytes), int32_t(partition_max));
    ASSERT_EQ(r.size(), order.size());
    std::vector<size_t> want = Expected(order, max_bytes, partition_max);
    bool first_with_data = true;
    for (size_t i = 0; i < order.size(); ++i) {
      EXPECT_EQ(r[i].records.size(), want[i]) << "round " << round << " partition " << order[i]
                                               << " max_bytes " << max_bytes << " partition_max "
                                               << partition_max;
      if (r[i].records.empty()) continue;
      if (!first_with_data) EXPECT_LE(r[i].records.size(), partition_max);
      first_with_data = false;
    }
    // Over max_bytes only by the first partition's single oversized batch.
    if (Sum(r) > max_bytes) {
      auto first = std::find_if(r.begin(), r.end(), [](const auto& p) { return !p.records.empty(); });
      EXPECT_EQ(Sum(r), sizes_[order[first - r.begin()]][0]) << "round " << round;
    }
  }
}

// KIP-110 on the read side. Kafka 2.1-3.9 answered UNSUPPORTED_COMPRESSION_TYPE
// to a Fetch older than v10 only for a topic whose compression.type was zstd
// (never by looking at the batches); Kafka 4.0 dropped that check with
// down-conversion (KAFKA-18269), so every version gets the batches as stored.
// Keel follows Kafka 4, like its other version rules.
std::vector<uint8_t> ZstdBatch() {
  BatchHeader h;
  h.base_timestamp = 1700000000000;
  static const std::string value(200, 'z');
  RecordInput rec;
  rec.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  std::vector<RecordInput> records(3, rec);
  for (int i = 0; i < 3; ++i) records[i].offset_delta = i;
  return BuildRecordBatch(h, records, Compression::kZstd);
}

TEST_F(FetchHandlerTest, FetchV9ReturnsZstdBatchesOfAProducerCodecTopicAsStored) {
  std::vector<uint8_t> batch = ZstdBatch();
  ASSERT_EQ(ProduceBatch(0, batch, 7), int16_t(ErrorCode::NONE));
  auto r = Fetch({0}, 1 << 20, 1 << 20, 9);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error, int16_t(ErrorCode::NONE));
  ASSERT_EQ(r[0].records.size(), batch.size());
  auto header = ParseBatchHeader(r[0].records);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->compression(), Compression::kZstd);
}

TEST_F(FetchHandlerTest, ZstdTopicIsServedToEveryFetchVersionAsKafka4Does) {
  ASSERT_TRUE(partitions_->CreateTopic("z", 2, {{"compression.type", "zstd"}}).ok());
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(3, 100);  // recompressed to zstd
  protocol::ProduceRequest produce;
  produce.acks = -1;
  produce.timeout_ms = 10000;
  auto& pt = produce.topic_data.emplace_back();
  pt.name = "z";
  auto& pp = pt.partition_data.emplace_back();
  pp.index = PartitionId(0);
  pp.records = protocol::RecordsRef{batch};
  auto presp = Call<protocol::ProduceResponse>(produce, 6);
  ASSERT_EQ(presp.responses.at(0).partition_responses.at(0).error_code, int16_t(ErrorCode::NONE))
      << "an uncompressed batch from Produce v6 is accepted and stored as zstd";

  for (int16_t version : {4, 9, 10, 11}) {
    protocol::FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.max_bytes = 1 << 20;
    auto& t = req.topics.emplace_back();
    t.topic = "z";
    for (int p : {0, 1}) {
      auto& fp = t.partitions.emplace_back();
      fp.partition = PartitionId(p);
      fp.fetch_offset = Offset(0);
      fp.partition_max_bytes = 1 << 20;
    }
    auto resp = Call<protocol::FetchResponse>(req, version);
    ASSERT_EQ(resp.responses.size(), 1u);
    ASSERT_EQ(resp.responses[0].partitions.size(), 2u);
    for (const auto& p : resp.responses[0].partitions) {
      SCOPED_TRACE(::testing::Message() << "Fetch v" << version << " partition " << p.partition_index.value);
      EXPECT_EQ(p.error_code, int16_t(ErrorCode::NONE));
      EXPECT_EQ(p.high_watermark.value, p.partition_index.value == 0 ? 3 : 0);
      if (p.partition_index.value == 0) {
        auto header = ParseBatchHeader(p.records.bytes);
        ASSERT_TRUE(header.ok()) << header.status();
        EXPECT_EQ(header->compression(), Compression::kZstd);
      }
    }
  }
}

}  // namespace
}  // namespace keel::server
