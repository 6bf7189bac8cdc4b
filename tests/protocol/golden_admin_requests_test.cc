// Hand-built bytes of the admin requests (written from the protocol guide,
// not from keel's codec): each must decode to the expected fields and
// re-encode byte for byte, and a few responses must encode to known bytes.
// The request frames double as seeds in tests/fuzz/corpus/request_decode_fuzz.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/messages/all.h"
#include "keel/protocol/request_header.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

void Append(Bytes& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }
void Append(Bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

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

TEST(GoldenAdminRequestsTest, AlterConfigsV0AsLibrdkafkaSendsIt) {
  Bytes frame;
  Append(frame, {0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x02, 'r', 'k'});
  Append(frame, {0x00, 0x00, 0x00, 0x01});  // one resource
  Append(frame, {0x02, 0x00, 0x01, 't'});   // TOPIC "t"
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0x00, 0x0c});
  Append(frame, "retention.ms");
  Append(frame, {0x00, 0x04});
  Append(frame, "1000");
  Append(frame, {0x01});  // validate_only
  AlterConfigsRequest req = DecodeAndReencode<AlterConfigsRequest>(frame);
  ASSERT_EQ(req.resources.size(), 1u);
  EXPECT_EQ(req.resources[0].resource_type, 2);
  EXPECT_EQ(req.resources[0].resource_name, "t");
  ASSERT_EQ(req.resources[0].configs.size(), 1u);
  EXPECT_EQ(req.resources[0].configs[0].name, "retention.ms");
  EXPECT_EQ(req.resources[0].configs[0].value, std::optional<std::string>("1000"));
  EXPECT_TRUE(req.validate_only);
}

TEST(GoldenAdminRequestsTest, IncrementalAlterConfigsV1IsFlexible) {
  Bytes frame;
  Append(frame, {0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 'j'});
  Append(frame, {0x00});              // header tags
  Append(frame, {0x02, 0x02, 0x02, 't'});  // one resource: TOPIC, compact "t"
  Append(frame, {0x03});              // two configs
  Append(frame, {0x0f});
  Append(frame, "cleanup.policy");
  Append(frame, {0x02, 0x08});        // APPEND, compact "compact"
  Append(frame, "compact");
  Append(frame, {0x00});              // config tags
  Append(frame, {0x0d});
  Append(frame, "retention.ms");
  Append(frame, {0x01, 0x00, 0x00});  // DELETE, null value, config tags
  Append(frame, {0x00});              // resource tags
  Append(frame, {0x00, 0x00});        // validate_only, body tags
  IncrementalAlterConfigsRequest req = DecodeAndReencode<IncrementalAlterConfigsRequest>(frame);
  ASSERT_EQ(req.resources.size(), 1u);
  const auto& configs = req.resources[0].configs;
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].config_operation, 2);
  EXPECT_EQ(configs[0].value, std::optional<std::string>("compact"));
  EXPECT_EQ(configs[1].name, "retention.ms");
  EXPECT_EQ(configs[1].config_operation, 1);
  EXPECT_EQ(configs[1].value, std::nullopt);
}

TEST(GoldenAdminRequestsTest, DeleteRecordsV1AsLibrdkafkaSendsIt) {
  Bytes frame;
  Append(frame, {0x00, 0x15, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 'r', 'k'});
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't'});  // one topic "t"
  Append(frame, {0x00, 0x00, 0x00, 0x02});                   // two partitions
  Append(frame, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05});
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  Append(frame, {0x00, 0x00, 0x27, 0x10});  // timeout 10000
  DeleteRecordsRequest req = DecodeAndReencode<DeleteRecordsRequest>(frame);
  ASSERT_EQ(req.topics.size(), 1u);
  ASSERT_EQ(req.topics[0].partitions.size(), 2u);
  EXPECT_EQ(req.topics[0].partitions[0].offset, Offset(5));
  EXPECT_EQ(req.topics[0].partitions[1].partition_index, PartitionId(1));
  EXPECT_EQ(req.topics[0].partitions[1].offset, Offset(-1));
  EXPECT_EQ(req.timeout_ms, 10000);
}

TEST(GoldenAdminRequestsTest, DeleteRecordsV2IsFlexible) {
  Bytes frame;
  Append(frame, {0x00, 0x15, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0x00});
  Append(frame, {0x02, 0x02, 't', 0x02});  // one topic "t", one partition
  Append(frame, {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00});
  Append(frame, {0x00});                                // topic tags
  Append(frame, {0x00, 0x00, 0x03, 0xe8, 0x00});        // timeout 1000, body tags
  DeleteRecordsRequest req = DecodeAndReencode<DeleteRecordsRequest>(frame);
  EXPECT_EQ(req.topics[0].partitions[0].partition_index, PartitionId(3));
  EXPECT_EQ(req.topics[0].partitions[0].offset, Offset(7));
}

TEST(GoldenAdminRequestsTest, DescribeClusterV0HasAFlexibleHeader) {
  Bytes frame = {0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 'j',
                 0x00,         // header tags
                 0x01, 0x00};  // include_cluster_authorized_operations, body tags
  EXPECT_EQ(RequestHeaderVersion(60, 0), 2);
  DescribeClusterRequest req = DecodeAndReencode<DescribeClusterRequest>(frame);
  EXPECT_TRUE(req.include_cluster_authorized_operations);
  EXPECT_EQ(req.endpoint_type, 1);  // v0: the default
}

