// Fetch size limits (KIP-74) and zstd across old API versions (KIP-110)
// against the real keel, with fetch.zero.copy on (sendfile) and off (reads
// into memory):
//  - raw Fetch requests over partitions holding batches near and above
//    max_bytes / partition_max_bytes: the records of a response sum to at
//    most max_bytes, except one oversized first batch;
//  - librdkafka consumers with a small fetch.max.bytes and
//    receive.message.max.bytes just above it (librdkafka refuses a larger
//    response and stalls, as in its test 0082) consume everything;
//  - Produce v6 with a zstd batch gets UNSUPPORTED_COMPRESSION_TYPE; Fetch v9
//    over zstd batches returns them as stored, whatever the topic's
//    compression.type (Kafka 4.0 dropped the fetch-side refusal that 2.1-3.9
//    applied to compression.type=zstd topics, KAFKA-18269).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_process.h"
#include "gtest/gtest.h"
#include "kafka_wire.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "rdkafka_client.h"
#include "test_macros.h"
#include "testutil/batch_builder.h"

namespace keel::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr milliseconds kTimeout(30000);
constexpr int16_t kProduce = 0;
constexpr int16_t kFetch = 1;
constexpr int16_t kUnsupportedCompressionType = 76;

absl::Status CreateTopic(const std::string& bootstrap, const std::string& topic, int partitions,
                         const Settings& configs = {}) {
  auto admin = Admin::Create(bootstrap);
  if (!admin.ok()) return admin.status();
  auto err = (*admin)->CreateTopic(topic, partitions, configs);
  if (!err.ok()) return err.status();
  if (*err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnknownError(absl::StrCat("CreateTopics: ", rd_kafka_err2name(*err)));
  }
  return WaitForTopic((*admin)->handle(), topic, partitions, kTimeout);
}

// Produce (acks=all) of `batch` to one partition; returns the error code.
absl::StatusOr<int16_t> RawProduce(RawConnection& conn, int16_t version, int32_t corr,
                                   const std::string& topic, int32_t partition,
                                   const std::vector<uint8_t>& batch) {
  WireWriter body;
  body.NullString().Int16(-1).Int32(10000);
  body.Int32(1).String(topic).Int32(1).Int32(partition).Bytes(batch);
  if (auto st = conn.Send(EncodeRequest(kProduce, version, corr, false, body.data())); !st.ok()) return st;
  auto frame = conn.ReadFrame(seconds(15));
  if (!frame.ok()) return frame.status();
  WireReader r(*frame);
  if (r.Int32() != corr) return absl::DataLossError("wrong correlation id");
  if (r.Int32() != 1 || r.NullableString() != topic || r.Int32() != 1 || r.Int32() != partition) {
    return absl::DataLossError("unexpected Produce response layout");
  }
  int16_t error = r.Int16();
  if (!r.ok()) return absl::DataLossError("truncated Produce response");
  return error;
}

struct FetchedPartition {
  int32_t partition = -1;
  int16_t error = -1;
  std::vector<uint8_t> records;
};

// Fetch v9 or v11 (non-flexible) of `partitions` (in that order) from offset 0.
absl::StatusOr<std::vector<FetchedPartition>> RawFetch(RawConnection& conn, int16_t version, int32_t corr,
                                                       const std::string& topic,
                                                       const std::vector<int32_t>& partitions,
                                                       int32_t max_bytes, int32_t partition_max_bytes) {
  WireWriter body;
  body.Int32(-1).Int32(0).Int32(1).Int32(max_bytes).Int8(0).Int32(0).Int32(-1);
  body.Int32(1).String(topic).Int32(int32_t(partitions.size()));
  for (int32_t p : partitions) body.Int32(p).Int32(-1).Int64(0).Int64(-1).Int32(partition_max_bytes);
  body.Int32(0);                      // forgotten_topics_data
  if (version >= 11) body.String("");  // rack_id
  if (auto st = conn.Send(EncodeRequest(kFetch, version, corr, false, body.data())); !st.ok()) return st;
  auto frame = conn.ReadFrame(seconds(15));
  if (!frame.ok()) return frame.status();
  WireReader r(*frame);
  if (r.Int32() != corr) return absl::DataLossError("wrong correlation id");
  r.Int32();  // throttle_time_ms
  if (int16_t top = r.Int16(); top != 0) return absl::InternalError(absl::StrCat("fetch error ", top));
  r.Int32();  // session_id
  if (r.Int32() != 1 || r.NullableString() != topic) return absl::DataLossError("unexpected topics");
  const int32_t n = r.Int32();
  std::vector<FetchedPartition> out;
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    FetchedPartition p;
    p.partition = r.Int32();
    p.error = r.Int16();
    r.Skip(8 + 8 + 8);  // high watermark, last stable offset, log start offset
    const int32_t aborted = r.Int32();
    for (int32_t a = 0; a < aborted && r.ok(); ++a) r.Skip(16);
    if (version >= 11) r.Int32();  // preferred_read_replica
    const int32_t size = r.Int32();
    if (size > 0 && size_t(size) <= r.remaining()) {
      p.records.resize(size_t(size));
      for (auto& b : p.records) b = uint8_t(r.Int8());
    } else if (size > 0) {
      return absl::DataLossError("records longer than the frame");
    }
    out.push_back(std::move(p));
  }
  if (!r.ok() || r.remaining() != 0) return absl::DataLossError("malformed Fetch response");
  return out;
}

