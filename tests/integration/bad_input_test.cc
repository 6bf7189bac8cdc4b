// Malformed and unsupported requests over a raw socket. After each one the
// broker process must still be alive and a second connection must still be
// served (ApiVersions v0 + Metadata v1).
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker_process.h"
#include "gtest/gtest.h"
#include "kafka_wire.h"
#include "test_macros.h"
#include "testutil/batch_builder.h"

namespace keel::integration {
namespace {

using std::chrono::seconds;

constexpr int16_t kProduce = 0;
constexpr int16_t kMetadata = 3;
constexpr int16_t kApiVersions = 18;
constexpr int16_t kCorruptMessage = 2;
constexpr int16_t kUnsupportedVersion = 35;

// Peak virtual memory of `pid` in KiB (VmPeak), or -1.
int64_t VmPeakKib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmPeak:", 0) == 0) {
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits += c;
      }
      int64_t v = -1;
      if (absl::SimpleAtoi(digits, &v)) return v;
    }
  }
  return -1;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(broker_.Start()); }

  absl::StatusOr<RawConnection> Connect() { return RawConnection::Connect(broker_.port()); }

  // The broker survived: process alive and a fresh connection is served.
  void ExpectBrokerStillServes() {
    EXPECT_TRUE(broker_.Alive()) << "keel died";
    EXPECT_OK_STATUS(CheckBrokerServes(broker_.port()));
  }
  static void EXPECT_OK_STATUS(const absl::Status& st) { EXPECT_TRUE(st.ok()) << st; }

  // Either the broker closed the connection, or it answered with a frame that
  // carries our correlation id. Hanging is a failure.
  void ExpectClosedOrAnswered(RawConnection& conn, int32_t correlation_id) {
    auto frame = conn.ReadFrame(seconds(10));
    if (!frame.ok()) {
      EXPECT_TRUE(absl::IsUnavailable(frame.status()))
          << "neither an answer nor a close: " << frame.status();
      return;
    }
    WireReader r(*frame);
    EXPECT_EQ(r.Int32(), correlation_id);
  }

  BrokerProcess broker_{BrokerSettings{{"auto.create.topics.enable", "true"}}};
};

TEST_F(BadInputTest, GarbageFrameClosesConnection) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  std::vector<uint8_t> frame = {0, 0, 0, 64};
  frame.resize(4 + 64, 0xAB);
  ASSERT_OK(conn.Send(frame));
  EXPECT_TRUE(conn.WaitForClose(seconds(10))) << "connection left open after a garbage frame";
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, TruncatedFrameThenCloseLeavesBrokerServing) {
  {
    ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
    WireWriter body;
    body.Int32(-1);
    std::vector<uint8_t> req = EncodeRequest(kMetadata, 1, 7, false, body.data());
    req.resize(req.size() - 3);  // the size prefix promises 3 more bytes
    ASSERT_OK(conn.Send(req));
  }  // closed mid-frame
  {
    ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
    const std::vector<uint8_t> partial = {0, 0, 0, 100, 0, kApiVersions};
    ASSERT_OK(conn.Send(partial));
    conn.ShutdownWrite();
    EXPECT_TRUE(conn.WaitForClose(seconds(10))) << "half-closed connection never closed";
  }
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, HugeSizePrefixClosesConnectionWithoutAllocating) {
  const int64_t peak_before = VmPeakKib(broker_.pid());
  ASSERT_GT(peak_before, 0);
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  // 0x7fffffff bytes announced, followed by a plausible ApiVersions header.
  std::vector<uint8_t> req = EncodeRequest(kApiVersions, 0, 1, false, {});
  req[0] = 0x7f;
  req[1] = req[2] = req[3] = 0xff;
  ASSERT_OK(conn.Send(req));
  EXPECT_TRUE(conn.WaitForClose(seconds(10)))
      << "a 2 GiB size prefix must close the connection (socket.request.max.bytes)";
  const int64_t peak_after = VmPeakKib(broker_.pid());
  EXPECT_LT(peak_after - peak_before, 512 * 1024)
      << "VmPeak grew from " << peak_before << " KiB to " << peak_after << " KiB";
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, NegativeSizePrefixClosesConnection) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  const std::vector<uint8_t> req = {0x80, 0, 0, 0, 0, kApiVersions, 0, 0};
  ASSERT_OK(conn.Send(req));
  EXPECT_TRUE(conn.WaitForClose(seconds(10)));
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, UnknownApiKeyIsRejected) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  ASSERT_OK(conn.Send(EncodeRequest(/*api_key=*/9999, 0, 42, false, {})));
  ExpectClosedOrAnswered(conn, 42);
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, UnsupportedApiVersionsVersionGetsV0ErrorResponseWithApiList) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  WireWriter body;  // what a future client might send: compact strings + tags
  body.CompactString("keel-integration").CompactString("9.9").UVarint(0);
  ASSERT_OK(conn.Send(EncodeRequest(kApiVersions, 32000, 77, true, body.data())));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> frame, conn.ReadFrame(seconds(10)));
  ASSERT_OK_AND_ASSIGN(ApiVersionsResult res, ParseApiVersionsV0(frame));
  EXPECT_EQ(res.correlation_id, 77);
  EXPECT_EQ(res.error_code, kUnsupportedVersion);
  ASSERT_TRUE(res.apis.count(kApiVersions)) << "ApiVersions missing from the api list";
  EXPECT_EQ(res.apis[kApiVersions].min, 0);
  EXPECT_GE(res.apis[kApiVersions].max, 3);
  EXPECT_TRUE(res.apis.count(kProduce));
  EXPECT_TRUE(res.apis.count(kMetadata));
  // The same connection stays usable: the client retries with a version it knows.
  ASSERT_OK_AND_ASSIGN(ApiVersionsResult retry, RequestApiVersionsV0(conn, 78));
  EXPECT_EQ(retry.error_code, 0);
  ExpectBrokerStillServes();
}

