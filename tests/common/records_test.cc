#include "keel/common/records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/crc32c.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

using Bytes = std::vector<uint8_t>;
namespace bo = batch_offsets;

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::optional<std::string> ToString(const std::optional<std::span<const uint8_t>>& b) {
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

// A decoded record, copied out of its callback.
struct Decoded {
  int64_t timestamp_delta;
  int32_t offset_delta;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

absl::StatusOr<std::vector<Decoded>> DecodeAll(std::span<const uint8_t> batch,
                                               size_t max = kDefaultMaxDecompressedRecords) {
  std::vector<Decoded> out;
  absl::Status s = ForEachRecord(
      batch,
      [&](const RecordView& r) {
        Decoded d{r.timestamp_delta, r.offset_delta, ToString(r.key), ToString(r.value), {}};
        for (const HeaderView& h : r.headers) {
          d.headers.emplace_back(std::string(h.key.begin(), h.key.end()), ToString(h.value));
        }
        out.push_back(std::move(d));
        return absl::OkStatus();
      },
      max);
  if (!s.ok()) return s;
  return out;
}

BatchHeader Template() {
  BatchHeader t;
  t.base_timestamp = 1700000000000;
  return t;
}

// Owns the bytes that RecordInputs point at.
struct RecordSet {
  std::vector<std::unique_ptr<std::string>> storage;  // stable addresses
  std::vector<RecordInput> records;

  std::span<const uint8_t> Keep(std::string s) {
    storage.push_back(std::make_unique<std::string>(std::move(s)));
    return AsSpan(*storage.back());
  }
  void Add(int32_t offset_delta, int64_t ts_delta, std::optional<std::string> key,
           std::optional<std::string> value,
           std::vector<std::pair<std::string, std::optional<std::string>>> headers = {}) {
    RecordInput r;
    r.offset_delta = offset_delta;
    r.timestamp_delta = ts_delta;
    if (key) r.key = Keep(*key);
    if (value) r.value = Keep(*value);
    for (auto& [hk, hv] : headers) {
      HeaderView h;
      h.key = Keep(hk);
      if (hv) h.value = Keep(*hv);
      r.headers.push_back(h);
    }
    records.push_back(std::move(r));
  }
};

RecordSet MixedRecords() {
  RecordSet s;
  s.Add(0, 0, "k0", "v0");
  s.Add(1, 5, "k1", std::nullopt);                        // tombstone
  s.Add(2, 9, std::nullopt, "no key", {{"h", "x"}, {"trace", std::nullopt}});
  s.Add(3, 12, "", std::string(3000, 'z'), {{"", ""}});   // empty key and header
  return s;
}

// Wraps an arbitrary records section in a header with a valid CRC.
Bytes WithRecordsSection(std::span<const uint8_t> records, int32_t count, int16_t attributes = 0,
                         int32_t last_offset_delta = -1) {
  Bytes out(kBatchHeaderSize + records.size(), 0);
  std::copy(records.begin(), records.end(), out.begin() + kBatchHeaderSize);
  uint8_t* p = out.data();
  coding::StoreBE32(p + bo::kBatchLength, uint32_t(out.size() - kBatchLogOverhead));
  p[bo::kMagic] = 2;
  coding::StoreBE16(p + bo::kAttributes, uint16_t(attributes));
  coding::StoreBE32(p + bo::kLastOffsetDelta,
                    uint32_t(last_offset_delta >= 0 ? last_offset_delta : std::max(count - 1, 0)));
  coding::StoreBE64(p + bo::kBaseTimestamp, 1700000000000);
  coding::StoreBE64(p + bo::kMaxTimestamp, 1700000000000);
  coding::StoreBE64(p + bo::kProducerId, uint64_t(-1));
  coding::StoreBE16(p + bo::kProducerEpoch, uint16_t(-1));
  coding::StoreBE32(p + bo::kBaseSequence, uint32_t(-1));
  coding::StoreBE32(p + bo::kRecordsCount, uint32_t(count));
  coding::StoreBE32(p + bo::kCrc, crc32c::Extend(0, p + kBatchCrcStart, out.size() - kBatchCrcStart));
  return out;
}

std::span<const uint8_t> RecordsOf(const Bytes& batch) {
  return std::span<const uint8_t>(batch).subspan(kBatchHeaderSize);
}

void ExpectDataLoss(const absl::Status& s, std::string_view what) {
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << what << ": " << s;
}

TEST(RecordsTest, IteratesTestutilBatchWithKeysValuesNullsAndHeaders) {
  std::vector<testutil::TestRecord> in(3);
  in[0].key = "alpha";
  in[0].value = "one";
  in[0].headers = {{"h1", "v1"}, {"h2", ""}};
  in[1].key = "beta";  // null value: tombstone
  in[1].timestamp_delta = 7;
  in[2].value = "no key";
  in[2].timestamp_delta = 3;
  Bytes batch = testutil::BuildBatch(in);
  auto out = DecodeAll(batch);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].key, "alpha");
  EXPECT_EQ((*out)[0].value, "one");
  ASSERT_EQ((*out)[0].headers.size(), 2u);
  EXPECT_EQ((*out)[0].headers[0].first, "h1");
  EXPECT_EQ((*out)[0].headers[0].second, "v1");
  EXPECT_EQ((*out)[0].headers[1].second, "");
  EXPECT_EQ((*out)[1].key, "beta");
  EXPECT_FALSE((*out)[1].value.has_value());
  EXPECT_EQ((*out)[1].timestamp_delta, 7);
  EXPECT_EQ((*out)[1].offset_delta, 1);
  EXPECT_FALSE((*out)[2].key.has_value());
  EXPECT_EQ((*out)[2].value, "no key");
  EXPECT_EQ((*out)[2].offset_delta, 2);
  EXPECT_TRUE(ValidateRecords(batch).ok()) << ValidateRecords(batch);
}

