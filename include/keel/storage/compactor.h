// The record-level rules of log compaction: the map from record key to the
// offset of its newest record, built over the dirty part of a log, and the
// rewrite of one stored batch keeping only the records that survive.
//
// Rules (Kafka's, see docs/storage-format.md "Compaction"):
//   - a keyed record survives unless the map holds a later offset for its key;
//   - a surviving tombstone (null value) is dropped once
//     record timestamp + delete.retention.ms <= now;
//   - a keyless record in a compacted log is dropped (Kafka rejects them on
//     produce; they can only exist from before the policy changed);
//   - control batches (transaction markers) are kept whole;
//   - records of transactional batches are kept and never enter the map:
//     without the aborted-transaction index a compactor cannot tell committed
//     from aborted data, and letting an aborted record shadow a committed one
//     would lose the committed value for read_committed readers;
//   - a batch keeps its header fields (base offset, leader epoch, attributes,
//     base timestamp, producer id/epoch, base sequence, lastOffsetDelta) and
//     its codec; only recordsCount, the records, maxTimestamp and the CRC
//     change. If no record survives the batch is removed, unless the caller
//     asks to keep it as an empty batch (the newest batch of an idempotent
//     producer, whose sequence range later exactly-once work needs).
//
// Nothing here does I/O. Thread-compatible.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "keel/common/record_batch.h"

namespace keel::storage {

// Record key -> offset of its newest record. Memory is accounted as key
// bytes plus a fixed per-entry overhead, so the cleaner can bound one round
// by log.cleaner.dedupe.buffer.size.
class OffsetMap {
 public:
  static constexpr size_t kEntryOverhead = 64;

  // Records `offset` for `key` unless a larger offset is already there.
  void Put(std::span<const uint8_t> key, int64_t offset);
  std::optional<int64_t> Get(std::span<const uint8_t> key) const;
  size_t size() const { return map_.size(); }
  size_t memory_bytes() const { return bytes_; }

 private:
  absl::flat_hash_map<std::string, int64_t> map_;
  size_t bytes_ = 0;
};

// Adds the keyed records of one stored batch to `map` (control and
// transactional batches add nothing). DataLoss for malformed records.
absl::Status AddBatchToOffsetMap(std::span<const uint8_t> batch, const BatchHeader& header,
                                 OffsetMap& map);

struct CompactionRules {
  int64_t now_ms = 0;
  int64_t delete_retention_ms = 0;
};

struct FilteredBatch {
  enum class Outcome {
    kUnchanged,  // every record survives: store the original bytes
    kRewritten,  // `bytes` holds the batch with the survivors
    kEmptied,    // no record survives; `bytes` holds an empty batch to keep
    kRemoved,    // no record survives and the batch goes
  };
  Outcome outcome = Outcome::kUnchanged;
  std::vector<uint8_t> bytes;
  int64_t records_kept = 0;
  int64_t records_removed = 0;
  // Earliest time a tombstone kept here may be dropped (INT64_MAX if none).
  int64_t next_tombstone_expiry_ms = std::numeric_limits<int64_t>::max();
};

// Applies the rules above to one stored batch. `keep_empty` asks for an
// empty batch instead of removal when nothing survives.
absl::StatusOr<FilteredBatch> FilterBatch(std::span<const uint8_t> batch, const BatchHeader& header,
                                          const OffsetMap& map, const CompactionRules& rules,
                                          bool keep_empty);

}  // namespace keel::storage
