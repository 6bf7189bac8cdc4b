// GroupCoordinator: Kafka's classic consumer-group protocol and committed
// offsets for every group of this broker.
//
// Event sourcing. What must survive a restart (committed offsets, each
// completed generation's members and assignments, deletions) is written as
// records (group_records.h) to the group's partition of __consumer_offsets
// through a CoordinatorLog. A request first validates against the in-memory
// state and produces records; only when the log reports them durable does
// ReplayLocked() apply them and the caller get its answer. On start-up the
// loader feeds every stored record (ReplayStored()) through the same
// ReplayLocked() and then calls FinishLoading(). Replays of one partition
// apply in log order.
// Membership during a rebalance (who joined, pending callbacks, deadlines) is
// transient, as in Kafka, and lives only in memory.
//
// Group states: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
// JoinGroup and SyncGroup answer later (when the rebalance completes): their
// `done` callbacks run on whatever thread completes them (a request thread,
// the Tick() caller or the log's durability thread) and must be quick (post).
// Callbacks are never run with the coordinator's lock held.
//
// Time: the injected Clock. Every timer (a member's session, a pending
// member's join, a rebalance's join phase, a sync) has a precise deadline;
// the owner calls Tick() at NextDeadlineMs() (and at least periodically) to
// fire the due ones, and SetDeadlineWakeup() tells it when a new deadline
// is earlier than the one it waits for, as Kafka's timer wheel would fire.
// DeleteGroups and Describe fire a group's due timers themselves first, so
// their answers never depend on when the owner's Tick() ran. Nothing here starts
// threads or timers.
//
// Thread-safety: every public method is thread-safe (one mutex).
// Lifetime: the Clock and CoordinatorLog must outlive this object, and the
// log must complete or fail every WaitDurable before this is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "keel/common/types.h"
#include "keel/coordinator/clock.h"
#include "keel/coordinator/coordinator_log.h"
#include "keel/coordinator/group_error.h"
#include "keel/coordinator/group_records.h"

namespace keel::coordinator {

using Bytes = std::vector<uint8_t>;

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
// "Empty", "PreparingRebalance", ... as Kafka names them.
std::string_view GroupStateName(GroupState s);

struct GroupCoordinatorConfig {
  int64_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  int64_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int64_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
  int32_t offset_metadata_max_bytes = 4096;   // offset.metadata.max.bytes
};

struct Protocol {
  std::string name;
  Bytes metadata;
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;                   // empty on the first join
  std::optional<std::string> instance_id;  // group.instance.id (v5+)
  std::string protocol_type;
  std::vector<Protocol> protocols;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;       // -1 (v0): the session timeout
  std::string client_id;
  std::string client_host;
  bool require_known_member_id = false;    // v4+: MEMBER_ID_REQUIRED first
  bool supports_skip_assignment = false;   // v9+
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  Bytes metadata;
};

struct JoinResult {
  GroupError error = GroupError::kNone;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  bool skip_assignment = false;
  std::string member_id;
  std::vector<JoinMember> members;  // the leader's view (empty for followers)
};

struct SyncRequest {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::optional<std::string> protocol_type;  // v5+, checked if set
  std::optional<std::string> protocol_name;  // v5+, checked if set
  std::vector<std::pair<std::string, Bytes>> assignments;  // leader only
};

struct SyncResult {
  GroupError error = GroupError::kNone;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  Bytes assignment;
};

struct MemberIdentity {
  std::string member_id;
  std::optional<std::string> instance_id;
};

struct LeaveResult {
  GroupError error = GroupError::kNone;    // group-level
  std::vector<GroupError> members;         // one per requested member
};

struct OffsetCommitRequest {
  struct Partition {
    TopicPartition tp;
    Offset offset{-1};
    int32_t leader_epoch = -1;
    std::optional<std::string> metadata;
  };
  std::string group_id;
  int32_t generation = -1;                 // -1: simple (standalone) commit
  std::string member_id;
  std::optional<std::string> instance_id;
  int64_t retention_ms = -1;               // v2-4 retention_time_ms
  std::vector<Partition> partitions;
};

// TxnOffsetCommit: offsets committed inside a producer's transaction. They
// are pending (invisible to OffsetFetch) until the transaction's COMMIT
// marker reaches the group's partition of __consumer_offsets, and dropped
// by an ABORT marker.
struct TxnOffsetCommitRequest {
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t generation = -1;                 // v3+: -1 = not checked
  std::string member_id;                   // v3+: "" = not checked
  std::optional<std::string> instance_id;  // v3+
  std::vector<OffsetCommitRequest::Partition> partitions;
};

struct FetchedOffset {
  TopicPartition tp;
  Offset offset{-1};
  int32_t leader_epoch = -1;
  std::string metadata;
  GroupError error = GroupError::kNone;
};

struct OffsetFetchResult {
  GroupError error = GroupError::kNone;
  std::vector<FetchedOffset> offsets;
};

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // Stable groups only: metadata of the chosen protocol
  Bytes assignment;  // Stable groups only
};

