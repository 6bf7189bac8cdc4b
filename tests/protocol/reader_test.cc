#include "keel/protocol/reader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/writer.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(ReaderTest, FixedWidthIntegersAreBigEndian) {
  Bytes in = {0xff, 0x12, 0x34, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
              0x00, 0x00, 0x00, 0x01, 0x02, 0xab, 0xcd};
  Reader r(in);
  int8_t a;
  int16_t b;
  int32_t c;
  int64_t d;
  uint16_t e;
  ASSERT_TRUE(r.ReadInt8(&a).ok());
  ASSERT_TRUE(r.ReadInt16(&b).ok());
  ASSERT_TRUE(r.ReadInt32(&c).ok());
  ASSERT_TRUE(r.ReadInt64(&d).ok());
  ASSERT_TRUE(r.ReadUint16(&e).ok());
  EXPECT_EQ(a, -1);
  EXPECT_EQ(b, 0x1234);
  EXPECT_EQ(c, int32_t(0x80000001));
  EXPECT_EQ(d, 0x102);
  EXPECT_EQ(e, 0xabcd);
  EXPECT_TRUE(r.empty());
}

TEST(ReaderTest, TruncatedIntegerIsDataLossNamingPosition) {
  Bytes in = {0x00, 0x01, 0x02};
  Reader r(in);
  int32_t v;
  absl::Status s = r.ReadInt32(&v);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("int32"), std::string_view::npos);
  EXPECT_NE(s.message().find("byte 0"), std::string_view::npos);
}

TEST(ReaderTest, UnsignedVarintEdgeValues) {
  const std::vector<std::pair<uint32_t, Bytes>> cases = {
      {0, {0x00}},
      {1, {0x01}},
      {127, {0x7f}},
      {128, {0x80, 0x01}},
      {300, {0xac, 0x02}},
      {16383, {0xff, 0x7f}},
      {16384, {0x80, 0x80, 0x01}},
      {0xffffffffu, {0xff, 0xff, 0xff, 0xff, 0x0f}},
  };
  for (const auto& [value, bytes] : cases) {
    Reader r(bytes);
    uint32_t got = 0;
    ASSERT_TRUE(r.ReadUnsignedVarint(&got).ok()) << value;
    EXPECT_EQ(got, value);
    EXPECT_TRUE(r.empty());
    Writer w;
    w.WriteUnsignedVarint(value);
    EXPECT_EQ(w.Flatten(), bytes) << value;
  }
}

TEST(ReaderTest, ZigzagVarintEdgeValues) {
  const std::vector<std::pair<int32_t, Bytes>> cases = {
      {0, {0x00}},
      {-1, {0x01}},
      {1, {0x02}},
      {-64, {0x7f}},
      {64, {0x80, 0x01}},
      {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}},
      {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}},
  };
  for (const auto& [value, bytes] : cases) {
    Reader r(bytes);
    int32_t got = 0;
    ASSERT_TRUE(r.ReadVarint(&got).ok()) << value;
    EXPECT_EQ(got, value);
    Writer w;
    w.WriteVarint(value);
    EXPECT_EQ(w.Flatten(), bytes) << value;
  }
}

TEST(ReaderTest, ZigzagVarlongEdgeValues) {
  for (int64_t value : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    Writer w;
    w.WriteVarlong(value);
    Bytes bytes = w.Flatten();
    Reader r(bytes);
    int64_t got = 0;
    ASSERT_TRUE(r.ReadVarlong(&got).ok()) << value;
    EXPECT_EQ(got, value);
    EXPECT_TRUE(r.empty());
  }
  Bytes max = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  Writer w;
  w.WriteVarlong(INT64_MAX);
  EXPECT_EQ(w.Flatten(), max);
}

