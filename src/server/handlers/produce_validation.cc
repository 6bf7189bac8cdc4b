#include "produce_validation.h"

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/record_batch.h"
#include "keel/common/compression.h"
#include "keel/common/records.h"

namespace keel::server {

using protocol::ErrorCode;

namespace {

// Kafka's validateTimestamp for CreateTime: every record within the bounds.
absl::Status CheckTimestamps(std::span<const uint8_t> batch, const BatchHeader& header,
                             const TimestampBounds& bounds) {
  int64_t index = 0;
  return ForEachRecord(batch, [&](const RecordView& r) -> absl::Status {
    const int64_t ts = header.base_timestamp + r.timestamp_delta;
    const bool too_old = bounds.before_max_ms != INT64_MAX && ts < bounds.now_ms &&
                         bounds.now_ms - ts > bounds.before_max_ms;
    const bool too_new = bounds.after_max_ms != INT64_MAX && ts > bounds.now_ms &&
                         ts - bounds.now_ms > bounds.after_max_ms;
    if (too_old || too_new) {
      return absl::OutOfRangeError(absl::StrCat(
          "timestamp ", ts, " of record ", index, " is out of range: it must lie within ",
          bounds.before_max_ms, " ms before and ", bounds.after_max_ms,
          " ms after the broker's time ", bounds.now_ms,
          " (message.timestamp.before.max.ms / after.max.ms)"));
    }
    ++index;
    return absl::OkStatus();
  });
}

}  // namespace

ProduceValidation ValidateProduceRecords(std::span<const uint8_t> records,
                                         int64_t max_message_bytes, bool require_keys,
                                         const TimestampBounds& bounds) {
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
    if (bounds.active() && !header->log_append_time()) {
      if (auto st = CheckTimestamps(batch, *header, bounds); !st.ok()) {
        v.error = absl::IsOutOfRange(st) ? ErrorCode::INVALID_TIMESTAMP : ErrorCode::INVALID_RECORD;
        v.message = std::string(st.message());
        return v;
      }
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

namespace keel::server {

Recompressed RecompressProduceRecords(std::span<const uint8_t> records,
                                      const CompressionTarget& target, int64_t max_message_bytes) {
  Recompressed out;
  if (target.keep_producer) return out;
  // First pass: is any batch in another codec? (Usually one batch.)
  bool any = false;
  for (size_t pos = 0; pos < records.size();) {
    auto size = NextBatchSize(records.subspan(pos));
    if (!size.ok() || *size == 0) break;  // validated before: cannot happen
    auto header = ParseBatchHeader(records.subspan(pos, *size));
    if (header.ok() && target.NeedsRewrite(header->compression())) any = true;
    pos += *size;
  }
  if (!any) return out;
  std::vector<uint8_t> bytes;
  bytes.reserve(records.size());
  for (size_t pos = 0; pos < records.size();) {
    auto size = NextBatchSize(records.subspan(pos));
    if (!size.ok() || *size == 0) {
      out.error = ErrorCode::CORRUPT_MESSAGE;
      out.message = "record batch length is inconsistent with the data sent";
      return out;
    }
    std::span<const uint8_t> batch = records.subspan(pos, *size);
    pos += *size;
    auto header = ParseBatchHeader(batch);
    if (!header.ok()) {
      out.error = ErrorCode::CORRUPT_MESSAGE;
      out.message = std::string(header.status().message());
      return out;
    }
    if (!target.NeedsRewrite(header->compression())) {
      bytes.insert(bytes.end(), batch.begin(), batch.end());
      continue;
    }
    auto rebuilt = RecompressBatch(batch, *header, target.codec, target.level);
    if (!rebuilt.ok()) {
      out.error = ErrorCode::INVALID_RECORD;
      out.message = absl::StrCat("cannot recompress the batch to compression.type ",
                                 std::string(CompressionName(target.codec)), ": ", rebuilt.status().message());
      return out;
    }
    // Kafka checks the size again after recompression (it may grow).
    if (int64_t(rebuilt->size()) > max_message_bytes) {
      out.error = ErrorCode::MESSAGE_TOO_LARGE;
      out.message = absl::StrCat("record batch is ", rebuilt->size(),
                                 " bytes once recompressed to the topic's compression.type ",
                                 std::string(CompressionName(target.codec)), ", over max.message.bytes ",
                                 max_message_bytes);
      return out;
    }
    bytes.insert(bytes.end(), rebuilt->begin(), rebuilt->end());
  }
  out.bytes = std::move(bytes);
  return out;
}

}  // namespace keel::server
