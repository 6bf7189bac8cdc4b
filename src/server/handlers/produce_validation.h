// Validation of the records of one Produce partition before they are appended.
//
// Splits the span into batches and checks each: magic 2 (older formats are
// refused, as Kafka 4 refuses them), length and CRC-32C, size against
// max.message.bytes, and every record's framing and offset deltas; for a
// compacted topic (`require_keys`) every record must have a key, as Kafka
// requires. Returns
// the Kafka error code to answer with and a message for the client; NONE when
// the whole span may be appended (as is, or recompressed to the topic's
// compression.type by RecompressProduceRecords).
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

ProduceValidation ValidateProduceRecords(std::span<const uint8_t> records, int64_t max_message_bytes,
                                         bool require_keys = false,
                                         const TimestampBounds& bounds = {});

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
