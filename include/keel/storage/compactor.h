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
//   - the caller cleans only below the first offset of any transaction that
//     is still open or whose marker is not yet below the high watermark, so
//     every transactional batch seen here belongs to a decided transaction;
//   - a transactional batch of a COMMITTED transaction is compacted like any
//     other: its keyed records enter the map and shadow / are shadowed;
//   - a transactional batch of an ABORTED transaction (per the log's
//     aborted-transaction index) is removed whole and never enters the map,
//     so an aborted value can never shadow a committed one;
//   - a control batch (transaction marker) is kept while any batch of its
//     transaction is kept before it. Once none is, a first round stamps a
//     delete horizon into it (KIP-534: attribute bit 6 set, baseTimestamp =
//     now + delete.retention.ms, CRC recomputed); a later round at or after
//     the horizon removes it. The data is therefore gone for at least
//     delete.retention.ms before the marker goes, so a read_committed reader
//     that saw the aborted data also sees the marker that ends it. The
//     horizon lives in the batch itself, so it is as crash-safe as the
//     segment swap that wrote it, and recovery ignores it (it reads markers
//     by their records and maxTimestamp, both unchanged);
//   - a batch keeps its header fields (base offset, leader epoch, attributes,
//     base timestamp, producer id/epoch, base sequence, lastOffsetDelta) and
//     its codec; only recordsCount, the records, maxTimestamp and the CRC
//     change. If no record survives the batch is removed, unless the caller
//     asks to keep it as an empty batch (the newest batch of an idempotent or
//     transactional producer, whose sequence range the producer state needs
//     after a rebuild). An empty batch no longer asked for is removed. A kept
//     (even empty) transactional batch keeps its transaction's marker: replay
//     would otherwise see an open transaction that never ends.
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
#include "keel/storage/producer_state.h"

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

// Adds the keyed records of one stored batch to `map` (control batches add
// nothing). The caller skips batches of aborted transactions. DataLoss for
// malformed records.
absl::Status AddBatchToOffsetMap(std::span<const uint8_t> batch, const BatchHeader& header,
                                 OffsetMap& map);

// The aborted transactions of a log as a lookup: is the data batch of
// `producer_id` at `offset` part of an aborted transaction?
class AbortedTxnIndex {
 public:
  AbortedTxnIndex() = default;
  explicit AbortedTxnIndex(std::span<const AbortedTxn> aborted);
  // True iff an entry of `producer_id` has first_offset <= offset <= last_offset.
  bool IsAborted(int64_t producer_id, int64_t offset) const;

 private:
  // Per producer, (last_offset, first_offset) sorted by last_offset (one
  // producer's transactions never overlap).
  absl::flat_hash_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> by_producer_;
};

// Follows transactions through one compaction pass that visits batches in
// offset order from the log start: whether any batch of each producer's
// current transaction is kept in the output.
class TxnRetention {
 public:
  // A transactional data batch of `producer_id` was kept (possibly empty) or removed.
  void OnDataBatch(int64_t producer_id, bool kept);
  // A marker of `producer_id` ends its transaction: returns true if no batch
  // of that transaction was kept before it.
  bool OnMarker(int64_t producer_id);

 private:
  absl::flat_hash_map<int64_t, bool> kept_;  // producers inside a transaction
};

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
  // Earliest time a tombstone or marker kept here may be dropped (INT64_MAX
  // if none).
  int64_t next_tombstone_expiry_ms = std::numeric_limits<int64_t>::max();
};

// What the caller knows about one stored batch beyond its bytes.
struct BatchContext {
  // Keep an empty batch instead of removing it when nothing survives.
  bool keep_empty = false;
  // A transactional data batch of an aborted transaction: removed whole
  // (or emptied if keep_empty).
  bool aborted = false;
  // A control batch none of whose transaction's batches is kept before it.
  bool txn_empty = false;
};

// Applies the rules above to one stored batch.
absl::StatusOr<FilteredBatch> FilterBatch(std::span<const uint8_t> batch, const BatchHeader& header,
                                          const OffsetMap& map, const CompactionRules& rules,
                                          const BatchContext& context);

}  // namespace keel::storage
