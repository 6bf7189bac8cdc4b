// Tests of the client's framing, correlation checks and version negotiation
// against a scripted in-memory stream (no sockets).
#include "keel/client/broker_connection.h"

#include <algorithm>
#include <deque>

#include "gtest/gtest.h"
#include "keel/client/client.h"
#include "keel/common/coding.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/api_versions.h"
#include "keel/protocol/messages/list_groups.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/request_header.h"

namespace keel::client {
namespace {

using protocol::ApiVersionsResponse;
using protocol::ListGroupsRequest;
using protocol::ListGroupsResponse;

// Serves pre-loaded response bytes at most `chunk` bytes per read and
// records everything written. Reading past the script returns end of stream.
class ScriptedStream : public ByteStream {
 public:
  explicit ScriptedStream(size_t chunk) : chunk_(chunk) {}
  void Append(const std::vector<uint8_t>& bytes) { input_.insert(input_.end(), bytes.begin(), bytes.end()); }
  absl::StatusOr<size_t> ReadSome(std::span<uint8_t> out, Deadline) override {
    size_t n = std::min({chunk_, out.size(), input_.size()});
    for (size_t i = 0; i < n; ++i) {
      out[i] = input_.front();
      input_.pop_front();
    }
    ++reads_;
    return n;
  }
  absl::StatusOr<size_t> WriteSome(std::span<const uint8_t> data, Deadline) override {
    size_t n = std::min(chunk_, data.size());
    written_.insert(written_.end(), data.begin(), data.begin() + n);
    return n;
  }
  const std::vector<uint8_t>& written() const { return written_; }
  int reads() const { return reads_; }