// A value of `n` bytes that does not compress.
std::string Noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 7;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = char(x);
  }
  return s;
}

class FetchLimitsTest : public ::testing::TestWithParam<bool> {
 protected:
  FetchLimitsTest()
      : broker_(BrokerSettings{{"fetch.zero.copy", GetParam() ? "true" : "false"},
                               {"auto.create.topics.enable", "false"}}) {}
  void SetUp() override { ASSERT_OK(broker_.Start()); }
  BrokerProcess broker_;
};

TEST_P(FetchLimitsTest, RawFetchStaysWithinMaxBytesExceptOneOversizedFirstBatch) {
  const std::string topic = "raw-limits";
  ASSERT_OK(CreateTopic(broker_.bootstrap(), topic, 3));
  ASSERT_OK_AND_ASSIGN(RawConnection conn, RawConnection::Connect(broker_.port()));
  // Partition 0: 9000 then 500; partition 1: 4000, 4000; partition 2: 900 x 3.
  const std::map<int32_t, std::vector<size_t>> values = {
      {0, {9000, 500}}, {1, {4000, 4000}}, {2, {900, 900, 900}}};
  std::map<int32_t, std::vector<size_t>> sizes;
  int32_t corr = 1;
  for (const auto& [p, vs] : values) {
    for (size_t v : vs) {
      std::vector<uint8_t> batch = testutil::BuildSimpleBatch(1, v, uint32_t(corr));
      ASSERT_OK_AND_ASSIGN(int16_t err, RawProduce(conn, 8, ++corr, topic, p, batch));
      ASSERT_EQ(err, 0);
      sizes[p].push_back(batch.size());
    }
  }
  const size_t b0 = sizes[0][0], b1 = sizes[1][0], b2 = sizes[2][0];

  // The oversized first batch alone; nothing after it.
  ASSERT_OK_AND_ASSIGN(auto r1, RawFetch(conn, 11, ++corr, topic, {0, 1, 2}, 5000, 5000));
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].records.size(), b0);
  EXPECT_TRUE(r1[1].records.empty());
  EXPECT_TRUE(r1[2].records.empty());

  // Partition 1 first: one whole batch (b1 <= limits), then what fits of 2.
  ASSERT_OK_AND_ASSIGN(auto r2, RawFetch(conn, 11, ++corr, topic, {1, 2, 0}, int32_t(b1 + 2 * b2), 5000));
  EXPECT_EQ(r2[0].records.size(), b1) << "the second 4000-byte batch exceeds partition_max_bytes";
  EXPECT_EQ(r2[1].records.size(), 2 * b2) << "exactly two 900-byte batches fit what is left";
  EXPECT_TRUE(r2[2].records.empty()) << "partition 0's oversized batch may not exceed now";

  // 10 bytes left after partition 2: partition 0's batch may not use them.
  ASSERT_OK_AND_ASSIGN(auto r2b, RawFetch(conn, 11, ++corr, topic, {1, 2, 0}, int32_t(b1 + 2 * b2 + 10), 5000));
  EXPECT_EQ(r2b[0].records.size(), b1);
  EXPECT_EQ(r2b[1].records.size(), 2 * b2);
  EXPECT_TRUE(r2b[2].records.empty()) << "a later partition gets only batches that fit what is left";
  EXPECT_LE(r2b[0].records.size() + r2b[1].records.size() + r2b[2].records.size(), b1 + 2 * b2 + 10);

  // Plenty of response budget, but partition 1's batch exceeds its own limit.
  ASSERT_OK_AND_ASSIGN(auto r2c, RawFetch(conn, 11, ++corr, topic, {2, 1}, 100000, int32_t(b2)));
  EXPECT_EQ(r2c[0].records.size(), b2);
  EXPECT_TRUE(r2c[1].records.empty()) << "a later partition's batch must fit partition_max_bytes";

  // One byte less: only one of partition 2's batches fits.
  ASSERT_OK_AND_ASSIGN(auto r3, RawFetch(conn, 11, ++corr, topic, {1, 2, 0}, int32_t(b1 + 2 * b2 - 1), 5000));
  EXPECT_EQ(r3[0].records.size(), b1);
  EXPECT_EQ(r3[1].records.size(), b2);

  // The records are the stored batches, byte for byte (both send paths).
  ASSERT_OK_AND_ASSIGN(auto r4, RawFetch(conn, 11, ++corr, topic, {2}, 100000, int32_t(3 * b2)));
  ASSERT_EQ(r4[0].records.size(), 3 * b2);
  for (size_t i = 0; i < 3; ++i) {
    auto h = ParseBatchHeader(std::span<const uint8_t>(r4[0].records).subspan(i * b2));
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->base_offset, int64_t(i));
  }
}

