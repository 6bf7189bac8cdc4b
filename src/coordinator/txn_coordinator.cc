#include "keel/coordinator/txn_coordinator.h"

#include <algorithm>
#include <limits>

#include "keel/common/logging.h"
#include "keel/common/status_macros.h"
#include "keel/coordinator/group_records.h"

namespace keel::coordinator {
namespace {

// Kafka moves to a new producer id instead of bumping past this epoch.
constexpr int16_t kMaxEpochBeforeNewId = std::numeric_limits<int16_t>::max() - 1;

bool IsPrepare(TxnState s) {
  return s == TxnState::kPrepareCommit || s == TxnState::kPrepareAbort ||
         s == TxnState::kPrepareEpochFence;
}

}  // namespace

struct TxnCoordinator::Entry {
  TxnMetadata meta;          // the state as last made durable
  bool writing = false;      // a state record is in flight
  bool completing = false;   // markers are being written
  int64_t retry_at_ms = 0;   // earliest retry of a failed completion
  int64_t retry_backoff_ms = 0;  // the last backoff; 0 while nothing failed
  std::vector<absl::AnyInvocable<void(TxnError)>> end_waiters;  // EndTxn answers
};

// Work to run once the lock is released.
struct TxnCoordinator::Deferred {
  std::vector<absl::AnyInvocable<void()>> calls;

