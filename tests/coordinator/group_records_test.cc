// Record layouts of __consumer_offsets, checked against bytes built by hand
// from the published key/value schemas (int16 version prefix, then fields).
#include "keel/coordinator/group_records.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace keel::coordinator {
namespace {

using Bytes = std::vector<uint8_t>;

// Tiny big-endian builder for expected bytes.
struct B {
  Bytes b;
  B& i8(int v) { b.push_back(uint8_t(v)); return *this; }
  B& i16(int v) { i8(v >> 8); return i8(v); }
  B& i32(int64_t v) { for (int s = 24; s >= 0; s -= 8) i8(int(v >> s)); return *this; }
  B& i64(int64_t v) { for (int s = 56; s >= 0; s -= 8) i8(int(v >> s)); return *this; }
  B& str(const std::string& s) { i16(int(s.size())); b.insert(b.end(), s.begin(), s.end()); return *this; }
  B& null_str() { return i16(-1); }
  B& bytes(const Bytes& v) { i32(int64_t(v.size())); b.insert(b.end(), v.begin(), v.end()); return *this; }
};

TEST(GroupRecordsTest, PartitionForGroupMatchesJavaHashCode) {
  EXPECT_EQ(JavaStringHashCode(""), 0);
  EXPECT_EQ(JavaStringHashCode("a"), 97);
  EXPECT_EQ(JavaStringHashCode("abc"), 96354);
  EXPECT_EQ(JavaStringHashCode("my-group"), -1906497762);
  EXPECT_EQ(JavaStringHashCode("\xc3\xa9"), 233);             // U+00E9
  EXPECT_EQ(JavaStringHashCode("\xf0\x9f\x98\x80"), 1772899);  // U+1F600: two UTF-16 units
  EXPECT_EQ(PartitionForGroup("a", 50), 47);
  EXPECT_EQ(PartitionForGroup("my-group", 50), 12);
  EXPECT_EQ(PartitionForGroup("consumer-group-1", 50), 20);
  EXPECT_EQ(PartitionForGroup("\xf0\x9f\x98\x80", 50), 49);
}

TEST(GroupRecordsTest, HashCodeOfIntMinMapsToPartitionZero) {
  EXPECT_EQ(JavaStringHashCode("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 50), 0);
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 7), 0);
}

TEST(GroupRecordsTest, OffsetCommitRecordIsKeyV1ValueV3) {
  CommittedOffset c{Offset(0x0102030405060708), 7, "md", 1700000000123, -1};
  CoordinatorRecord r = OffsetCommitRecord("g", TopicPartition{"t", PartitionId(2)}, c);
  EXPECT_EQ(r.key, B().i16(1).str("g").str("t").i32(2).b);
  ASSERT_TRUE(r.value.has_value());
  EXPECT_EQ(*r.value, B().i16(3).i64(0x0102030405060708).i32(7).str("md").i64(1700000000123).b);
}

TEST(GroupRecordsTest, OffsetCommitWithExpiryIsValueV1) {
  CommittedOffset c{Offset(42), 3, "", 1000, 5000};
  CoordinatorRecord r = OffsetCommitRecord("g", TopicPartition{"t", PartitionId(0)}, c);
  ASSERT_TRUE(r.value.has_value());
  // v1: offset, metadata, commit timestamp, expire timestamp (no leader epoch).
  EXPECT_EQ(*r.value, B().i16(1).i64(42).str("").i64(1000).i64(5000).b);
}

TEST(GroupRecordsTest, TombstonesHaveNullValues) {
  auto o = OffsetTombstone("grp", TopicPartition{"topic", PartitionId(1)});
  EXPECT_EQ(o.key, B().i16(1).str("grp").str("topic").i32(1).b);
  EXPECT_FALSE(o.value.has_value());
  auto g = GroupTombstone("grp");
  EXPECT_EQ(g.key, B().i16(2).str("grp").b);
  EXPECT_FALSE(g.value.has_value());
}

TEST(GroupRecordsTest, GroupMetadataRecordIsKeyV2ValueV3) {
  protocol::GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = GenerationId(5);
  v.protocol = "range";
  v.leader = "m1";
  v.current_state_timestamp = 99;
  auto& m = v.members.emplace_back();
  m.member_id = "m1";
  m.group_instance_id = std::nullopt;
  m.client_id = "c";
  m.client_host = "/127.0.0.1";
  m.rebalance_timeout = 300000;
  m.session_timeout = 45000;
  m.subscription = {1, 2};
  m.assignment = {3};
  CoordinatorRecord r = GroupMetadataRecord("grp", v);
  EXPECT_EQ(r.key, B().i16(2).str("grp").b);
  ASSERT_TRUE(r.value.has_value());
  Bytes expected = B().i16(3)
                       .str("consumer")
                       .i32(5)
                       .str("range")
                       .str("m1")
                       .i64(99)
                       .i32(1)
                       .str("m1")
                       .null_str()
                       .str("c")
                       .str("/127.0.0.1")
                       .i32(300000)
                       .i32(45000)
                       .bytes({1, 2})
                       .bytes({3})
                       .b;
  EXPECT_EQ(*r.value, expected);
}

TEST(GroupRecordsTest, DecodeRoundTripsEveryRecordKind) {
  CommittedOffset c{Offset(10), 1, "x", 5, -1};
  auto r = OffsetCommitRecord("g", TopicPartition{"t", PartitionId(3)}, c);
  auto d = DecodeRecord(r.key, std::span<const uint8_t>(*r.value));
  ASSERT_TRUE(d.ok()) << d.status();
  auto* o = std::get_if<OffsetRecord>(&*d);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->group, "g");
  EXPECT_EQ(o->tp, (TopicPartition{"t", PartitionId(3)}));
  ASSERT_TRUE(o->value.has_value());
  EXPECT_EQ(*o->value, c);