// librdkafka's test 0082 shape, scaled down: records below fetch.max.bytes
// but far above max.partition.fetch.bytes in several partitions, with
// receive.message.max.bytes at its minimum for that fetch.max.bytes.
TEST_P(FetchLimitsTest, LibrdkafkaConsumesBatchesAboveThePartitionLimitWithoutStalling) {
  const std::string topic = "rdkafka-limits";
  constexpr int kParts = 3;
  ASSERT_OK(CreateTopic(broker_.bootstrap(), topic, kParts));
  ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap(),
                                                       {{"linger.ms", "5"}, {"compression.type", "none"},
                                                        {"batch.size", "100000"}}));
  std::vector<Message> sent;
  // Per partition: large records near fetch.max.bytes (100000), mid-sized
  // ones over max.partition.fetch.bytes, and runs of small ones.
  const std::vector<size_t> shape = {90000, 300, 300, 60000, 95000, 25000, 300, 30000, 99000, 300};
  for (int p = 0; p < kParts; ++p) {
    for (size_t i = 0; i < shape.size(); ++i) {
      Message m;
      m.topic = topic;
      m.partition = p;
      m.value = Noise(shape[(i + size_t(p)) % shape.size()], uint32_t(p * 100 + i));
      sent.push_back(m);
    }
  }
  ASSERT_OK_AND_ASSIGN(auto reports, producer->ProduceAll(sent, kTimeout));
  ASSERT_EQ(reports.size(), sent.size());

  for (const char* partition_max : {"20", "50000"}) {
    SCOPED_TRACE(absl::StrCat("max.partition.fetch.bytes=", partition_max));
    ASSERT_OK_AND_ASSIGN(auto consumer,
                         Consumer::Create(broker_.bootstrap(),
                                          {{"fetch.max.bytes", "100000"},
                                           {"message.max.bytes", "100000"},
                                           {"receive.message.max.bytes", "100512"},
                                           {"max.partition.fetch.bytes", partition_max},
                                           {"fetch.wait.max.ms", "100"}}));
    for (int p = 0; p < kParts; ++p) ASSERT_OK(consumer->Assign(topic, p, RD_KAFKA_OFFSET_BEGINNING));
    ASSERT_OK_AND_ASSIGN(auto got, consumer->Consume(sent.size(), kTimeout));
    ASSERT_EQ(got.size(), sent.size()) << "consumer stalled";
    std::map<int32_t, int64_t> next;
    std::map<std::pair<int32_t, int64_t>, size_t> value_size;
    for (const auto& m : reports) value_size[{m.partition, m.offset}] = m.value->size();
    for (const auto& m : got) {
      EXPECT_EQ(m.offset, next[m.partition]) << "partition " << m.partition << " in order, no gaps";
      next[m.partition] = m.offset + 1;
      ASSERT_TRUE(m.value.has_value());
      EXPECT_EQ(m.value->size(), (value_size[{m.partition, m.offset}]));
    }
  }
}