  // Queues done(value), to run once the lock is released.
  template <typename T>
  void Answer(absl::AnyInvocable<void(T)>& done, T value) {
    calls.push_back([done = std::move(done), value]() mutable { done(value); });
  }
};

TxnCoordinator::TxnCoordinator(TxnCoordinatorConfig config, CoordinatorLog* log,
                               TxnMarkerWriter* markers, ProducerIdSource producer_ids,
                               const Clock* clock)
    : config_(config),
      log_(log),
      markers_(markers),
      producer_ids_(std::move(producer_ids)),
      clock_(clock) {}

TxnCoordinator::~TxnCoordinator() = default;

TxnCoordinator::Entry* TxnCoordinator::Find(const std::string& id) {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : it->second.get();
}

const TxnCoordinator::Entry* TxnCoordinator::Find(const std::string& id) const {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : it->second.get();
}

int32_t TxnCoordinator::PartitionOf(const std::string& id) const {
  return PartitionForGroup(id, std::max(1, log_->partition_count()));
}

void TxnCoordinator::RunDeferred(Deferred& d) {
  for (auto& call : d.calls) call();
}

// ---------------------------------------------------------------- records

void TxnCoordinator::WriteState(Entry& e, TxnMetadata next, Then then, Deferred& d) {
  const std::string id = next.transactional_id;
  const int32_t partition = PartitionOf(id);
  CoordinatorRecord record = TxnStateRecord(next);
  BeginAppendLocked();
  auto appended = log_->Append(partition, std::span<const CoordinatorRecord>(&record, 1));
  EndAppendLocked(d);
  if (!appended.ok()) {
    ModuleLogger("txn")->warn("cannot write the state of transactional id {}: {}", id,
                              appended.status().ToString());
    then(appended.status(), d);
    return;
  }
  e.writing = true;
  d.calls.push_back([this, partition, offset = *appended, id, next = std::move(next),
                     then = std::move(then)]() mutable {
    log_->WaitDurable(partition, offset,
                      [this, id, next = std::move(next), then = std::move(then)](
                          absl::Status st) mutable {
                        OnStateDurable(id, std::move(next), /*tombstone=*/false, std::move(st),
                                       std::move(then));
                      });
  });
}

void TxnCoordinator::WriteTombstone(Entry& e, Deferred& d) {
  const std::string id = e.meta.transactional_id;
  const int32_t partition = PartitionOf(id);
  CoordinatorRecord record = TxnTombstone(id);
  BeginAppendLocked();
  auto appended = log_->Append(partition, std::span<const CoordinatorRecord>(&record, 1));
  EndAppendLocked(d);
  if (!appended.ok()) return;  // tried again at the next expiry check
  e.writing = true;
  d.calls.push_back([this, partition, offset = *appended, id]() mutable {
    log_->WaitDurable(partition, offset, [this, id](absl::Status st) mutable {
      OnStateDurable(id, TxnMetadata{}, /*tombstone=*/true, std::move(st), nullptr);
    });
  });
}

void TxnCoordinator::EndAppendLocked(Deferred& d) {
  appending_thread_.store(std::thread::id());
  for (auto& call : inline_completions_) d.calls.push_back(std::move(call));
  inline_completions_.clear();
}

void TxnCoordinator::OnStateDurable(const std::string& id, TxnMetadata next, bool tombstone,
                                    absl::Status st, Then then) {
  if (appending_thread_.load() == std::this_thread::get_id()) {
    // Delivered by an append this thread makes while holding mu_.
    inline_completions_.push_back([this, id, next = std::move(next), tombstone, st = std::move(st),
                                   then = std::move(then)]() mutable {
      OnStateDurable(id, std::move(next), tombstone, std::move(st), std::move(then));
    });
    return;
  }
  Deferred d;
  {
    std::lock_guard lock(mu_);
    if (Entry* e = Find(id)) {
      e->writing = false;
      if (!st.ok()) {
        ModuleLogger("txn")->warn("state of transactional id {} not durable: {}", id,
                                  st.ToString());
      } else if (tombstone) {
        auto owner = by_producer_.find(e->meta.producer_id);
        if (owner != by_producer_.end() && owner->second == id) by_producer_.erase(owner);
        txns_.erase(id);
      } else {
        if (e->meta.producer_id != next.producer_id) {
          auto owner = by_producer_.find(e->meta.producer_id);
          if (owner != by_producer_.end() && owner->second == id) by_producer_.erase(owner);
        }
        by_producer_[next.producer_id] = id;
        e->meta = std::move(next);
      }
    }
    if (then) then(st, d);
  }
  RunDeferred(d);
}

absl::Status TxnCoordinator::ReplayStored(std::span<const uint8_t> key,
                                          std::optional<std::span<const uint8_t>> value) {
  auto decoded = DecodeTxnRecord(key, value);
  if (!decoded.ok()) {
    if (decoded.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
    return decoded.status();
  }
  std::lock_guard lock(mu_);
  const std::string& id = decoded->transactional_id;
  Entry* e = Find(id);
  if (e) {
    auto owner = by_producer_.find(e->meta.producer_id);
    if (owner != by_producer_.end() && owner->second == id) by_producer_.erase(owner);
  }
  if (!decoded->meta) {
    txns_.erase(id);
    return absl::OkStatus();
  }
  if (!e) {
    auto& slot = txns_[id];
    slot = std::make_unique<Entry>();
    e = slot.get();
  }
  e->meta = std::move(*decoded->meta);
  by_producer_[e->meta.producer_id] = id;
  return absl::OkStatus();
}

void TxnCoordinator::FinishLoading() {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    loaded_ = true;
    for (auto& [id, e] : txns_) {
      if (IsPrepare(e->meta.state)) {
        ModuleLogger("txn")->info("completing transaction of {} (producer {} epoch {}): {}", id,
                                  e->meta.producer_id, e->meta.producer_epoch,
                                  TxnStateName(e->meta.state));
        StartCompletion(*e, d);
      }
    }
  }
  RunDeferred(d);
}

// ---------------------------------------------------------------- completion

void TxnCoordinator::FenceAndAbort(Entry& e, Deferred& d) {
  TxnMetadata next = e.meta;
  if (next.producer_epoch < std::numeric_limits<int16_t>::max()) ++next.producer_epoch;
  next.state = TxnState::kPrepareAbort;
  next.last_update_ms = clock_->NowMs();
  const std::string id = next.transactional_id;
  WriteState(e, std::move(next),
             [this, id](absl::Status st, Deferred& d) {
               if (!st.ok()) return;  // still Ongoing: Tick tries again
               if (Entry* e = Find(id)) StartCompletion(*e, d);
             },
             d);
}

void TxnCoordinator::StartCompletion(Entry& e, Deferred& d) {
  if (e.completing || !IsPrepare(e.meta.state)) return;
  e.completing = true;
  const bool commit = e.meta.state == TxnState::kPrepareCommit;
  std::vector<TopicPartition> partitions(e.meta.partitions.begin(), e.meta.partitions.end());
  d.calls.push_back([this, id = e.meta.transactional_id, pid = e.meta.producer_id,
                     epoch = e.meta.producer_epoch, commit,
                     partitions = std::move(partitions)]() mutable {
    markers_->WriteMarkers(pid, epoch, commit, std::move(partitions),
                           [this, id, pid, epoch](absl::Status st) {
                             OnMarkersWritten(id, pid, epoch, std::move(st));
                           });
  });
}

void TxnCoordinator::OnMarkersWritten(const std::string& id, int64_t producer_id, int16_t epoch,
                                      absl::Status st) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    Entry* e = Find(id);
    if (!e) return;
    e->completing = false;
    if (e->meta.producer_id != producer_id || e->meta.producer_epoch != epoch ||
        !IsPrepare(e->meta.state)) {
      return;  // superseded
    }
    // The decision is durable either way, so EndTxn is answered now.
    for (auto& w : e->end_waiters) {
      d.calls.push_back([w = std::move(w)]() mutable { w(TxnError::kNone); });
    }
    e->end_waiters.clear();
    const int64_t now = clock_->NowMs();
    if (!st.ok()) {
      ModuleLogger("txn")->warn("markers of transactional id {} (producer {}) not written: {}; "
                                "retrying",
                                id, producer_id, st.ToString());
      ScheduleRetry(*e, now);
    } else {
      TxnMetadata next = e->meta;
      next.state = e->meta.state == TxnState::kPrepareCommit ? TxnState::kCompleteCommit
                                                             : TxnState::kCompleteAbort;
      next.partitions.clear();
      next.last_update_ms = now;
      WriteState(*e, std::move(next),
                 [this, id](absl::Status st, Deferred&) {
                   Entry* e = Find(id);
                   if (!e) return;
                   if (st.ok()) {
                     ClearRetry(*e);
                   } else {
                     ScheduleRetry(*e, clock_->NowMs());
                   }
                 },
                 d);
    }
  }
  RunDeferred(d);
}