struct GroupDescription {
  GroupError error = GroupError::kNone;
  std::string group_id;
  std::string state;         // "Dead" for an unknown group
  std::string protocol_type;
  std::string protocol;      // chosen protocol, Stable groups only
  std::vector<MemberDescription> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

class GroupCoordinator {
 public:
  using MemberIdGenerator = std::function<std::string(const std::string& client_id)>;

  // `log` and `clock` are not owned. `member_ids` defaults to
  // "<client_id>-<random UUID>" as Kafka forms them.
  GroupCoordinator(GroupCoordinatorConfig config, CoordinatorLog* log, const Clock* clock,
                   MemberIdGenerator member_ids = nullptr);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // ---- loading ----
  // Applies one stored record (start-up replay). Unknown record types are
  // skipped (Ok); malformed ones return DataLoss and change nothing.
  // `txn_producer_id` >= 0: the record came in a transactional batch of
  // that producer, so it stays pending until the producer's marker.
  absl::Status ReplayStored(std::span<const uint8_t> key,
                            std::optional<std::span<const uint8_t>> value,
                            int64_t txn_producer_id = -1);
  // A stored COMMIT/ABORT marker of `producer_id` in `partition`.
  void ReplayStoredMarker(int32_t partition, int64_t producer_id, bool commit);
  // Ends loading: loaded groups with members become Stable with fresh
  // session deadlines; groups without members are Empty.
  void FinishLoading();

  // ---- classic group protocol ----
  void Join(JoinRequest request, absl::AnyInvocable<void(JoinResult)> done);
  void Sync(SyncRequest request, absl::AnyInvocable<void(SyncResult)> done);
  GroupError Heartbeat(const std::string& group_id, int32_t generation,
                       const std::string& member_id,
                       const std::optional<std::string>& instance_id);
  LeaveResult Leave(const std::string& group_id, const std::vector<MemberIdentity>& members);

  // ---- offsets ----
  // `done` receives one error per request partition, in order, after the
  // records are durable (or failed).
  void CommitOffsets(OffsetCommitRequest request,
                     absl::AnyInvocable<void(std::vector<GroupError>)> done);
  // `partitions` nullopt: every committed offset of the group. Unknown
  // partitions (or groups) report offset -1 and no error, as Kafka does.
  // `require_stable` (OffsetFetch v7+): a partition with offsets pending in
  // an open transaction reports kUnstableOffsetCommit instead.
  OffsetFetchResult FetchOffsets(const std::string& group_id,
                                 const std::optional<std::vector<TopicPartition>>& partitions,
                                 bool require_stable = false);

