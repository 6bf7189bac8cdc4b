// Hand-built byte strings of real requests, written from the protocol guide:
// each must decode to the expected fields and re-encode byte for byte.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/common/record_batch.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/messages/all.h"
#include "keel/protocol/request_header.h"
#include "testutil/batch_builder.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

void Append(Bytes& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }
void Append(Bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }
void Append(Bytes& out, const Bytes& bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

// Parses header + body of `frame` (no size prefix), checks the body is fully
// consumed, re-encodes both and expects identical bytes.
template <typename Request>
Request DecodeAndReencode(const Bytes& frame) {
  Reader r(frame);
  absl::StatusOr<RequestHeader> header = ParseRequestHeader(r);
  EXPECT_TRUE(header.ok()) << header.status();
  Request req;
  absl::Status s = req.Decode(r, header->api_version);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(r.empty()) << r.remaining() << " bytes not consumed";
  Writer w;
  WriteRequestHeader(w, *header, RequestHeaderVersion(header->api_key, header->api_version));
  req.Encode(w, header->api_version);
  EXPECT_EQ(w.Flatten(), frame);
  return req;
}

TEST(GoldenRequestsTest, ApiVersionsV3AsLibrdkafkaSendsIt) {
  Bytes frame;
  Append(frame, {0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01});  // key 18, v3, corr 1
  Append(frame, {0x00, 0x07});
  Append(frame, "rdkafka");                                      // client id (classic)
  Append(frame, {0x00});                                          // header tags
  Append(frame, {0x0b});
  Append(frame, "librdkafka");                                   // compact string
  Append(frame, {0x06});
  Append(frame, "2.0.2");
  Append(frame, {0x00});  // body tags
  ApiVersionsRequest req = DecodeAndReencode<ApiVersionsRequest>(frame);
  EXPECT_EQ(req.client_software_name, "librdkafka");
  EXPECT_EQ(req.client_software_version, "2.0.2");
}

TEST(GoldenRequestsTest, ApiVersionsV0HasAnEmptyBody) {
  Bytes frame = {0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 'x'};
  ApiVersionsRequest req = DecodeAndReencode<ApiVersionsRequest>(frame);
  EXPECT_EQ(req.client_software_name, "");
}

TEST(GoldenRequestsTest, MetadataV12WithOneTopicByName) {
  Bytes frame;
  Append(frame, {0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x00, 0x03});
  Append(frame, "cli");
  Append(frame, {0x00});  // header tags
  Append(frame, {0x02});  // one topic
  Append(frame, Bytes(16, 0x00));  // zero topic id
  Append(frame, {0x07});
  Append(frame, "orders");
  Append(frame, {0x00});  // topic tags
  Append(frame, {0x01});  // allow_auto_topic_creation
  Append(frame, {0x00});  // include_topic_authorized_operations
  Append(frame, {0x00});  // body tags
  MetadataRequest req = DecodeAndReencode<MetadataRequest>(frame);
  ASSERT_TRUE(req.topics.has_value());
  ASSERT_EQ(req.topics->size(), 1u);
  EXPECT_EQ((*req.topics)[0].name, std::optional<std::string>("orders"));
  EXPECT_TRUE((*req.topics)[0].topic_id.IsZero());
  EXPECT_TRUE(req.allow_auto_topic_creation);
}

TEST(GoldenRequestsTest, MetadataV12NullTopicsMeansAllTopics) {
  Bytes frame = {0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x08, 0xff, 0xff, 0x00,
                 0x00, 0x00, 0x00, 0x00};
  MetadataRequest req = DecodeAndReencode<MetadataRequest>(frame);
  EXPECT_FALSE(req.topics.has_value());
  EXPECT_FALSE(req.allow_auto_topic_creation);
}

TEST(GoldenRequestsTest, MetadataV1NullTopicsIsClassicMinusOne) {
  Bytes frame = {0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0xff, 0xff,
                 0xff, 0xff, 0xff, 0xff};
  MetadataRequest req = DecodeAndReencode<MetadataRequest>(frame);
  EXPECT_FALSE(req.topics.has_value());
}

TEST(GoldenRequestsTest, ProduceV9WithOneBatch) {
  Bytes batch = keel::testutil::BuildSimpleBatch(4, 40);
  Bytes frame;
  Append(frame, {0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'p', 0x00});
  Append(frame, {0x00});                    // transactional_id: null
  Append(frame, {0xff, 0xff});              // acks -1
  Append(frame, {0x00, 0x00, 0x75, 0x30});  // timeout 30000
  Append(frame, {0x02, 0x02, 't'});         // one topic "t"
  Append(frame, {0x02, 0x00, 0x00, 0x00, 0x04});  // one partition, index 4
  ASSERT_GE(batch.size() + 1, 128u);  // needs a 2-byte uvarint length
  ASSERT_LT(batch.size() + 1, 128u * 128u);
  uint32_t len = uint32_t(batch.size() + 1);
  Append(frame, {uint8_t((len & 0x7f) | 0x80), uint8_t(len >> 7)});
  Append(frame, batch);
  Append(frame, {0x00, 0x00, 0x00});  // partition, topic and body tags
  ProduceRequest req = DecodeAndReencode<ProduceRequest>(frame);
  EXPECT_FALSE(req.transactional_id.has_value());
  EXPECT_EQ(req.acks, -1);
  EXPECT_EQ(req.timeout_ms, 30000);
  ASSERT_EQ(req.topic_data.size(), 1u);
  EXPECT_EQ(req.topic_data[0].name, "t");
  ASSERT_EQ(req.topic_data[0].partition_data.size(), 1u);
  const auto& p = req.topic_data[0].partition_data[0];
  EXPECT_EQ(p.index, PartitionId{4});
  EXPECT_EQ(p.records.bytes.size(), batch.size());
  EXPECT_TRUE(std::equal(batch.begin(), batch.end(), p.records.bytes.begin()));
  EXPECT_TRUE(keel::ValidateBatch(p.records.bytes).ok());
}

TEST(GoldenRequestsTest, ProduceV3ClassicWithTransactionalId) {
  Bytes frame;
  Append(frame, {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x06, 0xff, 0xff});
  Append(frame, {0x00, 0x02, 't', 'x'});    // transactional id "tx"
  Append(frame, {0x00, 0x01});              // acks 1
  Append(frame, {0x00, 0x00, 0x03, 0xe8});  // timeout 1000
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'a'});
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00});
  Append(frame, {0x00, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc});  // records (opaque here)
  ProduceRequest req = DecodeAndReencode<ProduceRequest>(frame);
  EXPECT_EQ(req.transactional_id, std::optional<std::string>("tx"));
  EXPECT_EQ(req.topic_data[0].partition_data[0].records.bytes.size(), 3u);
}

TEST(GoldenRequestsTest, ApiVersionsResponseV3UsesResponseHeaderV0) {
  ApiVersionsResponse resp;
  resp.api_keys.push_back({18, 0, 4});
  Writer w;
  WriteResponseHeader(w, 1, ResponseHeaderVersion(ApiVersionsResponse::kApiKey, 3));
  resp.Encode(w, 3);
  Bytes expected = {0x00, 0x00, 0x00, 0x01,  // correlation id, no header tags
                    0x00, 0x00,              // error_code
                    0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,  // one api, its tags
                    0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
                    0x00};                   // body tags
  EXPECT_EQ(w.Flatten(), expected);
}

TEST(GoldenRequestsTest, FetchResponseRecordsAreExternalFragments) {
  Bytes batch = keel::testutil::BuildSimpleBatch(3, 100);
  FetchResponse resp;
  auto& topic = resp.responses.emplace_back();
  topic.topic = "t";
  auto& part = topic.partitions.emplace_back();
  part.records = RecordsRef{batch, false};
  Writer w;
  resp.Encode(w, 11);
  bool found = false;
  for (std::span<const uint8_t> f : w.Fragments()) found |= f.data() == batch.data();
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace keel::protocol
