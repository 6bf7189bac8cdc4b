// Every generated message at every version: a sample with all fields set
// survives encode -> decode -> encode unchanged.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/messages/all.h"
#include "keel/protocol/testing/samples.h"

namespace keel::protocol {
namespace {

template <typename Message>
void ExpectRoundTrip(int16_t version, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << Message::kName << " v" << version << " seed " << seed);
  Message original;
  keel::protocol::testing::FillSample(original, version, seed);
  Writer w;
  original.Encode(w, version);
  std::vector<uint8_t> bytes = w.Flatten();
  EXPECT_EQ(original.EncodedSize(version), bytes.size());

  Reader r(bytes);
  Message decoded;
  absl::Status s = decoded.Decode(r, version);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(r.empty()) << r.remaining() << " bytes left over";
  EXPECT_EQ(decoded, original) << "decoded:  " << decoded.DebugString()
                               << "\noriginal: " << original.DebugString();
  Writer again;
  decoded.Encode(again, version);
  EXPECT_EQ(again.Flatten(), bytes);
}

TEST(MessagesRoundTripTest, EveryApiEveryVersionRequestAndResponse) {
  int checked = 0;
  for (const ApiDescriptor& api : AllApis()) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      for (uint32_t seed : {1u, 5u, 11u}) {
        bool known = VisitApi(api.key, [&]<typename Req, typename Resp>() {
          ExpectRoundTrip<Req>(v, seed);
          ExpectRoundTrip<Resp>(v, seed);
        });
        ASSERT_TRUE(known) << api.name;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(MessagesRoundTripTest, DecodeRejectsVersionOutsideTheSchemaRange) {
  std::vector<uint8_t> empty;
  Reader r(empty);
  ProduceRequest req;
  EXPECT_EQ(req.Decode(r, ProduceRequest::kMaxVersion + 1).code(), absl::StatusCode::kInvalidArgument);
  FetchRequest fetch;
  EXPECT_EQ(fetch.Decode(r, FetchRequest::kMinVersion - 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesRoundTripTest, EveryTruncationOfAValidMessageFailsCleanly) {
  ProduceRequest req;
  uint32_t seed = 3;
  keel::protocol::testing::FillSample(req, 9, seed);
  Writer w;
  req.Encode(w, 9);
  std::vector<uint8_t> bytes = w.Flatten();
  for (size_t n = 0; n < bytes.size(); ++n) {
    Reader r(std::span<const uint8_t>(bytes).first(n));
    ProduceRequest decoded;
    EXPECT_FALSE(decoded.Decode(r, 9).ok()) << "prefix of " << n << " bytes decoded";
  }
}

TEST(MessagesRoundTripTest, AbsentFieldsAreSkippedOnEncodeAndKeepDefaultsOnDecode) {
  ProduceRequest req;
  req.transactional_id = "txn";  // only exists from v3
  req.acks = -1;
  req.timeout_ms = 1000;
  Writer w;
  req.Encode(w, 2);
  std::vector<uint8_t> bytes = w.Flatten();
  EXPECT_EQ(bytes.size(), 2u + 4u + 4u);
  Reader r(bytes);
  ProduceRequest decoded;
  ASSERT_TRUE(decoded.Decode(r, 2).ok());
  EXPECT_FALSE(decoded.transactional_id.has_value());
  EXPECT_EQ(decoded.acks, -1);
}

TEST(MessagesRoundTripTest, UnknownTaggedFieldsArePreservedInTagOrder) {
  ProduceResponse resp;
  auto& topic = resp.responses.emplace_back();
  topic.name = "t";
  auto& part = topic.partition_responses.emplace_back();
  part.current_leader.leader_id = NodeId{3};  // known tag 0 at v10+
  part.unknown_tagged_fields.push_back(RawTaggedField{7, {1, 2}});
  Writer w;
  resp.Encode(w, 10);
  std::vector<uint8_t> bytes = w.Flatten();
  Reader r(bytes);
  ProduceResponse decoded;
  ASSERT_TRUE(decoded.Decode(r, 10).ok());
  EXPECT_EQ(decoded, resp);
  ASSERT_EQ(decoded.responses[0].partition_responses[0].unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(decoded.responses[0].partition_responses[0].unknown_tagged_fields[0].tag, 7u);
}

TEST(MessagesRoundTripTest, TaggedFieldEqualToDefaultIsOmitted) {
  ProduceResponse resp;
  Writer with_default;
  resp.Encode(with_default, 10);
  resp.node_endpoints.emplace_back().host = "h";
  Writer with_value;
  resp.Encode(with_value, 10);
  EXPECT_LT(with_default.size(), with_value.size());
  std::vector<uint8_t> bytes = with_default.Flatten();
  EXPECT_EQ(bytes.back(), 0);  // empty top-level tag section
}

TEST(MessagesRoundTripTest, DebugStringMasksSensitiveFields) {
  SaslAuthenticateRequest req;
  req.auth_bytes = {'s', 'e', 'c', 'r', 'e', 't'};
  std::string text = req.DebugString();
  EXPECT_NE(text.find("auth_bytes=****"), std::string::npos) << text;
  SaslAuthenticateResponse resp;
  resp.error_message = "bad password";
  resp.auth_bytes = {1, 2, 3};
  text = fmt::format("{}", resp);
  EXPECT_NE(text.find("auth_bytes=****"), std::string::npos) << text;
  EXPECT_NE(text.find("\"bad password\""), std::string::npos) << text;
}

TEST(MessagesRoundTripTest, DebugStringHidesPayloads) {
  std::vector<uint8_t> records = {1, 2, 3};
  ProduceRequest req;
  req.topic_data.emplace_back().partition_data.emplace_back().records = RecordsRef{records, false};
  std::string text = req.DebugString();
  EXPECT_NE(text.find("<3 bytes>"), std::string::npos) << text;
  EXPECT_EQ(fmt::format("{}", req), text);
}

}  // namespace
}  // namespace keel::protocol
