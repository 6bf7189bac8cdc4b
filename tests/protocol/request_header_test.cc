#include "keel/protocol/request_header.h"

#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/api_table.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(RequestHeaderTest, ClassicHeaderV1) {
  Bytes in = {0x00, 0x03, 0x00, 0x05, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x02, 'i', 'd', 0xee};
  Reader r(in);
  absl::StatusOr<RequestHeader> h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->api_key, 3);
  EXPECT_EQ(h->api_version, 5);
  EXPECT_EQ(h->correlation_id, 42);
  EXPECT_EQ(h->client_id, std::optional<std::string>("id"));
  EXPECT_EQ(r.remaining(), 1u);  // left at the body
}

TEST(RequestHeaderTest, FlexibleHeaderV2SkipsTags) {
  // Metadata v9 is flexible: client id stays a classic string, then tags.
  Bytes in = {0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,
              0x01, 0x00, 0x01, 0x99, 0xee};
  Reader r(in);
  absl::StatusOr<RequestHeader> h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->client_id.has_value());
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(RequestHeaderTest, UnknownApiKeyParsesV1Only) {
  Bytes in = {0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0xee};
  Reader r(in);
  absl::StatusOr<RequestHeader> h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->api_key, 0x7f00);
  EXPECT_EQ(h->correlation_id, 9);
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(RequestHeaderTest, UnsupportedVersionOfKnownApiParsesV1Only) {
  // Produce v999: not in the table, so no tag section is read.
  Bytes in = {0x00, 0x00, 0x03, 0xe7, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0xee};
  Reader r(in);
  absl::StatusOr<RequestHeader> h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->api_version, 999);
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(RequestHeaderTest, TruncatedHeaderFails) {
  Bytes in = {0x00, 0x03, 0x00};
  Reader r(in);
  EXPECT_EQ(ParseRequestHeader(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RequestHeaderTest, WriteThenParseRoundTrips) {
  RequestHeader h{18, 3, 77, "client"};
  Writer w;
  WriteRequestHeader(w, h, RequestHeaderVersion(18, 3));
  Bytes bytes = w.Flatten();
  EXPECT_EQ(bytes.back(), 0);  // v2 tag section
  Reader r(bytes);
  absl::StatusOr<RequestHeader> parsed = ParseRequestHeader(r);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, h);
  EXPECT_TRUE(r.empty());
}

TEST(RequestHeaderTest, ResponseHeaderVersions) {
  Writer v0;
  WriteResponseHeader(v0, 5, 0);
  EXPECT_EQ(v0.Flatten(), (Bytes{0, 0, 0, 5}));
  Writer v1;
  WriteResponseHeader(v1, 5, 1);
  EXPECT_EQ(v1.Flatten(), (Bytes{0, 0, 0, 5, 0}));
}

}  // namespace
}  // namespace keel::protocol
