// The __consumer_offsets record schemas (proto/internal/): round trips at
// every version and the byte layout of a classic and a flexible value.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/internal/group_metadata_key.h"
#include "keel/protocol/internal/group_metadata_value.h"
#include "keel/protocol/internal/offset_commit_key.h"
#include "keel/protocol/internal/offset_commit_value.h"
#include "keel/protocol/testing/samples.h"

namespace keel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

template <typename Record>
void ExpectRoundTripAllVersions() {
  for (int16_t v = Record::kMinVersion; v <= Record::kMaxVersion; ++v) {
    SCOPED_TRACE(::testing::Message() << Record::kName << " v" << v);
    Record original;
    uint32_t seed = 2;
    keel::protocol::testing::FillSample(original, v, seed);
    Writer w;
    original.Encode(w, v);
    Bytes bytes = w.Flatten();
    Reader r(bytes);
    Record decoded;
    ASSERT_TRUE(decoded.Decode(r, v).ok());
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(decoded, original);
  }
}

TEST(InternalRecordsTest, EveryRecordEveryVersionRoundTrips) {
  ExpectRoundTripAllVersions<OffsetCommitKey>();
  ExpectRoundTripAllVersions<OffsetCommitValue>();
  ExpectRoundTripAllVersions<GroupMetadataKey>();
  ExpectRoundTripAllVersions<GroupMetadataValue>();
}

TEST(InternalRecordsTest, OffsetCommitValueV3IsClassic) {
  OffsetCommitValue value;
  value.offset = Offset{5};
  value.leader_epoch = LeaderEpoch{2};
  value.metadata = "m";
  value.commit_timestamp = 7;
  value.expire_timestamp = 99;  // only in v1: skipped
  Writer w;
  value.Encode(w, 3);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 1, 'm',
                                0, 0, 0, 0, 0, 0, 0, 7}));
}

TEST(InternalRecordsTest, OffsetCommitValueV4IsFlexible) {
  OffsetCommitValue value;
  value.offset = Offset{5};
  value.metadata = "m";
  Writer w;
  value.Encode(w, 4);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 2, 'm',
                                0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(InternalRecordsTest, OffsetCommitKeyLayout) {
  OffsetCommitKey key{"g", "t", PartitionId{3}, {}};
  Writer w;
  key.Encode(w, 1);
  EXPECT_EQ(w.Flatten(), (Bytes{0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
}

}  // namespace
}  // namespace keel::protocol