void TxnCoordinator::ScheduleRetry(Entry& e, int64_t now) {
  e.retry_backoff_ms = e.retry_backoff_ms <= 0
                           ? config_.marker_retry_backoff_ms
                           : std::min(e.retry_backoff_ms * 2, config_.marker_retry_max_backoff_ms);
  e.retry_at_ms = now + e.retry_backoff_ms;
  retrying_.insert(e.meta.transactional_id);
}

void TxnCoordinator::ClearRetry(Entry& e) {
  e.retry_backoff_ms = 0;
  e.retry_at_ms = 0;
  retrying_.erase(e.meta.transactional_id);
}

void TxnCoordinator::RetryDueMarkers() {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    if (!loaded_ || retrying_.empty()) return;
    const int64_t now = clock_->NowMs();
    for (auto it = retrying_.begin(); it != retrying_.end();) {
      Entry* e = Find(*it);
      if (!e || !IsPrepare(e->meta.state)) {  // completed or superseded meanwhile
        if (e) e->retry_backoff_ms = 0;
        it = retrying_.erase(it);
        continue;
      }
      if (!e->writing && !e->completing && now >= e->retry_at_ms) StartCompletion(*e, d);
      ++it;
    }
  }
  RunDeferred(d);
}

// ---------------------------------------------------------------- client APIs

