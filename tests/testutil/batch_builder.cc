#include "testutil/batch_builder.h"

#include "keel/common/coding.h"
#include "keel/common/crc32c.h"
#include "keel/common/record_batch.h"

namespace keel::testutil {
namespace {

void PutVarint(std::vector<uint8_t>& out, int64_t v) {
  uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (z >= 0x80) {
    out.push_back(uint8_t(z) | 0x80);
    z >>= 7;
  }
  out.push_back(uint8_t(z));
}

void PutBytes(std::vector<uint8_t>& out, const std::optional<std::string>& s) {
  if (!s) {
    PutVarint(out, -1);
    return;
  }
  PutVarint(out, int64_t(s->size()));
  out.insert(out.end(), s->begin(), s->end());
}

}  // namespace

std::vector<uint8_t> BuildBatch(const std::vector<TestRecord>& records,
                                const BatchOptions& o) {
  std::vector<uint8_t> out(kBatchHeaderSize, 0);
  int64_t max_ts = o.base_timestamp;
  for (size_t i = 0; i < records.size(); ++i) {
    const TestRecord& r = records[i];
    std::vector<uint8_t> body;
    body.push_back(0);  // record attributes
    PutVarint(body, r.timestamp_delta);
    PutVarint(body, int64_t(i));
    PutBytes(body, r.key);
    PutBytes(body, r.value);
    PutVarint(body, int64_t(r.headers.size()));
    for (const auto& [hk, hv] : r.headers) {
      PutVarint(body, int64_t(hk.size()));
      body.insert(body.end(), hk.begin(), hk.end());
      PutBytes(body, hv);
    }
    PutVarint(out, int64_t(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    max_ts = std::max(max_ts, o.base_timestamp + r.timestamp_delta);
  }
  uint8_t* p = out.data();
  namespace bo = batch_offsets;
  coding::StoreBE64(p + bo::kBaseOffset, 0);
  coding::StoreBE32(p + bo::kBatchLength, uint32_t(out.size() - kBatchLogOverhead));
  coding::StoreBE32(p + bo::kPartitionLeaderEpoch, 0);
  p[bo::kMagic] = 2;
  coding::StoreBE16(p + bo::kAttributes, uint16_t(o.attributes));
  coding::StoreBE32(p + bo::kLastOffsetDelta, uint32_t(records.empty() ? 0 : records.size() - 1));
  coding::StoreBE64(p + bo::kBaseTimestamp, uint64_t(o.base_timestamp));
  coding::StoreBE64(p + bo::kMaxTimestamp, uint64_t(max_ts));
  coding::StoreBE64(p + bo::kProducerId, uint64_t(o.producer_id));
  coding::StoreBE16(p + bo::kProducerEpoch, uint16_t(o.producer_epoch));
  coding::StoreBE32(p + bo::kBaseSequence, uint32_t(o.base_sequence));
  coding::StoreBE32(p + bo::kRecordsCount, uint32_t(records.size()));
  coding::StoreBE32(p + bo::kCrc,
                    crc32c::Extend(0, p + kBatchCrcStart, out.size() - kBatchCrcStart));
  return out;
}

std::vector<uint8_t> BuildSimpleBatch(int count, size_t value_size, uint32_t seed) {
  std::vector<TestRecord> recs;
  recs.reserve(count);
  for (int i = 0; i < count; ++i) {
    TestRecord r;
    r.key = "k" + std::to_string(i);
    std::string v(value_size, '\0');
    uint32_t x = seed * 2654435761u + uint32_t(i) * 40503u + 1;
    for (auto& c : v) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      c = char('a' + x % 26);
    }
    r.value = std::move(v);
    r.timestamp_delta = i;
    recs.push_back(std::move(r));
  }
  return BuildBatch(recs);
}

}  // namespace keel::testutil
