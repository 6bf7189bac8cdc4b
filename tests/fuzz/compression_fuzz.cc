// libFuzzer target for the record-batch codecs and record iteration
// (keel/common/compression.h, keel/common/records.h).
//
// Input: byte 0 selects the codec (low 3 bits, so the undefined codecs 5-7 are
// exercised too), byte 1 is a record count, the rest is the payload. Checks:
//   1. Decompress(codec, payload) never crashes, respects its bound, and fails
//      only with DataLoss / ResourceExhausted / InvalidArgument; what it
//      accepts re-compresses and decompresses to the same bytes.
//   2. The payload as the records section of a batch (that codec, that count,
//      valid CRC): ForEachRecord and ValidateRecords never crash, and records
//      that decode survive BuildRecordBatch -> ForEachRecord unchanged.
//   3. The whole input as a batch: ForEachRecord never crashes.
// Any broken invariant calls __builtin_trap() so libFuzzer reports it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/crc32c.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace {

using keel::Compression;
using Bytes = std::vector<uint8_t>;

constexpr size_t kMaxOutput = 1 << 20;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool ExpectedFailure(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDataLoss ||
         s.code() == absl::StatusCode::kResourceExhausted ||
         s.code() == absl::StatusCode::kInvalidArgument;
}

// A decoded record, copied out of its callback.
struct Owned {
  int8_t attributes;
  int64_t timestamp_delta;
  int32_t offset_delta;
  std::optional<Bytes> key, value;
  std::vector<std::pair<Bytes, std::optional<Bytes>>> headers;
  bool operator==(const Owned&) const = default;
};

std::optional<Bytes> Copy(const std::optional<std::span<const uint8_t>>& s) {
  if (!s) return std::nullopt;
  return Bytes(s->begin(), s->end());
}

std::span<const uint8_t> View(const Bytes& b) { return b; }

std::optional<std::span<const uint8_t>> View(const std::optional<Bytes>& b) {
  if (!b) return std::nullopt;
  return std::span<const uint8_t>(*b);
}

absl::Status Collect(std::span<const uint8_t> batch, std::vector<Owned>* out) {
  return keel::ForEachRecord(
      batch,
      [&](const keel::RecordView& r) {
        Owned o{r.attributes, r.timestamp_delta, r.offset_delta, Copy(r.key), Copy(r.value), {}};
        for (const keel::HeaderView& h : r.headers) {
          o.headers.emplace_back(Bytes(h.key.begin(), h.key.end()), Copy(h.value));
        }
        out->push_back(std::move(o));
        return absl::OkStatus();
      },
      kMaxOutput);
}

void FuzzDecompress(Compression codec, std::span<const uint8_t> payload) {
  auto plain = keel::Decompress(codec, payload, kMaxOutput);
  if (!plain.ok()) {
    Check(ExpectedFailure(plain.status()));
    return;
  }
  Check(plain->size() <= kMaxOutput);
  auto again = keel::Compress(codec, *plain);
  Check(again.ok());
  auto back = keel::Decompress(codec, *again, plain->size());
  Check(back.ok() && *back == *plain);
}

Bytes BatchAround(Compression codec, int32_t count, std::span<const uint8_t> records) {
  namespace bo = keel::batch_offsets;
  Bytes b(keel::kBatchHeaderSize + records.size(), 0);
  std::copy(records.begin(), records.end(), b.begin() + keel::kBatchHeaderSize);
  uint8_t* p = b.data();
  keel::coding::StoreBE32(p + bo::kBatchLength, uint32_t(b.size() - keel::kBatchLogOverhead));
  p[bo::kMagic] = uint8_t(keel::kBatchMagicV2);
  keel::coding::StoreBE16(p + bo::kAttributes, uint16_t(codec));
  keel::coding::StoreBE32(p + bo::kLastOffsetDelta, uint32_t(count > 0 ? count - 1 : 0));
  keel::coding::StoreBE64(p + bo::kBaseTimestamp, 1700000000000);
  keel::coding::StoreBE64(p + bo::kMaxTimestamp, 1700000001000);
  keel::coding::StoreBE64(p + bo::kProducerId, uint64_t(-1));
  keel::coding::StoreBE16(p + bo::kProducerEpoch, uint16_t(-1));
  keel::coding::StoreBE32(p + bo::kBaseSequence, uint32_t(-1));
  keel::coding::StoreBE32(p + bo::kRecordsCount, uint32_t(count));
  keel::coding::StoreBE32(p + bo::kCrc, keel::crc32c::Extend(0, p + keel::kBatchCrcStart,
                                                             b.size() - keel::kBatchCrcStart));
  return b;
}

void FuzzRecords(Compression codec, int32_t count, std::span<const uint8_t> payload) {
  const Bytes batch = BatchAround(codec, count, payload);
  std::vector<Owned> records;
  const absl::Status s = Collect(batch, &records);
  const absl::Status v = keel::ValidateRecords(batch, kMaxOutput);
  Check(v.ok() || ExpectedFailure(v));
  if (!s.ok()) {
    Check(ExpectedFailure(s));
    Check(!v.ok());  // validation is stricter than iteration
    return;
  }
  Check(records.size() == size_t(count));
  // Re-encode what was decoded (uncompressed, and compressed again when the
  // codec is known) and decode it again: nothing may change.
  std::vector<keel::RecordInput> inputs(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    inputs[i].attributes = records[i].attributes;
    inputs[i].timestamp_delta = records[i].timestamp_delta;
    inputs[i].offset_delta = records[i].offset_delta;
    inputs[i].key = View(records[i].key);
    inputs[i].value = View(records[i].value);
    for (const auto& [hk, hv] : records[i].headers) inputs[i].headers.push_back({View(hk), View(hv)});
  }
  keel::BatchHeader t;
  t.base_timestamp = 1700000000000;
  for (Compression out_codec : {Compression::kNone, codec}) {
    if (!keel::IsKnownCompression(out_codec)) continue;
    const Bytes rebuilt = keel::BuildRecordBatch(t, inputs, out_codec);
    Check(keel::ParseBatchHeader(rebuilt).ok() && keel::CrcMatches(rebuilt));
    std::vector<Owned> again;
    Check(Collect(rebuilt, &again).ok());
    Check(again == records);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Compression codec = Compression(data[0] & 0x07);
  const int32_t count = data[1];
  const std::span<const uint8_t> payload(data + 2, size - 2);
  FuzzDecompress(codec, payload);
  FuzzRecords(codec, count, payload);
  std::vector<Owned> ignored;
  const absl::Status s = Collect(std::span<const uint8_t>(data, size), &ignored);
  Check(s.ok() || ExpectedFailure(s));
  return 0;
}