TEST(ReaderTest, OverlongVarintIsRejected) {
  Bytes six = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  Reader r(six);
  uint32_t v;
  EXPECT_EQ(r.ReadUnsignedVarint(&v).code(), absl::StatusCode::kInvalidArgument);
  Bytes overflow = {0xff, 0xff, 0xff, 0xff, 0x1f};  // 35 bits
  Reader r2(overflow);
  EXPECT_EQ(r2.ReadUnsignedVarint(&v).code(), absl::StatusCode::kInvalidArgument);
  Bytes eleven(10, 0x80);
  eleven.push_back(0x01);
  Reader r3(eleven);
  int64_t l;
  EXPECT_EQ(r3.ReadVarlong(&l).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, TruncatedVarintIsDataLoss) {
  Bytes in = {0x80, 0x80};
  Reader r(in);
  uint32_t v;
  EXPECT_EQ(r.ReadUnsignedVarint(&v).code(), absl::StatusCode::kDataLoss);
}

TEST(ReaderTest, ClassicStringAndNullableString) {
  Bytes in = {0x00, 0x02, 'h', 'i', 0xff, 0xff, 0x00, 0x00};
  Reader r(in);
  std::string s;
  std::optional<std::string> n;
  std::optional<std::string> e;
  ASSERT_TRUE(r.ReadString(&s).ok());
  ASSERT_TRUE(r.ReadNullableString(&n).ok());
  ASSERT_TRUE(r.ReadNullableString(&e).ok());
  EXPECT_EQ(s, "hi");
  EXPECT_FALSE(n.has_value());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, "");
}