 private:
  size_t chunk_;
  std::deque<uint8_t> input_;
  std::vector<uint8_t> written_;
  int reads_ = 0;
};

// A response frame: size, correlation id, optional empty tag section, body.
template <typename Msg>
std::vector<uint8_t> ResponseFrame(int32_t correlation_id, const Msg& msg, int16_t version,
                                   bool flexible_header) {
  protocol::Writer w;
  size_t size_pos = w.ReserveInt32();
  w.WriteInt32(correlation_id);
  if (flexible_header) w.WriteUnsignedVarint(0);
  msg.Encode(w, version);
  w.PatchSizeAfter(size_pos);
  return w.Flatten();
}

ApiVersionsResponse BrokerVersions() {
  ApiVersionsResponse r;
  ApiVersionsResponse::ApiVersion av;
  av.api_key = 18;
  av.min_version = 0;
  av.max_version = 4;
  r.api_keys.push_back(av);
  av.api_key = ListGroupsRequest::kApiKey;
  av.min_version = 0;
  av.max_version = 2;  // lower than the client's max: 2 must be picked
  r.api_keys.push_back(av);
  return r;
}

std::unique_ptr<BrokerConnection> Make(ScriptedStream** raw, size_t chunk) {
  auto stream = std::make_unique<ScriptedStream>(chunk);
  *raw = stream.get();
  ConnectionOptions options;
  options.timeout = std::chrono::seconds(5);
  options.max_frame_bytes = 1 << 20;
  return std::make_unique<BrokerConnection>(std::move(stream), options);
}

TEST(ReadFrameTest, AssemblesAFrameDeliveredOneByteAtATime) {
  ScriptedStream stream(1);
  stream.Append({0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto first = ReadFrame(stream, 100, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, (std::vector<uint8_t>{'a', 'b', 'c'}));
  auto second = ReadFrame(stream, 100, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, (std::vector<uint8_t>{'z'}));
  EXPECT_GE(stream.reads(), 9);
}

TEST(ReadFrameTest, EndOfStreamInsideAFrameIsUnavailable) {
  ScriptedStream stream(4);
  stream.Append({0, 0, 0, 10, 'a', 'b'});
  auto frame = ReadFrame(stream, 100, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(frame.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ReadFrameTest, NegativeOrOversizedFrameIsDataLoss) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  ScriptedStream negative(8);
  negative.Append({0xff, 0xff, 0xff, 0xfe});
  EXPECT_EQ(ReadFrame(negative, 100, deadline).status().code(), absl::StatusCode::kDataLoss);
  ScriptedStream big(8);
  big.Append({0, 0, 1, 0});
  EXPECT_EQ(ReadFrame(big, 100, deadline).status().code(), absl::StatusCode::kDataLoss);
}

TEST(BrokerConnectionTest, NegotiatesAndPicksTheHighestCommonVersion) {
  ScriptedStream* stream = nullptr;
  auto conn = Make(&stream, 3);
  stream->Append(ResponseFrame(1, BrokerVersions(), 3, false));
  ASSERT_TRUE(conn->Negotiate().ok());
  auto v = conn->PickVersion(ListGroupsRequest::kApiKey, ListGroupsRequest::kMinVersion,
                             ListGroupsRequest::kMaxVersion);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(*conn->PickVersion(ListGroupsRequest::kApiKey, 0, 4, /*cap=*/1), 1);
  EXPECT_EQ(conn->PickVersion(ListGroupsRequest::kApiKey, 3, 4).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(conn->PickVersion(/*Produce*/ 0, 0, 9).status().code(), absl::StatusCode::kUnimplemented);

  // The request went out framed: size prefix, then header v2 of ApiVersions v3.
  const auto& w = stream->written();
  ASSERT_GE(w.size(), 12u);
  EXPECT_EQ(coding::LoadBE32(w.data()), w.size() - 4);
  protocol::Reader reader(std::span<const uint8_t>(w).subspan(4));
  auto header = protocol::ParseRequestHeader(reader);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->api_key, 18);
  EXPECT_EQ(header->api_version, 3);
  EXPECT_EQ(header->correlation_id, 1);
  EXPECT_EQ(header->client_id, "keel-admin");
}

TEST(BrokerConnectionTest, FallsBackToApiVersionsV0OnUnsupportedVersion) {
  ScriptedStream* stream = nullptr;
  auto conn = Make(&stream, 64);
  ApiVersionsResponse refused = BrokerVersions();
  refused.error_code = protocol::ToWire(protocol::ErrorCode::UNSUPPORTED_VERSION);
  stream->Append(ResponseFrame(1, refused, 0, false));
  stream->Append(ResponseFrame(2, BrokerVersions(), 0, false));
  ASSERT_TRUE(conn->Negotiate().ok());
  EXPECT_EQ(*conn->PickVersion(ListGroupsRequest::kApiKey, 0, 4), 2);
}

TEST(BrokerConnectionTest, DecodesAResponseDeliveredInPieces) {
  ScriptedStream* stream = nullptr;
  auto conn = Make(&stream, 1);
  stream->Append(ResponseFrame(1, BrokerVersions(), 3, false));
  ASSERT_TRUE(conn->Negotiate().ok());
  ListGroupsResponse groups;
  ListGroupsResponse::ListedGroup g;
  g.group_id = "billing";
  g.protocol_type = "consumer";
  groups.groups.push_back(g);
  stream->Append(ResponseFrame(2, groups, 2, false));
  auto reply = conn->Call<ListGroupsResponse>(ListGroupsRequest{});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->version, 2);
  ASSERT_EQ(reply->message.groups.size(), 1u);
  EXPECT_EQ(reply->message.groups[0].group_id, "billing");
}

TEST(BrokerConnectionTest, CorrelationMismatchIsAnErrorAndBreaksTheConnection) {
  ScriptedStream* stream = nullptr;
  auto conn = Make(&stream, 16);
  stream->Append(ResponseFrame(1, BrokerVersions(), 3, false));
  ASSERT_TRUE(conn->Negotiate().ok());
  stream->Append(ResponseFrame(77, ListGroupsResponse{}, 2, false));
  auto reply = conn->Call<ListGroupsResponse>(ListGroupsRequest{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(reply.status().ToString().find("correlation id mismatch"), std::string::npos);
  EXPECT_TRUE(conn->broken());
  // Even a well-formed next response is not trusted.
  stream->Append(ResponseFrame(3, ListGroupsResponse{}, 2, false));
  EXPECT_FALSE(conn->Call<ListGroupsResponse>(ListGroupsRequest{}).ok());
}

TEST(BrokerConnectionTest, UndecodableBodyIsDataLoss) {
  ScriptedStream* stream = nullptr;
  auto conn = Make(&stream, 16);
  stream->Append(ResponseFrame(1, BrokerVersions(), 3, false));
  ASSERT_TRUE(conn->Negotiate().ok());
  stream->Append({0, 0, 0, 6, 0, 0, 0, 2, 0, 0});  // correlation id, then 2 of 8+ bytes
  auto reply = conn->Call<ListGroupsResponse>(ListGroupsRequest{});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDataLoss);
}

TEST(ParseHostPortTest, AcceptsHostPortAndRejectsTheRest) {
  auto a = ParseHostPort("127.0.0.1:9092");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9092);
  auto v6 = ParseHostPort("[::1]:19092");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("localhost:0").ok());
  EXPECT_FALSE(ParseHostPort("localhost:70000").ok());
  EXPECT_FALSE(ParseHostPort(":9092").ok());
}

}  // namespace
}  // namespace keel::client
