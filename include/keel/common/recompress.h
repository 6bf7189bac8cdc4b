// Broker-side recompression of a producer's batch to a topic's
// compression.type (Kafka's LogValidator does the same when the topic's codec
// differs from the batch's).
//
// The records section (everything after the 61-byte header) is inflated with
// the batch's codec and deflated with the target codec; the header is kept
// byte for byte except for batchLength, the codec bits of attributes and the
// CRC-32C, which are recomputed. So the records (offset and timestamp
// deltas, keys, values, headers, record attributes), baseOffset,
// baseTimestamp, maxTimestamp, the producer id / epoch / base sequence and
// the transactional, control and timestamp-type bits are all unchanged.
//
// Nothing here validates records: the caller checks the batch first
// (ValidateBatch and ValidateRecordsOfValidBatch), as the produce path does.
// Pure; re-entrant; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace keel {

// A topic's target codec: the batch's own (Kafka's `producer`), or a codec.
struct CompressionTarget {
  bool keep_producer = true;                 // compression.type=producer
  Compression codec = Compression::kNone;    // when !keep_producer
  int level = 0;                             // Kafka level for codec (compression.h)

  // True when a batch sent with `batch_codec` must be rewritten. Kafka never
  // compresses an uncompressed control batch; produce refuses control
  // batches anyway, so only producers' batches get here.
  bool NeedsRewrite(Compression batch_codec) const {
    return !keep_producer && batch_codec != codec;
  }
};

// Returns `batch` (exactly one batch, header already validated into
// `header`) with its records recompressed to `target` at `level`.
// DataLoss/ResourceExhausted if the records do not inflate within
// `max_decompressed` bytes; InvalidArgument for a bad level or a records
// section that would not fit a batch (over 2 GiB).
absl::StatusOr<std::vector<uint8_t>> RecompressBatch(
    std::span<const uint8_t> batch, const BatchHeader& header, Compression target, int level,
    size_t max_decompressed = kDefaultMaxDecompressedRecords);

}  // namespace keel