TEST(ReaderTest, NullInNonNullableStringIsInvalidArgument) {
  Bytes in = {0xff, 0xff};
  Reader r(in);
  std::string s;
  EXPECT_EQ(r.ReadString(&s).code(), absl::StatusCode::kInvalidArgument);
  Bytes compact = {0x00};
  Reader r2(compact);
  EXPECT_EQ(r2.ReadCompactString(&s).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, CompactStringUsesLengthPlusOne) {
  Bytes in = {0x03, 'a', 'b', 0x00, 0x01};
  Reader r(in);
  std::string s;
  std::optional<std::string> n;
  std::optional<std::string> e;
  ASSERT_TRUE(r.ReadCompactString(&s).ok());
  ASSERT_TRUE(r.ReadCompactNullableString(&n).ok());
  ASSERT_TRUE(r.ReadCompactNullableString(&e).ok());
  EXPECT_EQ(s, "ab");
  EXPECT_FALSE(n.has_value());
  EXPECT_EQ(e, std::optional<std::string>(""));
}

TEST(ReaderTest, StringLongerThanInputIsDataLoss) {
  Bytes in = {0x00, 0x10, 'a'};
  Reader r(in);
  std::string s;
  EXPECT_EQ(r.ReadString(&s).code(), absl::StatusCode::kDataLoss);
}

TEST(ReaderTest, NegativeLengthBelowMinusOneIsInvalid) {
  Bytes in = {0xff, 0xfe};
  Reader r(in);
  std::optional<std::string> s;
  EXPECT_EQ(r.ReadNullableString(&s).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, BytesAndCompactBytes) {
  Bytes in = {0x00, 0x00, 0x00, 0x02, 7, 8, 0xff, 0xff, 0xff, 0xff, 0x02, 9, 0x00};
  Reader r(in);
  std::vector<uint8_t> a;
  std::optional<std::vector<uint8_t>> b;
  std::vector<uint8_t> c;
  std::optional<std::vector<uint8_t>> d;
  ASSERT_TRUE(r.ReadBytes(&a).ok());
  ASSERT_TRUE(r.ReadNullableBytes(&b).ok());
  ASSERT_TRUE(r.ReadCompactBytes(&c).ok());
  ASSERT_TRUE(r.ReadCompactNullableBytes(&d).ok());
  EXPECT_EQ(a, (Bytes{7, 8}));
  EXPECT_FALSE(b.has_value());
  EXPECT_EQ(c, (Bytes{9}));
  EXPECT_FALSE(d.has_value());
}

TEST(ReaderTest, HugeArrayCountIsRejectedBeforeAllocating) {
  // 0x7fffffff elements of at least 4 bytes announced with 4 bytes left.
  Bytes in = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  Reader r(in);
  int32_t count = 0;
  absl::Status s = r.ReadArrayLength(&count, 4, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cannot fit"), std::string_view::npos);

  Bytes compact = {0xff, 0xff, 0xff, 0xff, 0x07};
  Reader r2(compact);
  EXPECT_EQ(r2.ReadCompactArrayLength(&count, 1, false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, ArrayCountThatFitsIsAccepted) {
  Bytes in = {0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  Reader r(in);
  int32_t count = 0;
  ASSERT_TRUE(r.ReadArrayLength(&count, 4, false).ok());
  EXPECT_EQ(count, 2);
  Bytes too_many = {0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2};
  Reader r2(too_many);
  EXPECT_FALSE(r2.ReadArrayLength(&count, 4, false).ok());
}

TEST(ReaderTest, NullArrayOnlyWhenNullable) {
  Bytes in = {0xff, 0xff, 0xff, 0xff};
  int32_t count = 0;
  Reader r(in);
  ASSERT_TRUE(r.ReadArrayLength(&count, 4, true).ok());
  EXPECT_EQ(count, -1);
  Reader r2(in);
  EXPECT_EQ(r2.ReadArrayLength(&count, 4, false).code(), absl::StatusCode::kInvalidArgument);
  Bytes compact_null = {0x00};
  Reader r3(compact_null);
  ASSERT_TRUE(r3.ReadCompactArrayLength(&count, 4, true).ok());
  EXPECT_EQ(count, -1);
}

TEST(ReaderTest, RecordsPointIntoTheInputWithoutCopy) {
  Bytes in = {0, 0, 0, 3, 10, 11, 12, 0x00};
  Reader r(in);
  RecordsRef rec;
  ASSERT_TRUE(r.ReadRecords(&rec, true).ok());
  EXPECT_EQ(rec.bytes.data(), in.data() + 4);
  EXPECT_EQ(rec.bytes.size(), 3u);
  EXPECT_FALSE(rec.is_null);
  RecordsRef null_rec;
  ASSERT_TRUE(r.ReadCompactRecords(&null_rec, true).ok());
  EXPECT_TRUE(null_rec.is_null);
}

TEST(ReaderTest, NullRecordsRejectedWhenNotNullable) {
  Bytes in = {0xff, 0xff, 0xff, 0xff};
  Reader r(in);
  RecordsRef rec;
  EXPECT_EQ(r.ReadRecords(&rec, false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, UuidIsSixteenRawBytes) {
  Bytes in(16);
  for (int i = 0; i < 16; ++i) in[i] = uint8_t(i + 1);
  Reader r(in);
  Uuid u;
  ASSERT_TRUE(r.ReadUuid(&u).ok());
  EXPECT_EQ(u.bytes[0], 1);
  EXPECT_EQ(u.bytes[15], 16);
  Reader short_reader(std::span<const uint8_t>(in).first(15));
  EXPECT_EQ(short_reader.ReadUuid(&u).code(), absl::StatusCode::kDataLoss);
}

TEST(ReaderTest, TaggedFieldSectionIsReadAndSkipped) {
  // Two tags: tag 0 with 2 bytes, tag 5 with 1 byte; then a trailing int8.
  Bytes in = {0x02, 0x00, 0x02, 0xaa, 0xbb, 0x05, 0x01, 0xcc, 0x7f};
  Reader r(in);
  ASSERT_TRUE(r.SkipTaggedFields().ok());
  int8_t tail;
  ASSERT_TRUE(r.ReadInt8(&tail).ok());
  EXPECT_EQ(tail, 0x7f);

  Reader r2(in);
  uint32_t n, tag;
  std::span<const uint8_t> data;
  ASSERT_TRUE(r2.ReadUnsignedVarint(&n).ok());
  ASSERT_TRUE(r2.ReadTaggedField(&tag, &data).ok());
  EXPECT_EQ(tag, 0u);
  EXPECT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1], 0xbb);
}

TEST(ReaderTest, TaggedFieldWithOversizedLengthIsDataLoss) {
  Bytes in = {0x01, 0x00, 0x05, 0xaa};
  Reader r(in);
  EXPECT_EQ(r.SkipTaggedFields().code(), absl::StatusCode::kDataLoss);
}

TEST(ReaderTest, BoolAndFloat64) {
  Writer w;
  w.WriteBool(true);
  w.WriteFloat64(-2.5);
  Bytes bytes = w.Flatten();
  bytes.push_back(0x02);  // any non-zero byte reads as true
  Reader r(bytes);
  bool b = false;
  double d = 0;
  ASSERT_TRUE(r.ReadBool(&b).ok());
  ASSERT_TRUE(r.ReadFloat64(&d).ok());
  EXPECT_TRUE(b);
  EXPECT_EQ(d, -2.5);
  ASSERT_TRUE(r.ReadBool(&b).ok());
  EXPECT_TRUE(b);
}

}  // namespace
}  // namespace keel::protocol
