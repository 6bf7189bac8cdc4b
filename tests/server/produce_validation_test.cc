// ValidateProduceRecords against batches built the way each client family
// builds them (header fields as their encoders write them, read from their
// sources), and against what Kafka's broker accepts, refuses and rewrites
// (docs/storage-format.md, "What Produce accepts").
#include "produce_validation.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "keel/common/coding.h"
#include "keel/common/crc32c.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace keel::server {
namespace {

using Bytes = std::vector<uint8_t>;
using protocol::ErrorCode;
namespace bo = batch_offsets;

constexpr int64_t kT = 1700000000000;

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The header fields a client writes, and its records' timestamps.
struct ClientBatch {
  Compression codec = Compression::kNone;
  int64_t base_timestamp = kT;
  int64_t max_timestamp = kT;  // as the client writes it
  std::vector<int64_t> timestamps = {kT, kT + 1, kT + 2};
  std::vector<int32_t> offset_deltas;  // default 0..n-1
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int16_t extra_attributes = 0;
};

// Encodes `c`: records keyed "k<i>" with value "v<i>" and one header, the
// header exactly as given, CRC computed over it.
Bytes Encode(const ClientBatch& c) {
  std::vector<std::unique_ptr<std::string>> keep;
  auto bytes = [&](std::string s) {
    keep.push_back(std::make_unique<std::string>(std::move(s)));
    return AsSpan(*keep.back());
  };
  std::vector<RecordInput> records;
  for (size_t i = 0; i < c.timestamps.size(); ++i) {
    RecordInput r;
    r.offset_delta = c.offset_deltas.empty() ? int32_t(i) : c.offset_deltas[i];
    r.timestamp_delta = c.timestamps[i] - c.base_timestamp;
    r.key = bytes("k" + std::to_string(i));
    r.value = bytes("v" + std::to_string(i));
    r.headers.push_back(HeaderView{bytes("trace"), bytes("t" + std::to_string(i))});
    records.push_back(r);
  }
  BatchHeader t;
  t.base_timestamp = c.base_timestamp;
  t.producer_id = c.producer_id;
  t.producer_epoch = c.producer_epoch;
  t.base_sequence = c.base_sequence;
  Bytes b = BuildRecordBatch(t, records, c.codec);
  uint8_t* p = b.data();
  coding::StoreBE16(p + bo::kAttributes, uint16_t(int16_t(c.codec) | c.extra_attributes));
  coding::StoreBE32(p + bo::kLastOffsetDelta, uint32_t(c.timestamps.size() - 1));
  coding::StoreBE64(p + bo::kMaxTimestamp, uint64_t(c.max_timestamp));
  coding::StoreBE32(p + bo::kCrc, crc32c::Extend(0, p + kBatchCrcStart, b.size() - kBatchCrcStart));
  return b;
}

ProduceTopicRules CreateTime() { return {}; }
ProduceTopicRules LogAppendTime() { return {.log_append_time = true}; }

std::vector<int32_t> OffsetDeltas(std::span<const uint8_t> batch) {
  std::vector<int32_t> out;
  absl::Status s = ForEachRecord(batch, [&](const RecordView& r) {
    out.push_back(r.offset_delta);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The records section after the header: what must never change when only
// the header is fixed.
Bytes RecordsSection(const Bytes& b) { return Bytes(b.begin() + kBatchHeaderSize, b.end()); }

const Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                  Compression::kLz4, Compression::kZstd};

// sarama (1.22 and later) never sets RecordBatch.MaxTimestamp, so it encodes
// the zero time.Time as -1; FirstTimestamp is the first message's time;
// producer id and epoch -1, FirstSequence 0 when not idempotent. Kafka takes
// the maximum from the records and stores that.
TEST(ProduceValidation, SaramaMaxTimestampMinusOneIsAcceptedAndStoredAsTheRecordsMaximum) {
  for (Compression codec : kAllCodecs) {
    ClientBatch c{.codec = codec, .max_timestamp = -1, .producer_epoch = -1, .base_sequence = 0};
    Bytes b = Encode(c);
    const Bytes records_before = RecordsSection(b);
    ProduceValidation v = ValidateProduceRecords(b, CreateTime());
    ASSERT_EQ(v.error, ErrorCode::NONE) << int(codec) << ": " << v.message;
    EXPECT_EQ(v.max_timestamps_rewritten, 1);
    EXPECT_TRUE(v.rebuilt.empty());
    auto h = ValidateBatch(b);  // the CRC was recomputed
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->max_timestamp, kT + 2);
    EXPECT_FALSE(h->log_append_time());
    EXPECT_EQ(h->compression(), codec);
    EXPECT_EQ(RecordsSection(b), records_before);
  }
}

// Timestamps a sarama/Java/librdkafka application supplies need not be in
// order: deltas from the first record can be negative, and the maximum is
// not the last one.
TEST(ProduceValidation, OutOfOrderUserTimestampsGiveTheirMaximum) {
  ClientBatch c{.base_timestamp = kT + 5, .max_timestamp = -1,
                .timestamps = {kT + 5, kT, kT + 9, kT + 1}};
  Bytes b = Encode(c);
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_EQ(ParseBatchHeader(b)->max_timestamp, kT + 9);
}

// librdkafka and the Java producer (and kafka-python, which copies it) write
// baseTimestamp = first record, maxTimestamp = the real maximum: nothing is
// rewritten, the bytes stay exactly as sent.
TEST(ProduceValidation, LibrdkafkaAndJavaBatchesAreStoredByteForByte) {
  for (Compression codec : kAllCodecs) {
    ClientBatch c{.codec = codec, .base_timestamp = kT + 3, .max_timestamp = kT + 3,
                  .timestamps = {kT + 3, kT + 1, kT + 2}};
    Bytes b = Encode(c);
    const Bytes sent = b;
    ProduceValidation v = ValidateProduceRecords(b, CreateTime());
    ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
    EXPECT_EQ(v.max_timestamps_rewritten, 0);
    EXPECT_EQ(b, sent);
  }
  // An idempotent librdkafka/Java batch.
  ClientBatch idem{.max_timestamp = kT + 2, .producer_id = 7, .producer_epoch = 0,
                   .base_sequence = 42};
  Bytes b = Encode(idem);
  const Bytes sent = b;
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_TRUE(v.has_producer_id);
  EXPECT_EQ(b, sent);
}

// kafkajs writes firstTimestamp = the smallest message timestamp (not the
// first record's), maxTimestamp = the largest, and producerEpoch 0 /
// firstSequence 0 even without a producer id.
TEST(ProduceValidation, KafkajsBatchIsStoredByteForByte) {
  ClientBatch c{.codec = Compression::kGzip, .base_timestamp = kT, .max_timestamp = kT + 8,
                .timestamps = {kT + 4, kT, kT + 8}, .producer_epoch = 0, .base_sequence = 0};
  Bytes b = Encode(c);
  const Bytes sent = b;
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_FALSE(v.has_producer_id);
  EXPECT_EQ(b, sent);
}

// A header maximum above every record (a stale or made-up value) is lowered
// too: Kafka keeps no trust in the field in either direction.
TEST(ProduceValidation, MaxTimestampAboveTheRecordsIsLowered) {
  Bytes b = Encode({.max_timestamp = kT + 1000000});
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_EQ(ParseBatchHeader(b)->max_timestamp, kT + 2);
  EXPECT_TRUE(ValidateBatch(b).ok());
}

// Negative record timestamps are accepted (no timestamp limit is configured
// by default); the stored maximum never goes below -1 ("no timestamp").
TEST(ProduceValidation, NegativeRecordTimestampsAreAcceptedWithMaximumMinusOne) {
  Bytes b = Encode({.base_timestamp = -1, .max_timestamp = -1, .timestamps = {-1, -7, -3}});
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_EQ(v.max_timestamps_rewritten, 0);
  EXPECT_EQ(ParseBatchHeader(b)->max_timestamp, -1);
}

// On a LogAppendTime topic the header's time is the log's to set when it
// appends (Log::Append): validation leaves it alone, whatever the client
// wrote there.
TEST(ProduceValidation, LogAppendTimeTopicLeavesTheTimeToTheLog) {
  Bytes b = Encode({.codec = Compression::kSnappy, .max_timestamp = -1});
  const Bytes sent = b;
  ProduceValidation v = ValidateProduceRecords(b, LogAppendTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  EXPECT_EQ(b, sent);
}

// The timestamp-type bit is the broker's: Kafka refuses it from a producer
// on a LogAppendTime topic, and on a CreateTime topic when maxTimestamp is
// -1 (INVALID_TIMESTAMP).
TEST(ProduceValidation, ProducerSetLogAppendTimeBitIsRefusedWhereKafkaRefusesIt) {
  Bytes on_lat = Encode({.extra_attributes = batch_attr::kLogAppendTime});
  EXPECT_EQ(ValidateProduceRecords(on_lat, LogAppendTime()).error, ErrorCode::INVALID_TIMESTAMP);
  Bytes no_time = Encode({.max_timestamp = -1, .extra_attributes = batch_attr::kLogAppendTime});
  EXPECT_EQ(ValidateProduceRecords(no_time, CreateTime()).error, ErrorCode::INVALID_TIMESTAMP);
}

// ... but accepts it on a CreateTime topic when maxTimestamp carries a time.
// Keel stores a CreateTime batch whose maximum is the records' own.
TEST(ProduceValidation, ProducerSetLogAppendTimeBitOnCreateTimeTopicBecomesCreateTime) {
  Bytes b = Encode({.max_timestamp = kT - 50, .extra_attributes = batch_attr::kLogAppendTime});
  ProduceValidation v = ValidateProduceRecords(b, CreateTime());
  ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
  auto h = ValidateBatch(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->log_append_time());
  EXPECT_EQ(h->max_timestamp, kT + 2);
}

// Kafka does not check record offset deltas (it assigns offsets itself);
// Keel renumbers such a batch so its stored offsets are contiguous. The
// other batches of the same partition data are kept, in order.
TEST(ProduceValidation, NonSequentialOffsetDeltasAreRenumbered) {
  for (Compression codec : {Compression::kNone, Compression::kLz4}) {
    Bytes first = Encode({.codec = codec, .max_timestamp = kT + 2});
    Bytes odd = Encode({.codec = codec, .max_timestamp = -1, .offset_deltas = {0, 0, 0}});
    Bytes data = first;
    data.insert(data.end(), odd.begin(), odd.end());
    ProduceValidation v = ValidateProduceRecords(data, CreateTime());
    ASSERT_EQ(v.error, ErrorCode::NONE) << v.message;
    EXPECT_EQ(v.batch_count, 2);
    ASSERT_FALSE(v.rebuilt.empty());
    auto n1 = NextBatchSize(v.rebuilt);
    ASSERT_TRUE(n1.ok());
    ASSERT_EQ(*n1, first.size());
    EXPECT_TRUE(std::equal(first.begin(), first.end(), v.rebuilt.begin()));
    std::span<const uint8_t> second = std::span<const uint8_t>(v.rebuilt).subspan(*n1);
    auto h = ValidateBatch(second);
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->max_timestamp, kT + 2);
    EXPECT_EQ(h->compression(), codec);
    EXPECT_EQ(OffsetDeltas(second), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_TRUE(ValidateRecords(second).ok());
  }
}

// What Kafka refuses, with Kafka's codes.
TEST(ProduceValidation, RefusalsUseKafkasErrorCodes) {
  Bytes bad_crc = Encode({});
  bad_crc.back() ^= 1;
  EXPECT_EQ(ValidateProduceRecords(bad_crc, CreateTime()).error, ErrorCode::CORRUPT_MESSAGE);

  Bytes count_mismatch = Encode({});
  coding::StoreBE32(count_mismatch.data() + bo::kLastOffsetDelta, 5);
  coding::StoreBE32(count_mismatch.data() + bo::kCrc,
                    crc32c::Extend(0, count_mismatch.data() + kBatchCrcStart,
                                   count_mismatch.size() - kBatchCrcStart));
  EXPECT_EQ(ValidateProduceRecords(count_mismatch, CreateTime()).error, ErrorCode::INVALID_RECORD);

  Bytes control = Encode({.producer_id = 1, .producer_epoch = 0, .base_sequence = 0,
                          .extra_attributes = batch_attr::kControl});
  EXPECT_EQ(ValidateProduceRecords(control, CreateTime()).error, ErrorCode::INVALID_RECORD);

  Bytes no_sequence = Encode({.producer_id = 1, .producer_epoch = 0, .base_sequence = -1});
  EXPECT_EQ(ValidateProduceRecords(no_sequence, CreateTime()).error, ErrorCode::INVALID_RECORD);

  Bytes keyed = Encode({});  // every record has a key: fine on a compacted topic
  EXPECT_EQ(ValidateProduceRecords(keyed, {.require_keys = true}).error, ErrorCode::NONE);

  Bytes big = Encode({});
  EXPECT_EQ(ValidateProduceRecords(big, {.max_message_bytes = int64_t(big.size()) - 1}).error,
            ErrorCode::MESSAGE_TOO_LARGE);
}

}  // namespace
}  // namespace keel::server