TxnError TxnCoordinator::CheckProducer(const Entry* e, int64_t producer_id,
                                       int16_t producer_epoch) const {
  if (!loaded_) return TxnError::kCoordinatorLoadInProgress;
  if (!e || e->meta.producer_id < 0 || e->meta.state == TxnState::kDead) {
    return TxnError::kInvalidProducerIdMapping;
  }
  if (e->meta.producer_id != producer_id) return TxnError::kInvalidProducerIdMapping;
  if (e->meta.producer_epoch != producer_epoch) return TxnError::kProducerFenced;
  return TxnError::kNone;
}

TxnError TxnCoordinator::CheckInitProducerId(const Entry* e, const std::string& transactional_id,
                                             int32_t timeout_ms, int64_t request_producer_id,
                                             int16_t request_producer_epoch) const {
  if (!loaded_) return TxnError::kCoordinatorLoadInProgress;
  if (transactional_id.empty()) return TxnError::kInvalidRequest;
  if (timeout_ms <= 0 || timeout_ms > config_.max_timeout_ms) {
    return TxnError::kInvalidTransactionTimeout;
  }
  if (!e) return TxnError::kNone;
  if (e->writing || e->completing || IsPrepare(e->meta.state)) {
    return TxnError::kConcurrentTransactions;
  }
  // KIP-360: only the current producer may bump its own epoch.
  if (request_producer_id >= 0 && request_producer_id != e->meta.producer_id) {
    return TxnError::kInvalidProducerIdMapping;
  }
  if (request_producer_id >= 0 && request_producer_epoch != e->meta.producer_epoch) {
    return TxnError::kProducerFenced;
  }
  return TxnError::kNone;
}

absl::StatusOr<TxnMetadata> TxnCoordinator::NextProducerOf(const Entry* e) {
  TxnMetadata next;
  if (e && e->meta.producer_id >= 0 && e->meta.state != TxnState::kDead &&
      e->meta.producer_epoch < kMaxEpochBeforeNewId) {
    next = e->meta;
    ++next.producer_epoch;
    return next;
  }
  KEEL_ASSIGN_OR_RETURN(next.producer_id, producer_ids_());
  next.producer_epoch = 0;
  return next;
}

void TxnCoordinator::WriteNewProducer(Entry* e, const std::string& transactional_id,
                                      int32_t timeout_ms, TxnMetadata next,
                                      absl::AnyInvocable<void(InitProducerIdResult)> done,
                                      Deferred& d) {
  next.transactional_id = transactional_id;
  next.timeout_ms = timeout_ms;
  next.state = TxnState::kEmpty;
  next.partitions.clear();
  next.last_update_ms = clock_->NowMs();
  next.start_ms = -1;
  if (!e) {
    auto& slot = txns_[transactional_id];
    slot = std::make_unique<Entry>();
    slot->meta = next;
    slot->meta.producer_id = -1;  // not durable yet
    e = slot.get();
  }
  const int64_t pid = next.producer_id;
  const int16_t epoch = next.producer_epoch;
  WriteState(*e, std::move(next),
             [done = std::move(done), pid, epoch](absl::Status st, Deferred& d) mutable {
               InitProducerIdResult r;
               if (st.ok()) {
                 r.producer_id = pid;
                 r.producer_epoch = epoch;
               } else {
                 r.error = TxnError::kCoordinatorNotAvailable;
               }
               d.Answer(done, r);
             },
             d);
}

void TxnCoordinator::InitProducerId(const std::string& transactional_id, int32_t timeout_ms,
                                    int64_t request_producer_id, int16_t request_producer_epoch,
                                    absl::AnyInvocable<void(InitProducerIdResult)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    Entry* e = Find(transactional_id);
    if (TxnError err = CheckInitProducerId(e, transactional_id, timeout_ms, request_producer_id,
                                           request_producer_epoch);
        err != TxnError::kNone) {
      d.Answer(done, InitProducerIdResult{err});
    } else if (e && e->meta.state == TxnState::kOngoing) {
      // A new producer instance: abort the open transaction under a bumped
      // epoch (fencing the old instance); the client retries until done.
      ModuleLogger("txn")->info("transactional id {}: new producer, aborting the open "
                                "transaction of epoch {}",
                                transactional_id, e->meta.producer_epoch);
      FenceAndAbort(*e, d);
      d.Answer(done, InitProducerIdResult{TxnError::kConcurrentTransactions});
    } else if (auto next = NextProducerOf(e); !next.ok()) {
      ModuleLogger("txn")->error("cannot reserve a producer id: {}", next.status().ToString());
      d.Answer(done, InitProducerIdResult{TxnError::kCoordinatorNotAvailable});
    } else {
      WriteNewProducer(e, transactional_id, timeout_ms, *std::move(next), std::move(done), d);
    }
  }
  RunDeferred(d);
}