TEST(RecordsTest, BuildRecordBatchUncompressedMatchesTestutilBytes) {
  // Two independent encoders must agree byte for byte.
  Bytes expected = testutil::BuildSimpleBatch(20, 100, 9);
  std::vector<Bytes> values;
  std::vector<std::string> keys;
  ASSERT_TRUE(ForEachRecord(expected, [&](const RecordView& r) {
                keys.emplace_back(r.key->begin(), r.key->end());
                values.emplace_back(r.value->begin(), r.value->end());
                return absl::OkStatus();
              }).ok());
  std::vector<RecordInput> in(20);
  for (int i = 0; i < 20; ++i) {
    in[i].offset_delta = i;
    in[i].timestamp_delta = i;
    in[i].key = AsSpan(keys[i]);
    in[i].value = std::span<const uint8_t>(values[i]);
  }
  EXPECT_EQ(BuildRecordBatch(Template(), in, Compression::kNone), expected);
}

class EveryCodecBatch : public ::testing::TestWithParam<Compression> {};

TEST_P(EveryCodecBatch, BuiltBatchIteratesAndValidates) {
  RecordSet s = MixedRecords();
  Bytes batch = BuildRecordBatch(Template(), s.records, GetParam());
  auto h = ValidateBatch(batch);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->compression(), GetParam());
  EXPECT_EQ(h->records_count, 4);
  EXPECT_EQ(h->last_offset_delta, 3);
  EXPECT_EQ(h->max_timestamp, 1700000000012);
  auto out = DecodeAll(batch);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[0].key, "k0");
  EXPECT_FALSE((*out)[1].value.has_value());
  EXPECT_FALSE((*out)[2].key.has_value());
  ASSERT_EQ((*out)[2].headers.size(), 2u);
  EXPECT_EQ((*out)[2].headers[0].second, "x");
  EXPECT_FALSE((*out)[2].headers[1].second.has_value());
  EXPECT_EQ((*out)[3].key, "");
  EXPECT_EQ((*out)[3].value, std::string(3000, 'z'));
  EXPECT_EQ((*out)[3].timestamp_delta, 12);
  EXPECT_TRUE(ValidateRecords(batch).ok()) << ValidateRecords(batch);
}