TEST_F(BadInputTest, ApiVersionsV3ResponseUsesHeaderV0) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  WireWriter body;
  body.CompactString("keel-integration").CompactString("1.0").UVarint(0);
  ASSERT_OK(conn.Send(EncodeRequest(kApiVersions, 3, 5, true, body.data())));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> frame, conn.ReadFrame(seconds(10)));
  WireReader r(frame);
  EXPECT_EQ(r.Int32(), 5);
  // No tagged-field byte after the correlation id: the error code follows.
  EXPECT_EQ(r.Int16(), 0);
  const uint64_t n = r.UVarint();
  ASSERT_GT(n, 1u);
  bool has_api_versions = false;
  for (uint64_t i = 0; i + 1 < n && r.ok(); ++i) {
    const int16_t key = r.Int16();
    const int16_t min = r.Int16();
    const int16_t max = r.Int16();
    EXPECT_LE(min, max) << "api key " << key;
    has_api_versions |= key == kApiVersions && max >= 3;
    const uint64_t tags = r.UVarint();
    for (uint64_t t = 0; t < tags && r.ok(); ++t) {
      r.UVarint();
      r.Skip(r.UVarint());
    }
  }
  r.Int32();  // throttle_time_ms
  const uint64_t tags = r.UVarint();
  for (uint64_t t = 0; t < tags && r.ok(); ++t) {
    r.UVarint();
    r.Skip(r.UVarint());
  }
  ASSERT_TRUE(r.ok()) << "truncated ApiVersions v3 response";
  EXPECT_EQ(r.remaining(), 0u) << "trailing bytes in ApiVersions v3 response";
  EXPECT_TRUE(has_api_versions);
}

TEST_F(BadInputTest, UnsupportedVersionOfAnotherApiIsRejected) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  WireWriter body;
  body.UVarint(0).UVarint(0);
  ASSERT_OK(conn.Send(EncodeRequest(kMetadata, 999, 43, true, body.data())));
  ExpectClosedOrAnswered(conn, 43);
  ExpectBrokerStillServes();
}

// Produce through the raw socket: needs a topic, auto-created through Metadata
// (v4 with allow_auto_topic_creation=true when supported), and a Produce
// version in [3, 8].
class RawProduceTest : public BadInputTest {
 protected:
  void SetUp() override {
    BadInputTest::SetUp();
    ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
    ASSERT_OK_AND_ASSIGN(ApiVersionsResult versions, RequestApiVersionsV0(conn, 1));
    ASSERT_TRUE(versions.apis.count(kProduce));
    produce_version_ = std::min<int16_t>(versions.apis[kProduce].max, 8);
    ASSERT_GE(produce_version_, 3) << "Produce v3+ (record batch v2) not supported";
    ASSERT_TRUE(versions.apis.count(kMetadata));
    // v4 carries allow_auto_topic_creation; v1 relies on the broker default.
    metadata_version_ = versions.apis[kMetadata].max >= 4 ? 4 : 1;
    ASSERT_NO_FATAL_FAILURE(AutoCreateTopic(conn));
  }

