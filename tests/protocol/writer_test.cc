#include "keel/protocol/writer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(WriterTest, StringEncodings) {
  Writer w;
  w.WriteString("ab");
  w.WriteNullableString(std::nullopt);
  w.WriteCompactString("ab");
  w.WriteCompactNullableString(std::nullopt);
  w.WriteCompactNullableString(std::string());
  EXPECT_EQ(w.Flatten(), (Bytes{0, 2, 'a', 'b', 0xff, 0xff, 3, 'a', 'b', 0, 1}));
}

TEST(WriterTest, BytesEncodings) {
  Writer w;
  Bytes payload = {5, 6};
  w.WriteBytes(payload);
  w.WriteNullableBytes(std::nullopt);
  w.WriteCompactBytes(payload);
  w.WriteCompactNullableBytes(std::nullopt);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 0, 0, 2, 5, 6, 0xff, 0xff, 0xff, 0xff, 3, 5, 6, 0}));
}

TEST(WriterTest, ArrayLengths) {
  Writer w;
  w.WriteArrayLength(3);
  w.WriteArrayLength(-1);
  w.WriteCompactArrayLength(3);
  w.WriteCompactArrayLength(-1);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 4, 0}));
}

TEST(WriterTest, ExternalFragmentsAreNotCopied) {
  Bytes records = {1, 2, 3, 4, 5};
  Writer w;
  w.WriteInt16(7);
  w.WriteRecords(RecordsRef{records, false}, true);
  w.WriteInt8(9);
  std::vector<std::span<const uint8_t>> frags = w.Fragments();
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(frags[0].size(), 6u);  // int16 + int32 length
  EXPECT_EQ(frags[1].data(), records.data());
  EXPECT_EQ(frags[1].size(), 5u);
  EXPECT_EQ(frags[2].size(), 1u);
  EXPECT_EQ(w.size(), 12u);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 7, 0, 0, 0, 5, 1, 2, 3, 4, 5, 9}));
}

TEST(WriterTest, FragmentsStayCorrectWhenOwnedBufferGrowsAfterExternal) {
  Bytes records(100, 0xee);
  Writer w;
  w.WriteInt8(1);
  w.WriteExternal(records);
  for (int i = 0; i < 10000; ++i) w.WriteInt32(i);  // forces reallocation
  Bytes flat = w.Flatten();
  ASSERT_EQ(flat.size(), 1u + 100u + 40000u);
  EXPECT_EQ(flat[0], 1);
  EXPECT_EQ(flat[100], 0xee);
  EXPECT_EQ(flat[101 + 3], 0);
  EXPECT_EQ(flat[101 + 7], 1);
}

TEST(WriterTest, NullRecordsOnlyWhenNullable) {
  Writer w;
  w.WriteRecords(RecordsRef{{}, true}, true);
  w.WriteRecords(RecordsRef{{}, true}, false);
  w.WriteCompactRecords(RecordsRef{{}, true}, true);
  EXPECT_EQ(w.Flatten(), (Bytes{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0}));
}

TEST(WriterTest, FrameSizeIsPatchedAfterTheFact) {
  Bytes records = {1, 2, 3};
  Writer w;
  size_t at = w.ReserveInt32();
  w.WriteInt32(42);
  w.WriteExternal(records);
  w.PatchSizeAfter(at);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 0, 0, 7, 0, 0, 0, 42, 1, 2, 3}));
}

TEST(WriterTest, EmptyExternalAddsNoFragment) {
  Writer w;
  w.WriteInt8(1);
  w.WriteExternal({});
  EXPECT_EQ(w.Fragments().size(), 1u);
}

}  // namespace
}  // namespace keel::protocol
