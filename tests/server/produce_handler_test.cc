// Produce and compression codecs across versions (KIP-110), through the real
// Dispatcher and handlers on SimFileSystem: Kafka refuses a zstd-compressed
// batch sent with Produce older than v7 (ProduceRequest.validateRecords),
// per partition, with UNSUPPORTED_COMPRESSION_TYPE, and appends nothing.
#include <string>
#include <vector>

#include "handler_fixture.h"
#include "keel/common/compression.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/produce.h"

namespace keel::server {
namespace {

using protocol::ErrorCode;

class ProduceHandlerTest : public testing::HandlerFixture {
 protected:
  void SetUp() override {
    HandlerFixture::SetUp();
    ASSERT_TRUE(partitions_->CreateTopic("t", 2, {}).ok());
  }

  static std::vector<uint8_t> Batch(Compression codec) {
    BatchHeader h;
    h.base_timestamp = 1700000000000;
    static const std::string value(300, 'v');
    RecordInput rec;
    rec.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
    std::vector<RecordInput> records(2, rec);
    records[1].offset_delta = 1;
    return BuildRecordBatch(h, records, codec);
  }

  struct Result {
    int16_t error = -1;
    int64_t base_offset = -1;
  };

  // One Produce with `batches[i]` for partition i.
  std::vector<Result> Produce(const std::vector<std::vector<uint8_t>>& batches, int16_t version) {
    protocol::ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 10000;
    auto& t = req.topic_data.emplace_back();
    t.name = "t";
    for (size_t i = 0; i < batches.size(); ++i) {
      auto& p = t.partition_data.emplace_back();
      p.index = PartitionId(int32_t(i));
      p.records = protocol::RecordsRef{batches[i]};
    }
    auto resp = Call<protocol::ProduceResponse>(req, version);
    std::vector<Result> out;
    if (resp.responses.size() != 1 || resp.responses[0].partition_responses.size() != batches.size()) {
      ADD_FAILURE() << "malformed produce response";
      return out;
    }
    for (const auto& p : resp.responses[0].partition_responses) out.push_back({p.error_code, p.base_offset.value});
    return out;
  }

  int64_t LogEnd(int partition) {
    return partitions_->GetLog(TopicPartition{"t", PartitionId(partition)})->log_end_offset().value;
  }
};

TEST_F(ProduceHandlerTest, ZstdBeforeV7IsRefusedPerPartitionAndNotAppended) {
  for (int16_t version : {3, 5, 6}) {
    auto r = Produce({Batch(Compression::kZstd), Batch(Compression::kLz4)}, version);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].error, int16_t(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE)) << "v" << version;
    EXPECT_EQ(r[0].base_offset, -1);
    EXPECT_EQ(r[1].error, int16_t(ErrorCode::NONE)) << "the other partition is unaffected, v" << version;
  }
  EXPECT_EQ(LogEnd(0), 0) << "no zstd batch was appended";
  EXPECT_EQ(LogEnd(1), 6);
}

TEST_F(ProduceHandlerTest, ZstdFromV7IsAccepted) {
  for (int16_t version : {7, 8}) {
    auto r = Produce({Batch(Compression::kZstd)}, version);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].error, int16_t(ErrorCode::NONE)) << "v" << version;
  }
  EXPECT_EQ(LogEnd(0), 4);
}

TEST_F(ProduceHandlerTest, OtherCodecsAreAcceptedBeforeV7) {
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4}) {
    auto r = Produce({Batch(codec)}, 3);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].error, int16_t(ErrorCode::NONE)) << CompressionName(codec);
  }
}

TEST_F(ProduceHandlerTest, ZstdBatchAfterAnUncompressedOneIsRefusedBeforeV7) {
  std::vector<uint8_t> both = Batch(Compression::kNone);
  std::vector<uint8_t> zstd = Batch(Compression::kZstd);
  both.insert(both.end(), zstd.begin(), zstd.end());
  auto r = Produce({both}, 6);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error, int16_t(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE));
  EXPECT_EQ(LogEnd(0), 0) << "nothing of the partition's records is appended";
}

}  // namespace
}  // namespace keel::server