void TxnCoordinator::AddPartitions(const std::string& transactional_id, int64_t producer_id,
                                   int16_t producer_epoch, std::vector<TopicPartition> partitions,
                                   absl::AnyInvocable<void(TxnError)> done) {
  Deferred d;
  auto reply = [&d, &done](TxnError err) { d.Answer(done, err); };
  {
    std::lock_guard lock(mu_);
    Entry* e = Find(transactional_id);
    if (TxnError err = CheckProducer(e, producer_id, producer_epoch); err != TxnError::kNone) {
      reply(err);
    } else if (e->writing || e->completing || IsPrepare(e->meta.state)) {
      reply(TxnError::kConcurrentTransactions);
    } else {
      const bool ongoing = e->meta.state == TxnState::kOngoing;
      bool all_known = ongoing;
      for (const auto& tp : partitions) all_known = all_known && e->meta.partitions.contains(tp);
      if (all_known) {
        reply(TxnError::kNone);
      } else {
        TxnMetadata next = e->meta;
        const int64_t now = clock_->NowMs();
        if (!ongoing) {
          next.partitions.clear();
          next.start_ms = now;
        }
        next.state = TxnState::kOngoing;
        next.partitions.insert(partitions.begin(), partitions.end());
        next.last_update_ms = now;
        WriteState(*e, std::move(next),
                   [done = std::move(done)](absl::Status st, Deferred& d) mutable {
                     d.Answer(done,
                              st.ok() ? TxnError::kNone : TxnError::kCoordinatorNotAvailable);
                   },
                   d);
      }
    }
  }
  RunDeferred(d);
}

void TxnCoordinator::EndTxn(const std::string& transactional_id, int64_t producer_id,
                            int16_t producer_epoch, bool commit,
                            absl::AnyInvocable<void(TxnError)> done) {
  Deferred d;
  auto reply = [&d, &done](TxnError err) { d.Answer(done, err); };
  {
    std::lock_guard lock(mu_);
    Entry* e = Find(transactional_id);
    if (TxnError err = CheckProducer(e, producer_id, producer_epoch); err != TxnError::kNone) {
      reply(err);
    } else if (e->writing) {
      reply(TxnError::kConcurrentTransactions);
    } else {
      switch (e->meta.state) {
        case TxnState::kOngoing: {
          TxnMetadata next = e->meta;
          next.state = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
          next.last_update_ms = clock_->NowMs();
          const std::string id = transactional_id;
          WriteState(*e, std::move(next),
                     [this, id, done = std::move(done)](absl::Status st, Deferred& d) mutable {
                       Entry* e = Find(id);
                       if (!st.ok() || !e) {
                         d.calls.push_back([done = std::move(done)]() mutable {
                           done(TxnError::kCoordinatorNotAvailable);
                         });
                         return;
                       }
                       e->end_waiters.push_back(std::move(done));
                       StartCompletion(*e, d);
                     },
                     d);
          break;
        }
        case TxnState::kPrepareCommit:
          reply(commit ? TxnError::kConcurrentTransactions : TxnError::kInvalidTxnState);
          break;
        case TxnState::kPrepareAbort:
        case TxnState::kPrepareEpochFence:
          reply(commit ? TxnError::kInvalidTxnState : TxnError::kConcurrentTransactions);
          break;
        case TxnState::kCompleteCommit:  // a retry of the answered EndTxn
          reply(commit ? TxnError::kNone : TxnError::kInvalidTxnState);
          break;
        case TxnState::kCompleteAbort:
          reply(commit ? TxnError::kInvalidTxnState : TxnError::kNone);
          break;
        case TxnState::kEmpty:
        case TxnState::kDead:
          reply(TxnError::kInvalidTxnState);
          break;
      }
    }
  }
  RunDeferred(d);
}

