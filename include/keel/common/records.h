// The records inside a Kafka RecordBatch v2: iteration, validation and
// encoding.
//
// After the 61-byte batch header (record_batch.h) come recordsCount records,
// compressed as one unit when the batch's codec is not none
// (compression.h). Each record is (varint = zigzag LEB128 as in protobuf
// sint32/sint64; "bytes" = varint length, -1 for null, then the bytes):
//
//   length          varint   bytes of the record after this field
//   attributes      int8     unused by Kafka, kept as-is
//   timestampDelta  varlong  added to the batch's baseTimestamp
//   offsetDelta     varint   added to the batch's baseOffset
//   key             bytes    (nullable)
//   value           bytes    (nullable; null value = tombstone)
//   headerCount     varint
//   headers         headerCount x (key: bytes, not null; value: bytes, nullable)
//
// Nothing here does I/O. All functions are re-entrant and thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "keel/common/record_batch.h"

namespace keel {

inline constexpr size_t kDefaultMaxDecompressedRecords = size_t{64} << 20;  // 64 MiB

struct HeaderView {
  std::span<const uint8_t> key;
  std::optional<std::span<const uint8_t>> value;  // nullopt = null value
};

// One decoded record. Its spans point into the batch (uncompressed batches)
// or into a buffer owned by ForEachRecord (compressed batches), so a
// RecordView and everything it references is valid ONLY during the callback
// that receives it; copy what must outlive it.
struct RecordView {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::span<const uint8_t>> key;    // nullopt = null key
  std::optional<std::span<const uint8_t>> value;  // nullopt = tombstone
  std::vector<HeaderView> headers;
};

// Input of BuildRecordBatch: the same shape as RecordView, so a compactor can
// pass RecordViews (copied out of their callback, with their backing bytes
// kept alive) straight back. The caller owns the referenced bytes.
using RecordInput = RecordView;

// Calls `fn` for every record of `batch`, in order. `batch` must be exactly
// one RecordBatch v2 (12 + batchLength bytes); the CRC is NOT checked here
// (ValidateBatch / ValidateRecords do that). Compressed records are inflated
// into a temporary buffer of at most `max_decompressed` bytes.
//
// Every length is checked against the bytes left before use: varints must be
// well-formed and in range, each record's length field must match the bytes
// its fields occupy, there must be exactly recordsCount records and no
// trailing bytes. Malformed data -> DataLoss naming the record index and the
// problem; decompressed size over the limit -> ResourceExhausted. If `fn`
// returns an error, iteration stops and that error is returned unchanged.
absl::Status ForEachRecord(std::span<const uint8_t> batch,
                           absl::FunctionRef<absl::Status(const RecordView&)> fn,
                           size_t max_decompressed = kDefaultMaxDecompressedRecords);

// What a broker makes of the records of a batch a producer sent, following
// Kafka's own validator (LogValidator, leader side; the field-by-field
// comparison is in docs/storage-format.md, "What Produce accepts").
struct ProducedRecords {
  // The largest record timestamp (baseTimestamp + timestampDelta, wrapping
  // on overflow as Java's long does), never below -1 (no timestamp). Kafka
  // stores this as the batch's maxTimestamp, whatever the producer wrote
  // there (sarama writes -1).
  int64_t max_timestamp = -1;
  // The records' offsetDeltas are not exactly 0, 1, ..., recordsCount-1.
  // Kafka accepts such a batch (it reassigns the offsets); Keel must store
  // it rebuilt by RenumberRecords.
  bool needs_renumbering = false;
};

// The record checks Kafka applies to a produced batch whose header
// ValidateBatch has already returned (so the CRC is not computed twice on
// the produce path): ForEachRecord (framing, codec, exactly recordsCount
// records, no trailing bytes) and, with `require_keys` (a compacted topic),
// a key on every record (InvalidArgument naming its index). Record
// timestamps and offset deltas are not checked, as Kafka checks neither
// (with no message.timestamp.*.max.ms limit): they are summarised in the
// result. Malformed records -> DataLoss.
absl::StatusOr<ProducedRecords> CheckProducedRecords(
    std::span<const uint8_t> batch, const BatchHeader& header, bool require_keys = false,
    size_t max_decompressed = kDefaultMaxDecompressedRecords);

// Everything Kafka requires of a produced batch, in one call: ValidateBatch
// (length, magic, CRC), recordsCount > 0 and equal to lastOffsetDelta + 1,
// then CheckProducedRecords. Returns DataLoss naming the first violation
// (InvalidArgument if the span is shorter than a batch header). Whether the
// batch needs its maxTimestamp rewritten or its records renumbered before it
// is stored is not reported: the produce path uses the two calls above.
absl::Status ValidateRecords(std::span<const uint8_t> batch,
                             size_t max_decompressed = kDefaultMaxDecompressedRecords);

// Rebuilds `batch` with its records' offsetDeltas set to 0..recordsCount-1,
// everything else about the records kept, compressed again with the same
// codec; the header keeps its fields (batchLength, CRC and maxTimestamp are
// recomputed as BuildRecordBatch does). Used for a produced batch whose
// ProducedRecords::needs_renumbering is set.
// REQUIRES: CheckProducedRecords accepted the batch.
absl::StatusOr<std::vector<uint8_t>> RenumberRecords(
    std::span<const uint8_t> batch, size_t max_decompressed = kDefaultMaxDecompressedRecords);

// Appends the encoding of one record (length prefix included) to `out`.
void AppendRecord(const RecordInput& record, std::vector<uint8_t>& out);

// Encodes `records`, compresses them with `codec` and returns a complete
// batch whose header is `header_template` with these fields computed:
//   batchLength, magic (2), CRC, recordsCount, the codec bits of attributes;
//   lastOffsetDelta = the larger of the template's value and the largest
//     record offset_delta, so a compactor that drops the last records keeps
//     the batch's offset range (and an idempotent batch's sequence range:
//     lastSequence = baseSequence + lastOffsetDelta);
//   maxTimestamp = baseTimestamp + the largest timestamp_delta, unless the
//     template has LogAppendTime set or `records` is empty (then the
//     template's value is kept).
// Record offset deltas are written as given (not renumbered).
// REQUIRES: IsKnownCompression(codec). The codecs cannot fail on valid input,
// so a failure (out of memory inside a codec library) aborts the process.
std::vector<uint8_t> BuildRecordBatch(const BatchHeader& header_template,
                                      std::span<const RecordInput> records, Compression codec);

}  // namespace keel
