#include "produce_validation.h"

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace keel::server {

using protocol::ErrorCode;

namespace {

ProduceValidation Refuse(ProduceValidation v, ErrorCode error, std::string message) {
  v.error = error;
  v.message = std::move(message);
  v.rebuilt.clear();
  return v;
}

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

ProduceValidation ValidateProduceRecords(std::span<uint8_t> records,
                                         const ProduceTopicRules& rules) {
  ProduceValidation v;
  if (records.empty()) {
    return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                  "produce request carries no record batch");
  }
  // Batches rebuilt so far, in order, with the unchanged ones copied; only
  // filled once the first batch needs rebuilding.
  std::vector<uint8_t> rebuilt;
  bool rebuilding = false;
  size_t pos = 0;
  while (pos < records.size()) {
    std::span<uint8_t> rest = records.subspan(pos);
    if (rest.size() > batch_offsets::kMagic && rest[batch_offsets::kMagic] != kBatchMagicV2) {
      return Refuse(std::move(v), ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT,
                    absl::StrCat("record batch magic ", int(rest[batch_offsets::kMagic]),
                                 " is not supported; only magic 2 (Kafka 0.11+ clients)"));
    }
    auto size = NextBatchSize(rest);
    if (!size.ok() || *size == 0) {
      return Refuse(std::move(v), ErrorCode::CORRUPT_MESSAGE,
                    "record batch length is inconsistent with the data sent");
    }
    std::span<uint8_t> batch = rest.subspan(0, *size);
    if (int64_t(batch.size()) > rules.max_message_bytes) {
      return Refuse(std::move(v), ErrorCode::MESSAGE_TOO_LARGE,
                    absl::StrCat("record batch of ", batch.size(),
                                 " bytes exceeds max.message.bytes ", rules.max_message_bytes));
    }
    // Kafka: size and CRC problems are CORRUPT_MESSAGE; a count that does not
    // match the offset range is INVALID_RECORD.
    auto header = ParseBatchHeader(batch);
    if (!header.ok()) {
      return Refuse(std::move(v), ErrorCode::CORRUPT_MESSAGE,
                    std::string(header.status().message()));
    }
    if (!rules.zstd_allowed && header->compression() == Compression::kZstd) {
      // KIP-110: a client on an older version must not write what its
      // peers on Fetch before v10 may not read.
      return Refuse(std::move(v), ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
                    "zstd-compressed batches need Produce v7 or later");
    }
    if (!CrcMatches(batch)) {
      return Refuse(std::move(v), ErrorCode::CORRUPT_MESSAGE, "record batch CRC-32C mismatch");
    }
    if (header->records_count <= 0) {
      return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                    absl::StrCat("record batch announces ", header->records_count, " records"));
    }
    if (int64_t(header->last_offset_delta) + 1 != header->records_count) {
      return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                    absl::StrCat("lastOffsetDelta ", header->last_offset_delta,
                                 " does not match the ", header->records_count,
                                 " records the batch announces"));
    }
    if (header->is_control()) {
      return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                    "clients may not produce control batches");
    }
    if (header->is_transactional()) {
      if (header->producer_id < 0) {
        return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                      "a transactional batch must carry a producer id");
      }
      v.transactional = true;
      v.producer_id = header->producer_id;
      v.producer_epoch = header->producer_epoch;
    }
    if (header->producer_id >= 0 && (header->base_sequence < 0 || header->producer_epoch < 0)) {
      return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                    absl::StrCat("batch of producer ", header->producer_id, " has sequence ",
                                 header->base_sequence, " and epoch ", header->producer_epoch,
                                 "; both must be >= 0"));
    }
    // The timestamp-type bit is the broker's to set. Kafka refuses it on a
    // LogAppendTime topic, and on a CreateTime topic unless maxTimestamp
    // carries a time (every record then counted as having that time).
    if (header->log_append_time() && (rules.log_append_time || header->max_timestamp == -1)) {
      return Refuse(std::move(v), ErrorCode::INVALID_TIMESTAMP,
                    "the producer set the LogAppendTime timestamp type; only the broker may");
    }
    auto produced = CheckProducedRecords(batch, *header, rules.require_keys);
    if (!produced.ok()) {
      return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                    std::string(produced.status().message()));
    }
    if (rules.timestamps.active() && !header->log_append_time() && !rules.log_append_time) {
      if (auto st = CheckTimestamps(batch, *header, rules.timestamps); !st.ok()) {
        return Refuse(std::move(v),
                      absl::IsOutOfRange(st) ? ErrorCode::INVALID_TIMESTAMP
                                             : ErrorCode::INVALID_RECORD,
                      std::string(st.message()));
      }
    }
    std::span<uint8_t> stored = batch;
    if (produced->needs_renumbering) {
      auto renumbered = RenumberRecords(batch);
      if (!renumbered.ok()) {
        return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                      std::string(renumbered.status().message()));
      }
      if (!rebuilding) {
        rebuilding = true;
        rebuilt.assign(records.begin(), records.begin() + ptrdiff_t(pos));
      }
      const size_t at = rebuilt.size();
      rebuilt.insert(rebuilt.end(), renumbered->begin(), renumbered->end());
      stored = std::span<uint8_t>(rebuilt).subspan(at);
    } else if (rebuilding) {
      const size_t at = rebuilt.size();
      rebuilt.insert(rebuilt.end(), batch.begin(), batch.end());
      stored = std::span<uint8_t>(rebuilt).subspan(at);
    }
    // Kafka stores the largest record timestamp as maxTimestamp, whatever the
    // producer wrote there. On a LogAppendTime topic the log sets both the
    // bit and the time when it appends.
    if (!rules.log_append_time && SetCreateTimeMaxTimestamp(stored, produced->max_timestamp)) {
      ++v.max_timestamps_rewritten;
    }
    v.has_producer_id |= header->producer_id >= 0;
    v.record_count += header->records_count;
    ++v.batch_count;
    pos += *size;
  }
  if (v.has_producer_id && v.batch_count > 1) {
    return Refuse(std::move(v), ErrorCode::INVALID_RECORD,
                  "an idempotent or transactional produce must carry exactly one batch per "
                  "partition");
  }
  v.rebuilt = std::move(rebuilt);
  return v;
}

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