  // ---- transactions ----
  // Writes the offsets as a transactional batch of the producer; `done`
  // receives one error per partition once durable. The caller has checked
  // the producer against the transaction coordinator.
  void CommitTxnOffsets(TxnOffsetCommitRequest request,
                        absl::AnyInvocable<void(std::vector<GroupError>)> done);
  // Writes the producer's COMMIT/ABORT marker into `partition` of
  // __consumer_offsets; once durable, the producer's pending offsets of the
  // groups in that partition are applied (commit) or dropped, then done(Ok).
  void CompleteTxn(int32_t partition, int64_t producer_id, int16_t producer_epoch, bool commit,
                   absl::AnyInvocable<void(absl::Status)> done);
  // The partition of __consumer_offsets holding `group_id`.
  int32_t PartitionFor(std::string_view group_id) const { return PartitionOf(group_id); }
  // Number of partitions with offsets pending in transactions (tests, metrics).
  size_t pending_txn_offset_count(const std::string& group_id) const;
  // `done(group error, per-partition errors)` after the tombstones are durable.
  void DeleteOffsets(const std::string& group_id, std::vector<TopicPartition> partitions,
                     absl::AnyInvocable<void(GroupError, std::vector<GroupError>)> done);
  // `done(per-group errors)`, after the tombstones are durable.
  void DeleteGroups(std::vector<std::string> group_ids,
                    absl::AnyInvocable<void(std::vector<GroupError>)> done);

  // ---- admin views ----
  // Fires the group's due timers first, as DeleteGroups does.
  GroupDescription Describe(const std::string& group_id);
  // All groups, or only those whose state matches one of `states`
  // (case-insensitive) when it is non-empty.
  std::vector<GroupListing> List(const std::vector<std::string>& states) const;

  // ---- time ----
  // Expires sessions and pending members, completes timed-out rebalances and
  // syncs, and (every offsets_retention_check_interval_ms) writes tombstones
  // for expired offsets of empty groups and deletes empty groups without
  // offsets.
  void Tick();
  // The earliest deadline of any timer (wall-clock ms, may be in the past:
  // call Tick() at once), remembered as the time the owner will call Tick().
  int64_t NextDeadlineMs();
  // Called (outside the lock) when a timer is scheduled earlier than the
  // last NextDeadlineMs(): the owner should recompute its wait. Must be quick.
  void SetDeadlineWakeup(std::function<void()> wakeup);

  // ---- introspection (tests, metrics) ----
  std::optional<GroupState> StateOf(const std::string& group_id) const;
  std::optional<int32_t> GenerationOf(const std::string& group_id) const;
  std::vector<std::string> MembersOf(const std::string& group_id) const;
  std::optional<std::string> LeaderOf(const std::string& group_id) const;
  size_t group_count() const;

  struct Group;   // defined in the .cc
  struct Member;  // defined in the .cc

 private:
  struct Deferred;
  struct PendingWrite;
  using DurableCallback = absl::AnyInvocable<void(absl::Status, Deferred&)>;

  Group* FindGroup(std::string_view id) const;
  Group& GetOrCreateGroup(const std::string& id);
  int32_t PartitionOf(std::string_view group_id) const;
  void RunDeferred(Deferred& d);
  void SetState(Group& g, GroupState s);