TEST_P(EveryCodecBatch, DecompressedRecordsOverLimitAreResourceExhausted) {
  RecordSet s;
  for (int i = 0; i < 64; ++i) s.Add(i, 0, "k", std::string(64 * 1024, 'a'));
  Bytes batch = BuildRecordBatch(Template(), s.records, GetParam());
  if (GetParam() == Compression::kNone) {
    // The limit bounds decompression only; plain records are already in memory.
    EXPECT_TRUE(DecodeAll(batch, 1 << 20).ok());
  } else {
    EXPECT_EQ(DecodeAll(batch, 1 << 20).status().code(), absl::StatusCode::kResourceExhausted);
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, EveryCodecBatch,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kSnappy, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST(RecordsTest, TruncatedRecordDataIsDataLoss) {
  Bytes good = testutil::BuildSimpleBatch(3, 20);
  auto records = RecordsOf(good);
  for (size_t cut = 1; cut < records.size(); cut += 5) {
    Bytes bad = WithRecordsSection(records.first(records.size() - cut), 3);
    ExpectDataLoss(DecodeAll(bad).status(), "cut " + std::to_string(cut));
  }
}

TEST(RecordsTest, RecordCountAboveActualIsDataLoss) {
  Bytes good = testutil::BuildSimpleBatch(3, 20);
  ExpectDataLoss(DecodeAll(WithRecordsSection(RecordsOf(good), 4)).status(), "count 4");
}

TEST(RecordsTest, RecordCountBelowActualLeavesTrailingBytes) {
  Bytes good = testutil::BuildSimpleBatch(3, 20);
  absl::Status s = DecodeAll(WithRecordsSection(RecordsOf(good), 2)).status();
  ExpectDataLoss(s, "count 2");
  EXPECT_NE(s.message().find("trailing"), std::string_view::npos) << s;
}

TEST(RecordsTest, HugeRecordCountFailsBeforeIterating) {
  Bytes good = testutil::BuildSimpleBatch(1, 10);
  ExpectDataLoss(DecodeAll(WithRecordsSection(RecordsOf(good), 1 << 30)).status(), "count 2^30");
}

TEST(RecordsTest, NegativeRecordCountIsDataLoss) {
  Bytes good = testutil::BuildSimpleBatch(1, 10);
  ExpectDataLoss(DecodeAll(WithRecordsSection(RecordsOf(good), -1)).status(), "count -1");
}

TEST(RecordsTest, RecordLengthLongerThanFieldsIsDataLoss) {
  // length 8, attributes, ts 0, offset 0, null key, value "a", 0 headers = 7
  // bytes of fields, plus one stray byte inside the record.
  Bytes rec = {16, 0, 0, 0, 1, 2, 'a', 0, 0xee};
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "stray byte");
  Bytes ok = {14, 0, 0, 0, 1, 2, 'a', 0};
  EXPECT_TRUE(DecodeAll(WithRecordsSection(ok, 1)).ok());
}

TEST(RecordsTest, RecordLengthShorterThanFieldsIsDataLoss) {
  Bytes rec = {12, 0, 0, 0, 1, 2, 'a', 0};  // says 6 bytes, fields need 7
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "short length");
}

TEST(RecordsTest, NegativeRecordLengthIsDataLoss) {
  Bytes rec = {3, 0, 0, 0, 1, 2, 'a', 0};  // zigzag 3 = -2
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "length -2");
}

TEST(RecordsTest, InvalidKeyLengthIsDataLoss) {
  Bytes rec = {14, 0, 0, 0, 3, 2, 'a', 0};  // key length -2
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "key length -2");
}

TEST(RecordsTest, ValueLengthPastRecordEndIsDataLoss) {
  Bytes rec = {14, 0, 0, 0, 1, 4, 'a', 0};  // value length 2, one byte left
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "value length 2");
}

TEST(RecordsTest, OverlongVarintIsDataLoss) {
  // offsetDelta encoded in 6 bytes (a varint32 has at most 5).
  Bytes rec = {24, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 1, 2, 'a', 0};
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "6-byte varint");
  // A 5-byte varint whose top bits overflow 32 bits.
  Bytes rec2 = {22, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 'a', 0};
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec2, 1)).status(), "varint32 overflow");
}

