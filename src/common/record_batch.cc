// Parsing, validation and in-place patching of RecordBatch v2 headers.
#include "keel/common/record_batch.h"

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/crc32c.h"

namespace keel {

using coding::LoadBE16;
using coding::LoadBE32;
using coding::LoadBE64;
namespace bo = batch_offsets;

absl::StatusOr<BatchHeader> ParseBatchHeader(std::span<const uint8_t> b) {
  if (b.size() < kBatchHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("record batch header needs ", kBatchHeaderSize, " bytes, have ", b.size()));
  }
  const uint8_t* p = b.data();
  BatchHeader h;
  h.base_offset = int64_t(LoadBE64(p + bo::kBaseOffset));
  h.batch_length = int32_t(LoadBE32(p + bo::kBatchLength));
  h.partition_leader_epoch = int32_t(LoadBE32(p + bo::kPartitionLeaderEpoch));
  h.magic = int8_t(p[bo::kMagic]);
  if (h.magic != kBatchMagicV2) {
    return absl::DataLossError(absl::StrCat("record batch magic ", int(h.magic),
                                            " is not supported (only magic 2)"));
  }
  if (h.batch_length < int32_t(kBatchHeaderSize - kBatchLogOverhead)) {
    return absl::DataLossError(absl::StrCat("record batch length ", h.batch_length, " too small"));
  }
  h.crc = LoadBE32(p + bo::kCrc);
  h.attributes = int16_t(LoadBE16(p + bo::kAttributes));
  h.last_offset_delta = int32_t(LoadBE32(p + bo::kLastOffsetDelta));
  h.base_timestamp = int64_t(LoadBE64(p + bo::kBaseTimestamp));
  h.max_timestamp = int64_t(LoadBE64(p + bo::kMaxTimestamp));
  h.producer_id = int64_t(LoadBE64(p + bo::kProducerId));
  h.producer_epoch = int16_t(LoadBE16(p + bo::kProducerEpoch));
  h.base_sequence = int32_t(LoadBE32(p + bo::kBaseSequence));
  h.records_count = int32_t(LoadBE32(p + bo::kRecordsCount));
  return h;
}

bool CrcMatches(std::span<const uint8_t> batch) {
  if (batch.size() < kBatchHeaderSize) return false;
  uint32_t stored = LoadBE32(batch.data() + bo::kCrc);
  return crc32c::Extend(0, batch.data() + kBatchCrcStart, batch.size() - kBatchCrcStart) == stored;
}

absl::StatusOr<BatchHeader> ValidateBatch(std::span<const uint8_t> bytes) {
  auto h = ParseBatchHeader(bytes);
  if (!h.ok()) return h.status();
  if (h->total_size() != bytes.size()) {
    return absl::DataLossError(absl::StrCat("record batch length field says ", h->total_size(),
                                            " bytes, have ", bytes.size()));
  }
  if (!CrcMatches(bytes)) return absl::DataLossError("record batch CRC-32C mismatch");
  if (h->records_count < 0) {
    return absl::DataLossError(absl::StrCat("negative record count ", h->records_count));
  }
  if (h->last_offset_delta < 0 || int64_t(h->last_offset_delta) < int64_t(h->records_count) - 1) {
    return absl::DataLossError(absl::StrCat("lastOffsetDelta ", h->last_offset_delta,
                                            " inconsistent with record count ", h->records_count));
  }
  return h;
}

void PatchBaseOffset(std::span<uint8_t> batch, int64_t base_offset) {
  coding::StoreBE64(batch.data() + bo::kBaseOffset, uint64_t(base_offset));
}

void PatchPartitionLeaderEpoch(std::span<uint8_t> batch, int32_t epoch) {
  coding::StoreBE32(batch.data() + bo::kPartitionLeaderEpoch, uint32_t(epoch));
}

void PatchLogAppendTime(std::span<uint8_t> batch, int64_t now_ms) {
  uint8_t* p = batch.data();
  uint16_t attrs = LoadBE16(p + bo::kAttributes) | uint16_t(batch_attr::kLogAppendTime);
  coding::StoreBE16(p + bo::kAttributes, attrs);
  coding::StoreBE64(p + bo::kMaxTimestamp, uint64_t(now_ms));
  coding::StoreBE32(p + bo::kCrc,
                    crc32c::Extend(0, p + kBatchCrcStart, batch.size() - kBatchCrcStart));
}

bool SetCreateTimeMaxTimestamp(std::span<uint8_t> batch, int64_t max_timestamp) {
  uint8_t* p = batch.data();
  const uint16_t attrs = LoadBE16(p + bo::kAttributes);
  if ((attrs & uint16_t(batch_attr::kLogAppendTime)) == 0 &&
      int64_t(LoadBE64(p + bo::kMaxTimestamp)) == max_timestamp) {
    return false;
  }
  coding::StoreBE16(p + bo::kAttributes, attrs & ~uint16_t(batch_attr::kLogAppendTime));
  coding::StoreBE64(p + bo::kMaxTimestamp, uint64_t(max_timestamp));
  coding::StoreBE32(p + bo::kCrc,
                    crc32c::Extend(0, p + kBatchCrcStart, batch.size() - kBatchCrcStart));
  return true;
}

absl::StatusOr<size_t> NextBatchSize(std::span<const uint8_t> bytes) {
  if (bytes.size() < kBatchLogOverhead) return size_t{0};
  int32_t len = int32_t(LoadBE32(bytes.data() + bo::kBatchLength));
  if (len < int32_t(kBatchHeaderSize - kBatchLogOverhead)) {
    return absl::DataLossError(absl::StrCat("record batch length ", len, " too small"));
  }
  size_t total = kBatchLogOverhead + size_t(len);
  return total <= bytes.size() ? total : size_t{0};
}

}  // namespace keel
