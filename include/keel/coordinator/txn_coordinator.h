// TxnCoordinator: Kafka's transaction coordinator for every transactional id
// of this broker.
//
// State machine per transactional id (Kafka's): Empty -> Ongoing (first
// AddPartitionsToTxn/AddOffsetsToTxn) -> PrepareCommit | PrepareAbort
// (EndTxn, a timeout, or a new producer fencing the old one) -> markers
// written into every partition of the transaction -> CompleteCommit |
// CompleteAbort -> Ongoing again with the next transaction.
//
// Durability: every state change is a record in __transaction_state (through
// a CoordinatorLog) and takes effect, and is answered, only once the record
// is durable. The decision (Prepare*) is durable before any marker is
// written, so a crash between the decision and the markers is completed on
// the next start: FinishLoading() resumes every Prepare* transaction. Ongoing
// transactions found on start are aborted when their timeout passes.
//
// Fencing: InitProducerId bumps the epoch of a transactional id (aborting an
// open transaction under the new epoch, whose markers fence the old producer
// on every partition); requests with an older epoch get PRODUCER_FENCED.
// Produce and TxnOffsetCommit check through VerifyPartition that the
// producer's current transaction contains the partition (KIP-890's
// verification), so a zombie or a confused client cannot leave a
// transaction open on a partition the coordinator does not know about.
//
// Time: the owner calls Tick() periodically (timeouts, retries of failed
// marker writes, expiry of idle ids after transactional.id.expiration.ms),
// and RetryDueMarkers() often (every ~100 ms): it retries the completions
// whose marker writes failed, with exponential backoff (marker_retry_*), so
// a transaction does not wait for the next Tick; while a log dir stays
// offline it tries at most once per marker_retry_max_backoff_ms.
//
// Thread-safety: every public method is thread-safe (one mutex). Callbacks
// (`done`) are never run with the lock held and may run on any thread.
// Lifetime: the log, marker writer and clock must outlive this object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "keel/common/types.h"
#include "keel/coordinator/clock.h"
#include "keel/coordinator/coordinator_log.h"
#include "keel/coordinator/txn_error.h"
#include "keel/coordinator/txn_marker_writer.h"
#include "keel/coordinator/txn_records.h"

namespace keel::coordinator {

struct TxnCoordinatorConfig {
  int64_t max_timeout_ms = 900000;                      // transaction.max.timeout.ms
  int64_t id_expiration_ms = 7LL * 24 * 3600 * 1000;    // transactional.id.expiration.ms
  // Failed marker writes (or a failed Complete* record) are retried after
  // this backoff, doubled at every further failure up to the maximum.
  int64_t marker_retry_backoff_ms = 100;
  int64_t marker_retry_max_backoff_ms = 5000;
};

struct InitProducerIdResult {
  TxnError error = TxnError::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

struct TxnListing {
  std::string transactional_id;
  int64_t producer_id = -1;
  TxnState state = TxnState::kEmpty;
};

class TxnCoordinator {
 public:
  // Hands out a fresh producer id (never reused); may block on an fsync.
  using ProducerIdSource = std::function<absl::StatusOr<int64_t>()>;

  TxnCoordinator(TxnCoordinatorConfig config, CoordinatorLog* log, TxnMarkerWriter* markers,
                 ProducerIdSource producer_ids, const Clock* clock);
  ~TxnCoordinator();
  TxnCoordinator(const TxnCoordinator&) = delete;
  TxnCoordinator& operator=(const TxnCoordinator&) = delete;

  // ---- loading ----
  // Applies one stored record (start-up replay; newest wins). Unknown key
  // versions are skipped (Ok); malformed records return DataLoss.
  absl::Status ReplayStored(std::span<const uint8_t> key,
                            std::optional<std::span<const uint8_t>> value);
  // Ends loading and resumes the completion of every Prepare* transaction
  // (markers, then Complete*). Call once the group coordinator is loaded.
  void FinishLoading();

  // ---- client APIs ----
  // `request_producer_id/epoch` are InitProducerId v3+'s (KIP-360), -1 if
  // absent. May answer kConcurrentTransactions while it aborts an open
  // transaction of the id; the client retries.
  void InitProducerId(const std::string& transactional_id, int32_t timeout_ms,
                      int64_t request_producer_id, int16_t request_producer_epoch,
                      absl::AnyInvocable<void(InitProducerIdResult)> done);
  // Adds partitions to the producer's transaction (AddPartitionsToTxn, and
  // AddOffsetsToTxn with the group's __consumer_offsets partition).
  void AddPartitions(const std::string& transactional_id, int64_t producer_id,
                     int16_t producer_epoch, std::vector<TopicPartition> partitions,
                     absl::AnyInvocable<void(TxnError)> done);
  // Commits or aborts the producer's transaction. Answered once the decision
  // is durable and the markers are written (or failed: the decision stands
  // and markers are retried).
  void EndTxn(const std::string& transactional_id, int64_t producer_id, int16_t producer_epoch,
              bool commit, absl::AnyInvocable<void(TxnError)> done);
  // Whether a transactional write of (producer id, epoch) to `tp` belongs to
  // the producer's open transaction. `transactional_id` (TxnOffsetCommit)
  // is checked against the producer id when given.
  TxnError VerifyPartition(const std::optional<std::string>& transactional_id,
                           int64_t producer_id, int16_t producer_epoch,
                           const TopicPartition& tp) const;

