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
// the whole log if there is no usable snapshot. Control batches end an
// epoch's sequence run the way Kafka's markers do only for transactions
// (later work); here they just refresh the producer's timestamp.
//
// Thread-compatible: the owning Log guards it with its mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

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
};

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
  void Apply(const BatchHeader& batch, int64_t append_ms);
  // Drops producers idle since before now_ms - expiration_ms. Returns how many.
  size_t Expire(int64_t now_ms, int64_t expiration_ms);
  void Clear() { entries_.clear(); }

  const ProducerEntry* Find(int64_t producer_id) const;
  size_t size() const { return entries_.size(); }
  const std::map<int64_t, ProducerEntry>& entries() const { return entries_; }

  // Snapshot file contents: the table as of `offset` (every batch below it
  // applied). Binary, CRC-32C protected (docs/storage-format.md).
  std::string EncodeSnapshot(int64_t offset) const;
  // DataLoss if malformed or the CRC does not match. Returns the offset.
  absl::StatusOr<int64_t> DecodeSnapshot(std::string_view bytes);

 private:
  std::map<int64_t, ProducerEntry> entries_;
};

}  // namespace keel::storage
