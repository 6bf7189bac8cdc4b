// Request versions that older clients still in distributions send by default,
// over a raw socket against the real broker: OffsetCommit v1 (sarama 1.22,
// Debian's, commits with it unless Consumer.Offsets.Retention is set) and
// OffsetFetch v1. Kafka 3.x serves both; Keel must too.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "broker_process.h"
#include "gtest/gtest.h"
#include "kafka_wire.h"
#include "rdkafka_client.h"
#include "test_macros.h"

namespace keel::integration {
namespace {

using std::chrono::seconds;

constexpr int16_t kOffsetCommit = 8;
constexpr int16_t kOffsetFetch = 9;

class OldClientVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(broker_.Start());
    ASSERT_OK_AND_ASSIGN(auto admin, Admin::Create(broker_.bootstrap()));
    ASSERT_OK_AND_ASSIGN(auto err, admin->CreateTopic("t1", 2));
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // OffsetCommit v1: group, generation, member, [topic [partition offset
  // commit_timestamp metadata]]. Returns the per-partition error codes.
  std::vector<int16_t> CommitV1(RawConnection& conn, int32_t generation, const std::string& member,
                                std::vector<std::pair<int32_t, int64_t>> offsets) {
    WireWriter body;
    body.String("g-v1").Int32(generation).String(member);
    body.Int32(1).String("t1").Int32(int32_t(offsets.size()));
    for (auto [p, off] : offsets) body.Int32(p).Int64(off).Int64(-1).String("meta-v1");
    auto req = EncodeRequest(kOffsetCommit, 1, 7, false, body.data());
    EXPECT_TRUE(conn.Send(req).ok());
    auto frame = conn.ReadFrame(seconds(15));
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (!frame.ok()) return {};
    WireReader r(*frame);
    EXPECT_EQ(r.Int32(), 7);   // correlation id
    EXPECT_EQ(r.Int32(), 1);   // topics
    EXPECT_EQ(r.NullableString(), "t1");
    int32_t n = r.Int32();
    std::vector<int16_t> errors;
    for (int32_t i = 0; i < n; ++i) {
      r.Int32();  // partition
      errors.push_back(r.Int16());
    }
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    return errors;
  }

  BrokerProcess broker_;
};

TEST_F(OldClientVersionsTest, OffsetCommitV1IsStoredAndFetchedWithV1) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, RawConnection::Connect(broker_.port()));
  // A standalone commit (generation -1, no member): what sarama's offset
  // manager sends for a partition consumer.
  EXPECT_EQ(CommitV1(conn, -1, "", {{0, 42}, {1, 7}}), (std::vector<int16_t>{0, 0}));
  // A generation for a group that has none is refused as Kafka does.
  EXPECT_EQ(CommitV1(conn, 5, "nobody", {{0, 99}}), (std::vector<int16_t>{25}));  // UNKNOWN_MEMBER_ID

  // OffsetFetch v1: group, [topic [partition]].
  WireWriter body;
  body.String("g-v1").Int32(1).String("t1").Int32(2).Int32(0).Int32(1);
  ASSERT_OK(conn.Send(EncodeRequest(kOffsetFetch, 1, 8, false, body.data())));
  ASSERT_OK_AND_ASSIGN(auto frame, conn.ReadFrame(seconds(15)));
  WireReader r(frame);
  EXPECT_EQ(r.Int32(), 8);
  EXPECT_EQ(r.Int32(), 1);
  EXPECT_EQ(r.NullableString(), "t1");
  ASSERT_EQ(r.Int32(), 2);
  std::map<int32_t, int64_t> got;
  for (int i = 0; i < 2; ++i) {
    int32_t p = r.Int32();
    got[p] = r.Int64();
    EXPECT_EQ(r.NullableString(), "meta-v1");
    EXPECT_EQ(r.Int16(), 0);
  }
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(got, (std::map<int32_t, int64_t>{{0, 42}, {1, 7}}));
}

}  // namespace
}  // namespace keel::integration