  void AutoCreateTopic(RawConnection& conn) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    int16_t topic_error = -1;
    int32_t partitions = 0;
    for (int32_t corr = 100; std::chrono::steady_clock::now() < deadline; ++corr) {
      WireWriter body;
      body.Int32(1).String(kTopic);             // topics=[kTopic]
      if (metadata_version_ >= 4) body.Int8(1);  // allow_auto_topic_creation
      ASSERT_OK(conn.Send(EncodeRequest(kMetadata, metadata_version_, corr, false, body.data())));
      ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> frame, conn.ReadFrame(seconds(10)));
      WireReader r(frame);
      ASSERT_EQ(r.Int32(), corr);
      if (metadata_version_ >= 3) r.Int32();  // throttle
      const int32_t brokers = r.Int32();
      for (int32_t i = 0; i < brokers && r.ok(); ++i) {
        r.Int32();
        r.NullableString();
        r.Int32();
        r.NullableString();
      }
      if (metadata_version_ >= 2) r.NullableString();  // cluster id
      r.Int32();                                       // controller id
      ASSERT_EQ(r.Int32(), 1) << "Metadata should return exactly the requested topic";
      topic_error = r.Int16();
      EXPECT_EQ(r.NullableString(), kTopic);
      r.Int8();  // is_internal
      partitions = r.Int32();
      ASSERT_TRUE(r.ok()) << "malformed Metadata v" << metadata_version_ << " response";
      if (topic_error == 0 && partitions > 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "topic not auto-created: last error " << topic_error << ", partitions "
           << partitions;
  }

  struct ProduceResult {
    int16_t error_code = -1;
    int64_t base_offset = -1;
  };

  absl::StatusOr<ProduceResult> Produce(RawConnection& conn, int32_t corr,
                                        const std::vector<uint8_t>& batch) {
    WireWriter body;
    body.NullString()  // transactional_id
        .Int16(-1)     // acks=all
        .Int32(10000)  // timeout_ms
        .Int32(1)
        .String(kTopic)
        .Int32(1)
        .Int32(0)  // partition
        .Bytes(batch);
    absl::Status st = conn.Send(EncodeRequest(kProduce, produce_version_, corr, false, body.data()));
    if (!st.ok()) return st;
    auto frame = conn.ReadFrame(seconds(15));
    if (!frame.ok()) return frame.status();
    WireReader r(*frame);
    if (r.Int32() != corr) return absl::DataLossError("wrong correlation id");
    if (r.Int32() != 1 || r.NullableString() != kTopic || r.Int32() != 1 || r.Int32() != 0) {
      return absl::DataLossError("unexpected Produce response layout");
    }
    ProduceResult out;
    out.error_code = r.Int16();
    out.base_offset = r.Int64();
    if (!r.ok()) return absl::DataLossError("truncated Produce response");
    return out;
  }

  static constexpr const char* kTopic = "raw-produce";
  int16_t produce_version_ = 0;
  int16_t metadata_version_ = 0;
};

TEST_F(RawProduceTest, CorruptCrcIsRejectedWithCorruptMessage) {
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(3, 32, 9);
  batch[batch.size() - 5] ^= 0x55;  // inside the last record: CRC no longer matches
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  ASSERT_OK_AND_ASSIGN(ProduceResult bad, Produce(conn, 500, batch));
  EXPECT_EQ(bad.error_code, kCorruptMessage) << "Produce v" << produce_version_;

  // Nothing was appended: the next valid batch lands at offset 0.
  ASSERT_OK_AND_ASSIGN(RawConnection conn2, Connect());
  ASSERT_OK_AND_ASSIGN(ProduceResult good,
                       Produce(conn2, 501, testutil::BuildSimpleBatch(3, 32, 9)));
  EXPECT_EQ(good.error_code, 0);
  EXPECT_EQ(good.base_offset, 0);
  ExpectBrokerStillServes();
}

TEST_F(RawProduceTest, ValidBatchIsAssignedConsecutiveOffsets) {
  ASSERT_OK_AND_ASSIGN(RawConnection conn, Connect());
  ASSERT_OK_AND_ASSIGN(ProduceResult first, Produce(conn, 600, testutil::BuildSimpleBatch(4, 10)));
  ASSERT_EQ(first.error_code, 0);
  EXPECT_EQ(first.base_offset, 0);
  ASSERT_OK_AND_ASSIGN(ProduceResult second, Produce(conn, 601, testutil::BuildSimpleBatch(2, 10)));
  ASSERT_EQ(second.error_code, 0);
  EXPECT_EQ(second.base_offset, 4);
}

}  // namespace
}  // namespace keel::integration
