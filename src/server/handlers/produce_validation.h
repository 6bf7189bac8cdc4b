// Validation of the records of one Produce partition before they are appended.
//
// Splits the span into batches and checks each as Kafka's broker does
// (docs/storage-format.md, "What Produce accepts", has the field-by-field
// table): magic 2 (older formats are refused, as Kafka 4 refuses them),
// length and CRC-32C, size against max.message.bytes, recordsCount against
// lastOffsetDelta, every record's framing and, for a compacted topic
// (`require_keys`), a key on every record. What Kafka recomputes rather than
// checks is fixed here, in place: each batch's maxTimestamp becomes the
// largest record timestamp (CRC recomputed) unless the topic uses
// LogAppendTime (the log sets it on append), and a batch whose offset deltas
// are not 0..n-1 is rebuilt with renumbered records (the whole partition's
// data then comes back in `rebuilt`). CreateTime record timestamps are
// checked against the topic's message.timestamp.before/after.max.ms. Returns
// the Kafka error code to answer with and a message for the client; NONE
// when the (possibly fixed) bytes may be appended, as they are or
// recompressed to the topic's compression.type by RecompressProduceRecords.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "keel/common/recompress.h"
#include "keel/protocol/error_code.h"

namespace keel::server {

struct ProduceValidation {
  protocol::ErrorCode error = protocol::ErrorCode::NONE;
  std::string message;
  int32_t batch_count = 0;
  int64_t record_count = 0;
  bool has_producer_id = false;  // some batch carries a producer id (idempotent)
  // A transactional batch: its producer (the caller checks the partition is
  // in that producer's transaction).
  bool transactional = false;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // Batches whose maxTimestamp (and CRC) were rewritten in place.
  int32_t max_timestamps_rewritten = 0;
  // Non-empty when some batch had to be rebuilt (renumbered records): the
  // bytes to append instead of the request's.
  std::vector<uint8_t> rebuilt;
};

// Bounds on CreateTime record timestamps (message.timestamp.before.max.ms /
// after.max.ms): a record more than `before_max_ms` older or `after_max_ms`
// newer than `now_ms` is refused with INVALID_TIMESTAMP, as Kafka does.
// INT64_MAX disables a bound (the default: no extra pass over the records).
struct TimestampBounds {
  int64_t now_ms = 0;
  int64_t before_max_ms = INT64_MAX;
  int64_t after_max_ms = INT64_MAX;
  bool active() const { return before_max_ms != INT64_MAX || after_max_ms != INT64_MAX; }
};

// The rules of the topic a partition belongs to.
struct ProduceTopicRules {
  int64_t max_message_bytes = int64_t{1} << 20;
  bool require_keys = false;     // cleanup.policy includes compact
  bool log_append_time = false;  // message.timestamp.type=LogAppendTime
  // False for Produce before v7: a zstd batch is then refused with
  // UNSUPPORTED_COMPRESSION_TYPE (KIP-110), as Kafka does.
  bool zstd_allowed = true;
  TimestampBounds timestamps;
};

// `records` is the partition's data from the request; it may be modified in
// place (see above) also when an error is returned.
ProduceValidation ValidateProduceRecords(std::span<uint8_t> records,
                                         const ProduceTopicRules& rules);

// The records with every batch whose codec differs from `target`
// recompressed (recompress.h), or nullopt when no batch needs it (the common
// case: the bytes are stored as sent). REQUIRES: ValidateProduceRecords
// returned NONE for `records`. On failure `error` says why (a batch over
// `max_message_bytes` once recompressed: MESSAGE_TOO_LARGE).
struct Recompressed {
  protocol::ErrorCode error = protocol::ErrorCode::NONE;
  std::string message;
  std::optional<std::vector<uint8_t>> bytes;
};
Recompressed RecompressProduceRecords(std::span<const uint8_t> records,
                                      const CompressionTarget& target, int64_t max_message_bytes);

}  // namespace keel::server
