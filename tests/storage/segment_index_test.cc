#include "keel/storage/segment_index.h"

#include <gtest/gtest.h>

namespace keel::storage {
namespace {

TEST(OffsetIndexTest, LookupFindsGreatestEntryAtOrBelow) {
  OffsetIndex index(100, 10);
  index.Append(110, 1000);
  index.Append(120, 2000);
  EXPECT_EQ(index.Lookup(99).position, 0u);
  EXPECT_EQ(index.Lookup(105).position, 0u);
  EXPECT_EQ(index.Lookup(105).offset, 100);
  EXPECT_EQ(index.Lookup(110).position, 1000u);
  EXPECT_EQ(index.Lookup(119).position, 1000u);
  EXPECT_EQ(index.Lookup(500).offset, 120);
}

TEST(OffsetIndexTest, EncodeDecodeRoundTrip) {
  OffsetIndex index(100, 10);
  index.Append(110, 1000);
  index.Append(120, 2000);
  auto decoded = OffsetIndex::Decode(index.Encode(), 100, 10, 3000);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 2u);
  EXPECT_EQ(decoded->Lookup(125).position, 2000u);
}

TEST(OffsetIndexTest, DecodeRejectsImplausibleFiles) {
  OffsetIndex index(0, 10);
  index.Append(10, 1000);
  index.Append(20, 2000);
  std::string bytes = index.Encode();
  EXPECT_FALSE(OffsetIndex::Decode(bytes.substr(0, 5), 0, 10, 3000).ok());
  EXPECT_FALSE(OffsetIndex::Decode(bytes, 0, 10, 1500).ok());  // points past data
  std::string swapped = bytes.substr(8, 8) + bytes.substr(0, 8);
  EXPECT_FALSE(OffsetIndex::Decode(swapped, 0, 10, 3000).ok());
}

TEST(OffsetIndexTest, TruncateToPositionDropsLaterEntries) {
  OffsetIndex index(0, 10);
  index.Append(10, 1000);
  index.Append(20, 2000);
  index.TruncateToPosition(2000);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Lookup(25).offset, 10);
}

TEST(OffsetIndexTest, FullAtMaxEntries) {
  OffsetIndex index(0, 2);
  index.Append(1, 10);
  EXPECT_FALSE(index.full());
  index.Append(2, 20);
  EXPECT_TRUE(index.full());
}

TEST(TimeIndexTest, LastBeforeFindsEntryBelowTarget) {
  TimeIndex index(0, 10);
  index.MaybeAppend(1000, 0);
  index.MaybeAppend(2000, 5);
  index.MaybeAppend(1500, 7);  // not larger: ignored
  index.MaybeAppend(3000, 9);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_FALSE(index.LastBefore(1000).has_value());
  EXPECT_EQ(index.LastBefore(1001)->offset, 0);
  EXPECT_EQ(index.LastBefore(2500)->offset, 5);
  EXPECT_EQ(index.LastBefore(9999)->offset, 9);
}

TEST(TimeIndexTest, EncodeDecodeRoundTripAndSanity) {
  TimeIndex index(50, 10);
  index.MaybeAppend(1000, 50);
  index.MaybeAppend(2000, 60);
  auto ok = TimeIndex::Decode(index.Encode(), 50, 10, 61);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->last()->timestamp, 2000);
  EXPECT_FALSE(TimeIndex::Decode(index.Encode(), 50, 10, 60).ok());
  EXPECT_FALSE(TimeIndex::Decode(index.Encode().substr(1), 50, 10, 61).ok());
}

}  // namespace
}  // namespace keel::storage
