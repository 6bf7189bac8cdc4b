// Per-partition state of idempotent producers: for each producer id, its
// epoch and the sequence/offset ranges of its last five batches, so a retried
// batch is recognized and answered with its original offsets instead of
// being written twice (Kafka's ProducerStateManager).
//
// Rules (Kafka's, for batches that carry a producer id and are not control
// batches), checked in this order:
//   - epoch lower than the known one              -> kInvalidEpoch (fenced)
//   - same epoch, (first, last) sequence equal to one of the cached batches
//                                                 -> kDuplicate (with its offsets)
//   - epoch higher than the known one: the first sequence must be 0
//                                                 -> else kOutOfOrderSequence
//   - unknown producer (no state): the first sequence must be 0
//                                                 -> else kUnknownProducer
//   - same epoch: first sequence = last sequence + 1 (wrapping after
//     INT32_MAX to 0)                             -> else kOutOfOrderSequence
// Entries are dropped after `producer.id.expiration.ms` without appends.
//
// The table is rebuilt on open from a snapshot (written at segment roll and
// clean close) plus the batch headers after the snapshot's offset, or from
// the whole log if there is no usable snapshot.
//
// Transactions: a producer's first transactional batch opens a transaction
// at its base offset; its COMMIT or ABORT marker (a control batch) closes
// it, and an ABORT is remembered as an AbortedTxn until retention passes it.
// A marker with a newer epoch fences the older one, as in Kafka.
//
// Thread-compatible: the owning Log guards it with its mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/record_batch.h"

namespace keel::storage {

struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
};

struct ProducerEntry {
  int16_t epoch = -1;
  std::deque<ProducerBatch> batches;  // oldest first, at most kMaxCachedBatches
  int64_t last_append_ms = -1;        // wall clock of the newest batch (expiry)
  // First offset of the producer's open transaction, -1 if none. Set by its
  // first transactional batch, cleared by its COMMIT/ABORT marker.
  int64_t txn_first_offset = -1;
};

// A transaction that ended with an ABORT marker: read_committed consumers
// drop this producer's records in [first_offset, last_offset].
struct AbortedTxn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;  // the ABORT marker's offset
  bool operator==(const AbortedTxn&) const = default;
};

// The type of a transaction marker (the key of a control batch's record).
enum class ControlType { kAbort = 0, kCommit = 1 };
// Reads the marker type of a control batch; nullopt if it is not a
// well-formed transaction marker.
std::optional<ControlType> ParseControlType(std::span<const uint8_t> batch);

enum class ProducerCheck {
  kOk,
  kDuplicate,
  kInvalidEpoch,
  kOutOfOrderSequence,
  kUnknownProducer,
};

struct ProducerCheckResult {
  ProducerCheck outcome = ProducerCheck::kOk;
  ProducerBatch duplicate_of;  // for kDuplicate
  std::string message;         // for errors
};

// Log::Append reports a refused idempotent batch as FailedPrecondition
// carrying the ProducerCheck; the protocol layer maps it to Kafka's error.
absl::Status ProducerCheckError(ProducerCheck check, std::string_view message);
std::optional<ProducerCheck> ProducerCheckOf(const absl::Status& status);

class ProducerStateTable {
 public:
  static constexpr size_t kMaxCachedBatches = 5;

  // Judges a batch about to be appended (header of an idempotent, non-control
  // batch: producer_id >= 0). Does not change the table.
  ProducerCheckResult Check(const BatchHeader& batch) const;
  // Records an appended batch (offsets assigned): any batch with a producer id.
  // `control` is the marker type of a control batch.
  void Apply(const BatchHeader& batch, int64_t append_ms,
             std::optional<ControlType> control = std::nullopt);
  // The first offset of the oldest open transaction; nullopt if none. The
  // last stable offset (LSO) is min(this, high watermark). O(1): read from
  // an ordered index of the open transactions, kept by Apply, Clear and
  // DecodeSnapshot.
  std::optional<int64_t> FirstUnstableOffset() const;
  // Like FirstUnstableOffset, but a transaction also counts as undecided
  // while its COMMIT/ABORT marker is at or above the last offset passed to
  // MarkDurableBelow (the high watermark): a power cut could still lose the
  // marker and reopen the transaction. Log compaction cleans only below it.
  std::optional<int64_t> FirstUndecidedOffset() const;
  // Markers below `high_watermark` are durable: forgets the transactions
  // they closed from the undecided set. Called whenever the HW moves.
  void MarkDurableBelow(int64_t high_watermark);
  // Forgets the aborted transaction of `producer_id` whose ABORT marker is
  // at `marker_offset` (compaction removed the marker, and with it the last
  // trace of the transaction). No-op if there is none.
  void ForgetAborted(int64_t producer_id, int64_t marker_offset);
  // Aborted transactions a fetch of [from, to) must report: those with
  // last_offset >= from and first_offset < to, oldest first.
  std::vector<AbortedTxn> AbortedTransactions(int64_t from, int64_t to) const;
  // Forgets aborted transactions wholly below `log_start` (retention).
  void PruneAborted(int64_t log_start);
  // Drops producers idle since before now_ms - expiration_ms (never one with
  // an open transaction). Returns how many.
  size_t Expire(int64_t now_ms, int64_t expiration_ms);
  void Clear() {
    entries_.clear();
    aborted_.clear();
    open_txns_.clear();
    undurable_txns_.clear();
  }

  const ProducerEntry* Find(int64_t producer_id) const;
  size_t size() const { return entries_.size(); }
  const std::map<int64_t, ProducerEntry>& entries() const { return entries_; }
  const std::vector<AbortedTxn>& aborted() const { return aborted_; }

  // Snapshot file contents: the table as of `offset` (every batch below it
  // applied). Binary, CRC-32C protected (docs/storage-format.md).
  std::string EncodeSnapshot(int64_t offset) const;
  // DataLoss if malformed or the CRC does not match. Returns the offset.
  absl::StatusOr<int64_t> DecodeSnapshot(std::string_view bytes);

 private:
  // Sets `e`'s txn_first_offset (-1: none) and keeps open_txns_ in step.
  void SetTxnFirstOffset(int64_t producer_id, ProducerEntry& e, int64_t first_offset);

  std::map<int64_t, ProducerEntry> entries_;
  std::vector<AbortedTxn> aborted_;  // by marker offset
  // (txn_first_offset, producer id) of every entry with an open transaction.
  std::set<std::pair<int64_t, int64_t>> open_txns_;
  // (marker offset, first offset) of transactions closed by a marker not yet
  // known to be below the high watermark. Not in snapshots: a log is opened
  // with HW = log end, so every marker read back from disk is durable.
  std::set<std::pair<int64_t, int64_t>> undurable_txns_;
};

}  // namespace keel::storage