TEST(RecordsTest, NullHeaderKeyIsDataLoss) {
  Bytes rec = {18, 0, 0, 0, 1, 2, 'a', 2, 1, 1};  // 1 header, key null, value null
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "null header key");
}

TEST(RecordsTest, ImpossibleHeaderCountIsDataLoss) {
  Bytes rec = {16, 0, 0, 0, 1, 2, 'a', 0xfe, 0x0f};  // 1000 headers in 0 bytes
  ExpectDataLoss(DecodeAll(WithRecordsSection(rec, 1)).status(), "header count");
}

TEST(RecordsTest, BatchLengthMismatchIsDataLoss) {
  Bytes batch = testutil::BuildSimpleBatch(2, 10);
  batch.push_back(0);
  ExpectDataLoss(DecodeAll(batch).status(), "extra byte after batch");
}

TEST(RecordsTest, UnknownCodecInAttributesIsDataLoss) {
  Bytes good = testutil::BuildSimpleBatch(2, 10);
  ExpectDataLoss(DecodeAll(WithRecordsSection(RecordsOf(good), 2, 6)).status(), "codec 6");
}

TEST(RecordsTest, CorruptCompressedRecordsAreDataLoss) {
  Bytes good = testutil::BuildSimpleBatch(2, 10);
  ExpectDataLoss(DecodeAll(WithRecordsSection(RecordsOf(good), 2, int16_t(Compression::kZstd)))
                     .status(),
                 "uncompressed records labelled zstd");
}

