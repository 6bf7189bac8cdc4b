// Validation of the records of one Produce partition before they are appended.
//
// Splits the span into batches and checks each: magic 2 (older formats are
// refused, as Kafka 4 refuses them), length and CRC-32C, size against
// max.message.bytes, and every record's framing and offset deltas; for a
// compacted topic (`require_keys`) every record must have a key, as Kafka
// requires. Returns
// the Kafka error code to answer with and a message for the client; NONE when
// the whole span may be appended as is.
#pragma once

#include <cstdint>
#include <span>
#include <string>

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

ProduceValidation ValidateProduceRecords(std::span<const uint8_t> records, int64_t max_message_bytes,
                                         bool require_keys = false);

}  // namespace keel::server
