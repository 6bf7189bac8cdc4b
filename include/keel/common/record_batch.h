// Kafka RecordBatch v2 (magic 2): the unit Keel validates, stores and serves.
//
// Layout (all integers big-endian; offsets in bytes from the batch start):
//
//   0  baseOffset            int64   patched by the broker (outside the CRC)
//   8  batchLength           int32   bytes after this field (total = 12 + len)
//  12  partitionLeaderEpoch  int32   patched by the broker (outside the CRC)
//  16  magic                 int8    must be 2
//  17  crc                   uint32  CRC-32C of bytes [21, end)
//  21  attributes            int16   bits 0-2 codec, 3 timestamp type,
//                                    4 transactional, 5 control, 6 delete horizon
//  23  lastOffsetDelta       int32
//  27  baseTimestamp         int64   (first timestamp; delete horizon if bit 6)
//  35  maxTimestamp          int64   set by the broker on produce (the largest
//                                    record timestamp, or the append time for
//                                    LogAppendTime topics), which then
//                                    recomputes the CRC
//  43  producerId            int64
//  51  producerEpoch         int16
//  53  baseSequence          int32
//  57  recordsCount          int32
//  61  records...            (compressed as a whole when codec != none)
//
// A BatchHeader is a parsed copy of the 61-byte header. Functions here do no
// I/O and never allocate; they are shared by protocol (produce validation) and
// storage (recovery scans), so neither owns the format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel {

inline constexpr size_t kBatchHeaderSize = 61;
inline constexpr size_t kBatchLogOverhead = 12;  // baseOffset + batchLength
inline constexpr size_t kBatchCrcStart = 21;
inline constexpr int8_t kBatchMagicV2 = 2;

namespace batch_offsets {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordsCount = 57;
}  // namespace batch_offsets

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

namespace batch_attr {
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kLogAppendTime = 0x08;
inline constexpr int16_t kTransactional = 0x10;
inline constexpr int16_t kControl = 0x20;
inline constexpr int16_t kDeleteHorizon = 0x40;
}  // namespace batch_attr

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  // Total bytes of the batch including the 12-byte log overhead.
  size_t total_size() const { return kBatchLogOverhead + size_t(batch_length); }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  Compression compression() const { return Compression(attributes & batch_attr::kCompressionMask); }
  bool is_transactional() const { return attributes & batch_attr::kTransactional; }
  bool is_control() const { return attributes & batch_attr::kControl; }
  bool log_append_time() const { return attributes & batch_attr::kLogAppendTime; }
};

// Reads the fixed header. Needs at least 17 bytes to see the magic; returns
// InvalidArgument if fewer than kBatchHeaderSize bytes are given, DataLoss if
// the magic is not 2 or the length field is impossible (< 49).
absl::StatusOr<BatchHeader> ParseBatchHeader(std::span<const uint8_t> bytes);

// Full check of one batch that arrived from a client or is read back from
// disk: the span must be exactly one batch (12 + batchLength bytes), magic 2,
// CRC-32C matches, recordsCount >= 0 and lastOffsetDelta >= recordsCount - 1.
// Returns the parsed header or DataLoss/InvalidArgument naming the problem.
absl::StatusOr<BatchHeader> ValidateBatch(std::span<const uint8_t> bytes);

// Checks only the CRC of a batch whose header was already parsed.
bool CrcMatches(std::span<const uint8_t> batch);

// In-place patches of fields outside the CRC. REQUIRES: span holds a header.
void PatchBaseOffset(std::span<uint8_t> batch, int64_t base_offset);
void PatchPartitionLeaderEpoch(std::span<uint8_t> batch, int32_t epoch);

// Sets the LogAppendTime bit and maxTimestamp to `now_ms`, then recomputes the
// CRC (both fields are inside it; Kafka does the same for LogAppendTime).
void PatchLogAppendTime(std::span<uint8_t> batch, int64_t now_ms);

// Makes the batch a CreateTime batch (clears the timestamp-type bit) whose
// maxTimestamp is `max_timestamp`, and recomputes the CRC, as Kafka's
// broker does to every batch a producer sends (it trusts the records, not
// the header; see docs/storage-format.md, "What Produce accepts"). Returns
// false, touching nothing, when both already hold.
bool SetCreateTimeMaxTimestamp(std::span<uint8_t> batch, int64_t max_timestamp);

// Splits a buffer of concatenated batches: returns the size of the first
// complete batch, 0 if `bytes` holds only a partial batch (a torn tail or the
// end of a short read), or an error if the length field is impossible.
absl::StatusOr<size_t> NextBatchSize(std::span<const uint8_t> bytes);

}  // namespace keel