// A record larger than fetch.max.bytes itself still makes progress (the
// first partition with data may exceed it), with the other partitions full
// of records just under the limits.
TEST_P(FetchLimitsTest, LibrdkafkaConsumesARecordLargerThanFetchMaxBytes) {
  const std::string topic = "rdkafka-oversized";
  constexpr int kParts = 3;
  ASSERT_OK(CreateTopic(broker_.bootstrap(), topic, kParts));
  ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap(),
                                                       {{"linger.ms", "0"}, {"compression.type", "none"},
                                                        {"batch.size", "210000"}}));
  std::vector<Message> sent;
  for (int p = 0; p < kParts; ++p) {
    for (size_t v : {150000u, 39000u, 39000u, 200000u, 100u}) {
      Message m;
      m.topic = topic;
      m.partition = p;
      m.value = Noise(v, uint32_t(v + size_t(p)));
      sent.push_back(m);
    }
  }
  ASSERT_OK_AND_ASSIGN(auto reports, producer->ProduceAll(sent, kTimeout));
  ASSERT_EQ(reports.size(), sent.size());
  ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap(),
                                                       {{"fetch.max.bytes", "80000"},
                                                        {"message.max.bytes", "80000"},
                                                        {"receive.message.max.bytes", "300000"},
                                                        {"max.partition.fetch.bytes", "40000"},
                                                        {"fetch.wait.max.ms", "100"}}));
  for (int p = 0; p < kParts; ++p) ASSERT_OK(consumer->Assign(topic, p, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(auto got, consumer->Consume(sent.size(), kTimeout));
  EXPECT_EQ(got.size(), sent.size()) << "consumer stalled";
}

TEST_P(FetchLimitsTest, ZstdNeedsProduceV7AndIsServedAsStoredToFetchV9) {
  const std::string topic = "zstd-versions";
  ASSERT_OK(CreateTopic(broker_.bootstrap(), topic, 1));
  BatchHeader h;
  h.base_timestamp = 1700000000000;
  const std::string value = Noise(500, 3) + std::string(500, 'a');
  RecordInput rec;
  rec.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  std::vector<RecordInput> records(4, rec);
  for (int i = 0; i < 4; ++i) records[i].offset_delta = i;
  const std::vector<uint8_t> zstd = BuildRecordBatch(h, records, Compression::kZstd);

  ASSERT_OK_AND_ASSIGN(RawConnection conn, RawConnection::Connect(broker_.port()));
  ASSERT_OK_AND_ASSIGN(int16_t v6, RawProduce(conn, 6, 1, topic, 0, zstd));
  EXPECT_EQ(v6, kUnsupportedCompressionType) << "KIP-110: zstd needs Produce v7";
  ASSERT_OK_AND_ASSIGN(auto empty, RawFetch(conn, 11, 2, topic, {0}, 1 << 20, 1 << 20));
  EXPECT_TRUE(empty[0].records.empty()) << "the refused batch was not appended";

  ASSERT_OK_AND_ASSIGN(int16_t v7, RawProduce(conn, 7, 3, topic, 0, zstd));
  ASSERT_EQ(v7, 0);
  // Fetch before v10 gets the zstd batches as stored (Kafka 4).
  ASSERT_OK_AND_ASSIGN(auto v9, RawFetch(conn, 9, 4, topic, {0}, 1 << 20, 1 << 20));
  ASSERT_EQ(v9.size(), 1u);
  EXPECT_EQ(v9[0].error, 0);
  ASSERT_EQ(v9[0].records.size(), zstd.size());
  auto header = ParseBatchHeader(v9[0].records);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->compression(), Compression::kZstd);
  EXPECT_EQ(header->records_count, 4);

  // A topic whose compression.type is zstd: Kafka 2.1-3.9 refused Fetch
  // before v10 for it, Kafka 4 serves it to every version, and so does Keel.
  const std::string ztopic = "zstd-topic";
  ASSERT_OK(CreateTopic(broker_.bootstrap(), ztopic, 1, {{"compression.type", "zstd"}}));
  ASSERT_OK_AND_ASSIGN(int16_t plain, RawProduce(conn, 6, 5, ztopic, 0, testutil::BuildSimpleBatch(2, 50)));
  ASSERT_EQ(plain, 0) << "an uncompressed batch from Produce v6 is accepted (and stored as zstd)";
  ASSERT_OK_AND_ASSIGN(auto served, RawFetch(conn, 9, 6, ztopic, {0}, 1 << 20, 1 << 20));
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].error, 0);
  auto stored = ParseBatchHeader(served[0].records);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->compression(), Compression::kZstd);
}

INSTANTIATE_TEST_SUITE_P(ZeroCopy, FetchLimitsTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Sendfile" : "Buffered"; });

}  // namespace
}  // namespace keel::integration