  // ---- admin views ----
  std::optional<TxnMetadata> Describe(const std::string& transactional_id) const;
  // `states` (Kafka names) and `producer_ids` filter when non-empty;
  // `min_duration_ms` >= 0 keeps transactions running at least that long.
  std::vector<TxnListing> List(const std::vector<TxnState>& states,
                               const std::vector<int64_t>& producer_ids,
                               int64_t min_duration_ms) const;

  // ---- time ----
  void Tick();
  // Retries the completions (markers, then Complete*) whose backoff after a
  // failure has passed. Cheap when nothing failed.
  void RetryDueMarkers();

  // ---- introspection (tests) ----
  size_t size() const;

 private:
  struct Entry;
  struct Deferred;
  using Then = absl::AnyInvocable<void(absl::Status, Deferred&)>;

  Entry* Find(const std::string& id);
  const Entry* Find(const std::string& id) const;
  int32_t PartitionOf(const std::string& id) const;
  // Whether `e` exists (loaded) and (producer id, epoch) is its current
  // producer: the checks every request of an ongoing producer starts with.
  TxnError CheckProducer(const Entry* e, int64_t producer_id, int16_t producer_epoch) const;
  // InitProducerId's refusals before any state changes (kNone: go ahead).
  TxnError CheckInitProducerId(const Entry* e, const std::string& transactional_id,
                               int32_t timeout_ms, int64_t request_producer_id,
                               int16_t request_producer_epoch) const;
  // The producer id and epoch InitProducerId hands out next: `e`'s epoch
  // bumped, or a fresh id at epoch 0 (new id, or epoch about to overflow).
  absl::StatusOr<TxnMetadata> NextProducerOf(const Entry* e);
  // Writes `next` as the id's new Empty state (creating the entry if `e` is
  // null) and answers `done` once durable.
  void WriteNewProducer(Entry* e, const std::string& transactional_id, int32_t timeout_ms,
                        TxnMetadata next, absl::AnyInvocable<void(InitProducerIdResult)> done,
                        Deferred& d);
  // Writes `next` as the id's new state; applies it and runs `then` once
  // durable (or runs `then` with the error, state unchanged).
  void WriteState(Entry& e, TxnMetadata next, Then then, Deferred& d);
  void WriteTombstone(Entry& e, Deferred& d);
  void OnStateDurable(const std::string& id, TxnMetadata next, bool tombstone, absl::Status st,
                      Then then);
  // Appends run under mu_. A failed append may complete earlier writes on
  // this very thread (a storage log hitting an I/O error takes its log dir
  // offline and fails every waiter there inline): OnStateDurable then
  // queues the completion instead of locking mu_ again, and
  // EndAppendLocked hands the queue to `d`, run once the lock is released.
  void BeginAppendLocked() { appending_thread_.store(std::this_thread::get_id()); }
  void EndAppendLocked(Deferred& d);
  // Moves an open transaction to PrepareAbort under a bumped epoch (fencing
  // the producer that had it), then completes it.
  void FenceAndAbort(Entry& e, Deferred& d);
  // Prepare* -> markers -> Complete*.
  void StartCompletion(Entry& e, Deferred& d);
  void OnMarkersWritten(const std::string& id, int64_t producer_id, int16_t epoch,
                        absl::Status st);
  // After a failed completion step of `e`: the next try after the current
  // backoff (doubled each time, capped); after a success: backoff reset.
  void ScheduleRetry(Entry& e, int64_t now);
  void ClearRetry(Entry& e);
  void RunDeferred(Deferred& d);

  const TxnCoordinatorConfig config_;
  CoordinatorLog* const log_;
  TxnMarkerWriter* const markers_;
  ProducerIdSource producer_ids_;
  const Clock* const clock_;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> txns_;
  std::map<int64_t, std::string> by_producer_;  // producer id -> transactional id
  std::set<std::string, std::less<>> retrying_;  // ids with a failed completion step
  bool loaded_ = false;
  // The thread appending under mu_ and the completions its append delivered
  // inline (touched only by that thread).
  std::atomic<std::thread::id> appending_thread_{};
  std::vector<absl::AnyInvocable<void()>> inline_completions_;
};

}  // namespace keel::coordinator
