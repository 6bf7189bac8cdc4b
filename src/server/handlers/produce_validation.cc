#include "produce_validation.h"

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace keel::server {

using protocol::ErrorCode;

ProduceValidation ValidateProduceRecords(std::span<const uint8_t> records,
                                         int64_t max_message_bytes, bool require_keys) {
  ProduceValidation v;
  if (records.empty()) {
    v.error = ErrorCode::INVALID_RECORD;
    v.message = "produce request carries no record batch";
    return v;
  }
  size_t pos = 0;
  while (pos < records.size()) {
    std::span<const uint8_t> rest = records.subspan(pos);
    if (rest.size() > batch_offsets::kMagic && rest[batch_offsets::kMagic] != kBatchMagicV2) {
      v.error = ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT;
      v.message = absl::StrCat("record batch magic ", int(rest[batch_offsets::kMagic]),
                               " is not supported; only magic 2 (Kafka 0.11+ clients)");
      return v;
    }
    auto size = NextBatchSize(rest);
    if (!size.ok() || *size == 0) {
      v.error = ErrorCode::CORRUPT_MESSAGE;
      v.message = "record batch length is inconsistent with the data sent";
      return v;
    }
    std::span<const uint8_t> batch = rest.subspan(0, *size);
    if (int64_t(batch.size()) > max_message_bytes) {
      v.error = ErrorCode::MESSAGE_TOO_LARGE;
      v.message = absl::StrCat("record batch of ", batch.size(),
                               " bytes exceeds max.message.bytes ", max_message_bytes);
      return v;
    }
    auto header = ValidateBatch(batch);
    if (!header.ok()) {
      v.error = ErrorCode::CORRUPT_MESSAGE;
      v.message = std::string(header.status().message());
      return v;
    }
    if (header->is_control()) {
      v.error = ErrorCode::INVALID_RECORD;
      v.message = "clients may not produce control batches";
      return v;
    }
    if (header->is_transactional()) {
      if (header->producer_id < 0) {
        v.error = ErrorCode::INVALID_RECORD;
        v.message = "a transactional batch must carry a producer id";
        return v;
      }
      v.transactional = true;
      v.producer_id = header->producer_id;
      v.producer_epoch = header->producer_epoch;
    }
    if (header->producer_id >= 0 && (header->base_sequence < 0 || header->producer_epoch < 0)) {
      v.error = ErrorCode::INVALID_RECORD;
      v.message = absl::StrCat("batch of producer ", header->producer_id, " has sequence ",
                               header->base_sequence, " and epoch ", header->producer_epoch,
                               "; both must be >= 0");
      return v;
    }
    if (auto st = ValidateRecordsOfValidBatch(batch, *header, require_keys); !st.ok()) {
      v.error = ErrorCode::INVALID_RECORD;
      v.message = std::string(st.message());
      return v;
    }
    v.has_producer_id |= header->producer_id >= 0;
    v.record_count += header->records_count;
    ++v.batch_count;
    pos += *size;
  }
  if (v.has_producer_id && v.batch_count > 1) {
    v.error = ErrorCode::INVALID_RECORD;
    v.message = "an idempotent or transactional produce must carry exactly one batch per partition";
    return v;
  }
  return v;
}

}  // namespace keel::server