TxnError TxnCoordinator::VerifyPartition(const std::optional<std::string>& transactional_id,
                                         int64_t producer_id, int16_t producer_epoch,
                                         const TopicPartition& tp) const {
  std::lock_guard lock(mu_);
  if (!loaded_) return TxnError::kCoordinatorLoadInProgress;
  auto owner = by_producer_.find(producer_id);
  if (owner == by_producer_.end()) {
    return transactional_id ? TxnError::kInvalidProducerIdMapping : TxnError::kInvalidTxnState;
  }
  if (transactional_id && *transactional_id != owner->second) {
    return TxnError::kInvalidProducerIdMapping;
  }
  const Entry* e = Find(owner->second);
  if (!e) return TxnError::kInvalidTxnState;
  if (producer_epoch < e->meta.producer_epoch) {
    return transactional_id ? TxnError::kProducerFenced : TxnError::kInvalidProducerEpoch;
  }
  if (producer_epoch != e->meta.producer_epoch || e->meta.state != TxnState::kOngoing ||
      !e->meta.partitions.contains(tp)) {
    return TxnError::kInvalidTxnState;
  }
  return TxnError::kNone;
}

// ---------------------------------------------------------------- admin, time

std::optional<TxnMetadata> TxnCoordinator::Describe(const std::string& transactional_id) const {
  std::lock_guard lock(mu_);
  const Entry* e = Find(transactional_id);
  if (!e || e->meta.producer_id < 0) return std::nullopt;
  return e->meta;
}

std::vector<TxnListing> TxnCoordinator::List(const std::vector<TxnState>& states,
                                             const std::vector<int64_t>& producer_ids,
                                             int64_t min_duration_ms) const {
  std::lock_guard lock(mu_);
  const int64_t now = clock_->NowMs();
  std::vector<TxnListing> out;
  for (const auto& [id, e] : txns_) {
    const TxnMetadata& m = e->meta;
    if (m.producer_id < 0) continue;
    if (!states.empty() && std::find(states.begin(), states.end(), m.state) == states.end()) continue;
    if (!producer_ids.empty() &&
        std::find(producer_ids.begin(), producer_ids.end(), m.producer_id) == producer_ids.end()) {
      continue;
    }
    if (min_duration_ms >= 0 && (m.start_ms < 0 || now - m.start_ms < min_duration_ms)) continue;
    out.push_back(TxnListing{id, m.producer_id, m.state});
  }
  return out;
}

void TxnCoordinator::Tick() {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    if (!loaded_) return;
    const int64_t now = clock_->NowMs();
    for (auto& [id, e] : txns_) {
      if (e->writing || e->completing || e->meta.producer_id < 0) continue;
      const TxnMetadata& m = e->meta;
      if (IsPrepare(m.state)) {
        if (now >= e->retry_at_ms) StartCompletion(*e, d);
      } else if (m.state == TxnState::kOngoing) {
        if (m.start_ms >= 0 && now - m.start_ms > m.timeout_ms) {
          ModuleLogger("txn")->info("transaction of {} (producer {} epoch {}) timed out after {} "
                                    "ms: aborting",
                                    id, m.producer_id, m.producer_epoch, m.timeout_ms);
          FenceAndAbort(*e, d);
        }
      } else if (now - m.last_update_ms > config_.id_expiration_ms) {
        WriteTombstone(*e, d);
      }
    }
  }
  RunDeferred(d);
}

size_t TxnCoordinator::size() const {
  std::lock_guard lock(mu_);
  return txns_.size();
}

}  // namespace keel::coordinator