TEST(GoldenAdminRequestsTest, DescribeClusterV2AsksForFencedBrokers) {
  Bytes frame = {0x00, 0x3c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 'j', 0x00,
                 0x00, 0x02, 0x01, 0x00};  // ops no, controllers, fenced yes, tags
  DescribeClusterRequest req = DecodeAndReencode<DescribeClusterRequest>(frame);
  EXPECT_FALSE(req.include_cluster_authorized_operations);
  EXPECT_EQ(req.endpoint_type, 2);
  EXPECT_TRUE(req.include_fenced_brokers);
}

TEST(GoldenAdminRequestsTest, DescribeLogDirsV1NullTopicsMeansAll) {
  Bytes frame = {0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 'p',
                 0xff, 0xff, 0xff, 0xff};
  DescribeLogDirsRequest req = DecodeAndReencode<DescribeLogDirsRequest>(frame);
  EXPECT_FALSE(req.topics.has_value());
}

TEST(GoldenAdminRequestsTest, DescribeLogDirsV4WithOneTopic) {
  Bytes frame;
  Append(frame, {0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 'j', 0x00});
  Append(frame, {0x02, 0x02, 't', 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02});
  Append(frame, {0x00, 0x00});  // topic tags, body tags
  DescribeLogDirsRequest req = DecodeAndReencode<DescribeLogDirsRequest>(frame);
  ASSERT_TRUE(req.topics.has_value());
  ASSERT_EQ(req.topics->size(), 1u);
  EXPECT_EQ((*req.topics)[0].partitions,
            (std::vector<PartitionId>{PartitionId(0), PartitionId(2)}));
}

TEST(GoldenAdminRequestsTest, ElectLeadersV0HasNoElectionType) {
  Bytes frame;
  Append(frame, {0x00, 0x2b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01, 'p'});
  Append(frame, {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x01});
  Append(frame, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x60});  // partition 0, 60000 ms
  ElectLeadersRequest req = DecodeAndReencode<ElectLeadersRequest>(frame);
  EXPECT_EQ(req.election_type, 0);
  ASSERT_TRUE(req.topic_partitions.has_value());
  EXPECT_EQ((*req.topic_partitions)[0].topic, "t");
  EXPECT_EQ(req.timeout_ms, 60000);
}

TEST(GoldenAdminRequestsTest, ElectLeadersV2AllPartitionsUnclean) {
  Bytes frame = {0x00, 0x2b, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 'j', 0x00,
                 0x01, 0x00, 0x00, 0x00, 0x75, 0x30, 0x00};  // unclean, null, 30000, tags
  ElectLeadersRequest req = DecodeAndReencode<ElectLeadersRequest>(frame);
  EXPECT_EQ(req.election_type, 1);
  EXPECT_FALSE(req.topic_partitions.has_value());
}

TEST(GoldenAdminResponsesTest, DescribeClusterV0Encoding) {
  DescribeClusterResponse resp;
  resp.cluster_id = "c";
  resp.controller_id = NodeId(1);
  auto& b = resp.brokers.emplace_back();
  b.broker_id = NodeId(1);
  b.host = "h";
  b.port = 9092;
  Writer w;
  WriteResponseHeader(w, 5, ResponseHeaderVersion(DescribeClusterResponse::kApiKey, 0));
  resp.Encode(w, 0);
  Bytes expected = {0x00, 0x00, 0x00, 0x05, 0x00,  // correlation id, header tags
                    0x00, 0x00, 0x00, 0x00,        // throttle_time_ms
                    0x00, 0x00,                    // error_code
                    0x00,                          // error_message: null
                    0x02, 'c',                     // cluster_id
                    0x00, 0x00, 0x00, 0x01,        // controller_id
                    0x02,                          // one broker
                    0x00, 0x00, 0x00, 0x01, 0x02, 'h', 0x00, 0x00, 0x23, 0x84,
                    0x00, 0x00,                    // rack null, broker tags
                    0x80, 0x00, 0x00, 0x00,        // cluster_authorized_operations INT32_MIN
                    0x00};                         // body tags
  EXPECT_EQ(w.Flatten(), expected);
}

TEST(GoldenAdminResponsesTest, DescribeLogDirsV4CarriesVolumeSizesV1DoesNot) {
  DescribeLogDirsResponse resp;
  auto& dir = resp.results.emplace_back();
  dir.log_dir = "/d";
  dir.total_bytes = 0x100;
  dir.usable_bytes = 0x80;
  Writer v4;
  resp.Encode(v4, 4);
  Bytes expected4 = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // throttle, error_code
                     0x02, 0x00, 0x00, 0x03, '/', 'd', 0x01,  // one dir, error, "/d", no topics
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
                     0x00, 0x00};  // dir tags, body tags
  EXPECT_EQ(v4.Flatten(), expected4);
  Writer v1;
  resp.Encode(v1, 1);
  Bytes expected1 = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                     0x00, 0x02, '/', 'd', 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(v1.Flatten(), expected1);
}

}  // namespace
}  // namespace keel::protocol