TEST(RecordsTest, CallbackErrorStopsIteration) {
  Bytes batch = testutil::BuildSimpleBatch(5, 10);
  int calls = 0;
  absl::Status s = ForEachRecord(batch, [&](const RecordView&) {
    return ++calls == 2 ? absl::CancelledError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(s, absl::CancelledError("stop"));
  EXPECT_EQ(calls, 2);
}

TEST(RecordsTest, EmptyBatchIteratesNothingButIsNotAValidProducerBatch) {
  Bytes batch = WithRecordsSection({}, 0);
  auto out = DecodeAll(batch);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->empty());
  ExpectDataLoss(ValidateRecords(batch), "empty producer batch");
}

// The produce path computes the CRC once (ValidateBatch) and then runs only
// the record checks: those must still catch bad records, and must not
// recompute the CRC.
TEST(RecordsTest, CheckProducedRecordsChecksRecordsButNotTheCrc) {
  RecordSet good;
  good.Add(0, 0, "k", "v");
  good.Add(1, 0, "k", "v");
  Bytes batch = BuildRecordBatch(Template(), good.records, Compression::kNone);
  auto header = ValidateBatch(batch);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(CheckProducedRecords(batch, *header).ok());
  Bytes bad_crc = batch;
  bad_crc[batch_offsets::kCrc] ^= 0xFF;
  EXPECT_FALSE(ValidateRecords(bad_crc).ok());
  EXPECT_TRUE(CheckProducedRecords(bad_crc, *header).ok());

  Bytes truncated = testutil::BuildSimpleBatch(3, 10);
  Bytes short_records = WithRecordsSection(RecordsOf(truncated).first(RecordsOf(truncated).size() - 2), 3);
  ExpectDataLoss(CheckProducedRecords(short_records, *ParseBatchHeader(short_records)).status(),
                 "truncated record");
}

// A compacted topic refuses null keys in the same pass, compressed batches
// included; an empty key is a key.
TEST(RecordsTest, RequireKeysRefusesANullKeyByIndex) {
  RecordSet set;
  set.Add(0, 0, "k", "v");
  set.Add(1, 0, "", "v");
  set.Add(2, 0, std::nullopt, "v");
  for (Compression codec : {Compression::kNone, Compression::kLz4}) {
    Bytes batch = BuildRecordBatch(Template(), set.records, codec);
    auto header = ValidateBatch(batch);
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_TRUE(CheckProducedRecords(batch, *header).ok());
    absl::Status st = CheckProducedRecords(batch, *header, /*require_keys=*/true).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
    EXPECT_NE(st.message().find("without a key (record 2)"), std::string_view::npos) << st;
  }
  RecordSet keyed;
  keyed.Add(0, 0, "a", std::nullopt);  // a tombstone has a key
  Bytes batch = BuildRecordBatch(Template(), keyed.records, Compression::kNone);
  EXPECT_TRUE(CheckProducedRecords(batch, *ValidateBatch(batch), true).ok());
}

// Kafka does not check record offset deltas (it reassigns offsets), only
// that recordsCount = lastOffsetDelta + 1; deltas other than 0..n-1 are
// flagged for renumbering.
TEST(RecordsTest, OffsetDeltasOtherThanZeroToNMinusOneNeedRenumbering) {
  const std::vector<std::vector<int32_t>> cases = {{1, 2, 2}, {0, 0, 0}, {2, 1, 0}, {5, 6, 7}};
  for (const auto& deltas : cases) {
    RecordSet s;
    for (int32_t d : deltas) s.Add(d, 0, "k", "v");
    BatchHeader t = Template();
    t.last_offset_delta = 2;
    for (Compression codec : {Compression::kNone, Compression::kZstd}) {
      Bytes batch = BuildRecordBatch(t, s.records, codec);
      // BuildRecordBatch raises lastOffsetDelta to the largest delta.
      coding::StoreBE32(batch.data() + bo::kLastOffsetDelta, 2);
      coding::StoreBE32(batch.data() + bo::kCrc,
                        crc32c::Extend(0, batch.data() + kBatchCrcStart, batch.size() - kBatchCrcStart));
      ASSERT_TRUE(ValidateRecords(batch).ok()) << ValidateRecords(batch);
      auto produced = CheckProducedRecords(batch, *ValidateBatch(batch));
      ASSERT_TRUE(produced.ok()) << produced.status();
      EXPECT_TRUE(produced->needs_renumbering) << deltas[0] << deltas[1] << deltas[2];

      auto renumbered = RenumberRecords(batch);
      ASSERT_TRUE(renumbered.ok()) << renumbered.status();
      auto h = ValidateBatch(*renumbered);
      ASSERT_TRUE(h.ok()) << h.status();
      EXPECT_EQ(h->compression(), codec);
      EXPECT_EQ(h->last_offset_delta, 2);
      EXPECT_EQ(h->records_count, 3);
      auto again = CheckProducedRecords(*renumbered, *h);
      ASSERT_TRUE(again.ok());
      EXPECT_FALSE(again->needs_renumbering);
      auto decoded = DecodeAll(*renumbered);
      ASSERT_TRUE(decoded.ok());
      for (int32_t i = 0; i < 3; ++i) {
        EXPECT_EQ((*decoded)[size_t(i)].offset_delta, i);
        EXPECT_EQ((*decoded)[size_t(i)].key, "k");
        EXPECT_EQ((*decoded)[size_t(i)].value, "v");
      }
    }
  }
  RecordSet in_order;
  in_order.Add(0, 0, "k", "v");
  in_order.Add(1, 0, "k", "v");
  Bytes batch = BuildRecordBatch(Template(), in_order.records, Compression::kNone);
  EXPECT_FALSE(CheckProducedRecords(batch, *ValidateBatch(batch))->needs_renumbering);
}

// Kafka refuses a batch whose offset range [0, lastOffsetDelta] does not
// hold exactly recordsCount records, so a compacted-looking batch (gaps) is
// not a valid producer batch.
TEST(RecordsTest, ValidateRefusesOffsetRangeNotMatchingRecordCount) {
  RecordSet s;
  s.Add(0, 0, "a", "1");
  s.Add(3, 1, "b", "2");
  s.Add(7, 2, "c", std::nullopt);
  Bytes batch = BuildRecordBatch(Template(), s.records, Compression::kGzip);
  ASSERT_TRUE(ValidateBatch(batch).ok());
  ExpectDataLoss(ValidateRecords(batch), "lastOffsetDelta 7, 3 records");
  Bytes good = testutil::BuildSimpleBatch(3, 10);
  ExpectDataLoss(ValidateRecords(WithRecordsSection(RecordsOf(good), 3, 0, 5)), "lastDelta 5");
}

// The header's maxTimestamp is not trusted (sarama writes -1, others may be
// stale): the records say what the maximum is.
TEST(RecordsTest, MaxTimestampComesFromTheRecordsNotTheHeader) {
  // testutil record i has timestampDelta i; WithRecordsSection sets
  // maxTimestamp = baseTimestamp, so records 1 and 2 are later than it.
  Bytes good = testutil::BuildSimpleBatch(3, 10);
  Bytes stale = WithRecordsSection(RecordsOf(good), 3);
  EXPECT_TRUE(ValidateRecords(stale).ok()) << ValidateRecords(stale);
  auto produced = CheckProducedRecords(stale, *ValidateBatch(stale));
  ASSERT_TRUE(produced.ok());
  EXPECT_EQ(produced->max_timestamp, 1700000000002);
  EXPECT_FALSE(produced->needs_renumbering);
}

// Kafka accepts any record timestamp (no message.timestamp.*.max.ms limit by
// default): negative ones, and sums that wrap as Java's long does. The
// maximum never goes below -1 (no timestamp).
TEST(RecordsTest, NegativeAndWrappingTimestampsAreAcceptedAndMaxStaysAtLeastMinusOne) {
  RecordSet s;
  s.Add(0, -1700000000002, "k", "v");  // timestamp -2
  s.Add(1, -1700000000005, "k", "v");  // timestamp -5
  Bytes negative = BuildRecordBatch(Template(), s.records, Compression::kNone);
  ASSERT_TRUE(ValidateRecords(negative).ok()) << ValidateRecords(negative);
  EXPECT_EQ(CheckProducedRecords(negative, *ValidateBatch(negative))->max_timestamp, -1);

  RecordSet o;
  o.Add(0, std::numeric_limits<int64_t>::max(), "k", "v");  // wraps to a negative time
  o.Add(1, 7, "k", "v");
  Bytes wrapping = BuildRecordBatch(Template(), o.records, Compression::kNone);
  ASSERT_TRUE(ValidateRecords(wrapping).ok()) << ValidateRecords(wrapping);
  EXPECT_EQ(CheckProducedRecords(wrapping, *ValidateBatch(wrapping))->max_timestamp,
            1700000000007);
}

TEST(RecordsTest, ValidateRejectsBadCrc) {
  Bytes batch = testutil::BuildSimpleBatch(3, 10);
  batch.back() ^= 1;
  ExpectDataLoss(ValidateRecords(batch), "crc");
}

TEST(RecordsTest, BuildRecordBatchKeepsTemplateFields) {
  BatchHeader t = Template();
  t.base_offset = 1000;
  t.partition_leader_epoch = 4;
  t.producer_id = 77;
  t.producer_epoch = 2;
  t.base_sequence = 10;
  t.attributes = batch_attr::kTransactional | int16_t(Compression::kGzip);  // codec replaced
  RecordSet s = MixedRecords();
  auto h = ValidateBatch(BuildRecordBatch(t, s.records, Compression::kSnappy));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->base_offset, 1000);
  EXPECT_EQ(h->partition_leader_epoch, 4);
  EXPECT_EQ(h->producer_id, 77);
  EXPECT_EQ(h->producer_epoch, 2);
  EXPECT_EQ(h->base_sequence, 10);
  EXPECT_TRUE(h->is_transactional());
  EXPECT_EQ(h->compression(), Compression::kSnappy);
}

TEST(RecordsTest, BuildRecordBatchWithNoRecordsKeepsTemplateOffsetRange) {
  BatchHeader t = Template();
  t.last_offset_delta = 9;
  t.max_timestamp = 1700000000050;
  auto h = ValidateBatch(BuildRecordBatch(t, {}, Compression::kZstd));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->records_count, 0);
  EXPECT_EQ(h->last_offset_delta, 9);
  EXPECT_EQ(h->max_timestamp, 1700000000050);
}

}  // namespace
}  // namespace keel