  auto t = GroupTombstone("g");
  auto dt = DecodeRecord(t.key, std::nullopt);
  ASSERT_TRUE(dt.ok());
  auto* gr = std::get_if<GroupRecord>(&*dt);
  ASSERT_NE(gr, nullptr);
  EXPECT_EQ(gr->group, "g");
  EXPECT_FALSE(gr->value.has_value());
}

TEST(GroupRecordsTest, DecodesOffsetValueVersionZero) {
  Bytes key = B().i16(0).str("g").str("t").i32(0).b;
  Bytes value = B().i16(0).i64(77).str("meta").i64(1234).b;
  auto d = DecodeRecord(key, std::span<const uint8_t>(value));
  ASSERT_TRUE(d.ok()) << d.status();
  const auto& o = std::get<OffsetRecord>(*d);
  ASSERT_TRUE(o.value.has_value());
  EXPECT_EQ(o.value->offset, Offset(77));
  EXPECT_EQ(o.value->leader_epoch, -1);
  EXPECT_EQ(o.value->metadata, "meta");
  EXPECT_EQ(o.value->commit_timestamp_ms, 1234);
}

TEST(GroupRecordsTest, DecodesFlexibleOffsetValueVersionFour) {
  Bytes key = B().i16(1).str("g").str("t").i32(0).b;
  // v4: compact string (uvarint length + 1) and an empty tagged-field section.
  Bytes value = B().i16(4).i64(5).i32(2).i8(3).i8('a').i8('b').i64(9).i8(0).b;
  auto d = DecodeRecord(key, std::span<const uint8_t>(value));
  ASSERT_TRUE(d.ok()) << d.status();
  const auto& o = std::get<OffsetRecord>(*d);
  ASSERT_TRUE(o.value.has_value());
  EXPECT_EQ(o.value->offset, Offset(5));
  EXPECT_EQ(o.value->leader_epoch, 2);
  EXPECT_EQ(o.value->metadata, "ab");
  EXPECT_EQ(o.value->commit_timestamp_ms, 9);
}

TEST(GroupRecordsTest, UnknownKeyVersionIsNotFound) {
  Bytes key = B().i16(3).str("g").b;  // a newer group type's record
  auto d = DecodeRecord(key, std::nullopt);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

TEST(GroupRecordsTest, TruncatedValueIsDataLoss) {
  Bytes key = B().i16(1).str("g").str("t").i32(0).b;
  Bytes value = B().i16(3).i64(5).b;
  auto d = DecodeRecord(key, std::span<const uint8_t>(value));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  Bytes short_key = {0};
  EXPECT_EQ(DecodeRecord(short_key, std::nullopt).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace keel::coordinator