  void JoinUnknownMember(Group& g, JoinRequest& req, absl::AnyInvocable<void(JoinResult)> done,
                         Deferred& d);
  void JoinKnownMember(Group& g, JoinRequest& req, absl::AnyInvocable<void(JoinResult)> done,
                       Deferred& d);
  void AddMemberAndRebalance(Group& g, JoinRequest& req, std::string member_id,
                             absl::AnyInvocable<void(JoinResult)> done, Deferred& d);
  void UpdateMember(Member& m, JoinRequest& req, absl::AnyInvocable<void(JoinResult)> done,
                    Deferred& d);
  void UpdateStaticMember(Group& g, JoinRequest& req, const std::string& old_id,
                          std::string new_id, absl::AnyInvocable<void(JoinResult)> done,
                          Deferred& d);
  void MaybePrepareRebalance(Group& g, Deferred& d);
  void PrepareRebalance(Group& g, Deferred& d);
  void MaybeCompleteJoin(Group& g, Deferred& d);
  void CompleteJoin(Group& g, Deferred& d);
  void RemoveMember(Group& g, const std::string& member_id, GroupError reply_error, Deferred& d);
  void RemoveMemberAndUpdate(Group& g, const std::string& member_id, GroupError reply_error,
                             Deferred& d);
  void StoreGroup(Group& g, DurableCallback on_durable, Deferred& d);
  void ResetAndReplySyncs(Group& g, GroupError error, Deferred& d);
  void ExpireOffsets(int64_t now, Deferred& d);
  // Fires g's timers due at `now`: expired sessions and pending members, an
  // ended join phase, members that did not sync in time.
  void ExpireDueLocked(Group& g, int64_t now, Deferred& d);
  // The earliest deadline Tick() would act on in g (INT64_MAX for none).
  int64_t GroupDeadlineLocked(const Group& g) const;
  GroupDescription DescribeFiringDue(const std::string& group_id, Deferred& d);
  // Notes a new deadline; wakes the owner if it is earlier than armed.
  void ScheduleLocked(int64_t deadline_ms, Deferred& d);

  // Appends `records` to `partition`; `on_durable` runs under the lock once
  // they are durable and replayed (or with the error, nothing replayed).
  // `txn_producer_id` >= 0 writes a transactional batch of that producer.
  void Write(int32_t partition, std::vector<CoordinatorRecord> records,
             DurableCallback on_durable, Deferred& d, int64_t txn_producer_id = -1,
             int16_t txn_producer_epoch = -1);
  // Writes `partitions` as committed-offset records of `g` (transactional
  // when `txn_producer_id` >= 0) and answers `done` with `results` once
  // durable; metadata over the limit is refused per partition.
  void WriteOffsets(Group& g, const std::vector<OffsetCommitRequest::Partition>& partitions,
                    int64_t retention_ms, std::vector<GroupError> results,
                    absl::AnyInvocable<void(std::vector<GroupError>)> done, Deferred& d,
                    int64_t txn_producer_id = -1, int16_t txn_producer_epoch = -1);
  void ReplayTxnOffsetLocked(OffsetRecord record, int64_t producer_id);
  void ApplyMarkerLocked(int32_t partition, int64_t producer_id, bool commit);
  void OnDurable(int32_t partition, int64_t last_offset, absl::Status status);
  // Appends run under mu_. A failed append may complete earlier writes on
  // this very thread (a storage log hitting an I/O error takes its log dir
  // offline and fails every waiter there inline): OnDurable then queues the
  // completion instead of locking mu_ again, and AdoptInlineCompletions
  // hands the queue to `d`, run once the lock is released.
  void BeginAppendLocked() { appending_thread_.store(std::this_thread::get_id()); }
  void EndAppendLocked(Deferred& d);
  void ReplayLocked(DecodedRecord record, bool loading);

  const GroupCoordinatorConfig config_;
  CoordinatorLog* const log_;
  const Clock* const clock_;
  MemberIdGenerator member_ids_;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_;
  std::map<int32_t, std::vector<std::unique_ptr<PendingWrite>>> pending_;  // by partition, log order
  // Producer id -> groups holding offsets pending in its transaction.
  std::map<int64_t, std::set<std::string>> txn_groups_;
  int64_t next_retention_check_ms_ = 0;
  // The deadline the owner waits for (last NextDeadlineMs()), and its wakeup.
  int64_t armed_deadline_ms_ = std::numeric_limits<int64_t>::max();
  std::function<void()> wakeup_;
  // The thread appending under mu_ (see BeginAppendLocked), and the
  // completions its append delivered inline (touched only by that thread).
  std::atomic<std::thread::id> appending_thread_{};
  struct InlineCompletion {
    int32_t partition;
    int64_t last_offset;
    absl::Status status;
  };
  std::vector<InlineCompletion> inline_completions_;
};

}  // namespace keel::coordinator
