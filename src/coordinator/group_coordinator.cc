#include "keel/coordinator/group_coordinator.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "fmt/format.h"
#include "keel/common/logging.h"

namespace keel::coordinator {

std::string_view GroupStateName(GroupState s) {
  switch (s) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

struct GroupCoordinator::Member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<Protocol> protocols;
  Bytes assignment;
  absl::AnyInvocable<void(JoinResult)> join_cb;  // set while awaiting a JoinGroup answer
  absl::AnyInvocable<void(SyncResult)> sync_cb;  // set while awaiting a SyncGroup answer
  int64_t heartbeat_deadline_ms = 0;

  const Bytes* MetadataFor(const std::optional<std::string>& protocol) const {
    if (!protocol) return nullptr;
    for (const auto& p : protocols)
      if (p.name == *protocol) return &p.metadata;
    return nullptr;
  }
  bool Matches(const std::vector<Protocol>& other) const {
    if (other.size() != protocols.size()) return false;
    for (size_t i = 0; i < other.size(); ++i) {
      if (other[i].name != protocols[i].name || other[i].metadata != protocols[i].metadata)
        return false;
    }
    return true;
  }
};

struct GroupCoordinator::Group {
  std::string id;
  GroupState state = GroupState::kEmpty;
  int32_t generation = 0;
  std::string protocol_type;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t state_timestamp_ms = -1;
  std::map<std::string, Member> members;
  std::map<std::string, int64_t> pending_members;       // MEMBER_ID_REQUIRED issued: id -> deadline
  std::map<std::string, std::string> static_members;    // instance id -> member id
  std::set<std::string> pending_sync;                   // joined, not yet synced
  int64_t rebalance_deadline_ms = 0;
  bool initial_delay = false;          // first rebalance of an empty group
  int64_t initial_delay_remaining_ms = 0;
  bool new_member_added = false;
  int64_t sync_deadline_ms = 0;
  std::map<TopicPartition, CommittedOffset> offsets;
  // Offsets committed inside open transactions, by producer id.
  std::map<int64_t, std::map<TopicPartition, CommittedOffset>> pending_txn_offsets;
  int pending_offset_writes = 0;

  bool AllJoined() const {
    if (!pending_members.empty()) return false;
    for (const auto& [id, m] : members)
      if (!m.join_cb) return false;
    return true;
  }
  int64_t MaxRebalanceTimeout() const {
    int64_t t = 0;
    for (const auto& [id, m] : members) t = std::max<int64_t>(t, m.rebalance_timeout_ms);
    return t;
  }
  // Protocols every member supports.
  std::vector<std::string> Candidates() const {
    std::vector<std::string> out;
    if (members.empty()) return out;
    for (const auto& p : members.begin()->second.protocols) {
      bool all = true;
      for (const auto& [id, m] : members) {
        bool has = false;
        for (const auto& q : m.protocols) has = has || q.name == p.name;
        if (!has) {
          all = false;
          break;
        }
      }
      if (all && std::find(out.begin(), out.end(), p.name) == out.end()) out.push_back(p.name);
    }
    return out;
  }
  bool SupportsProtocols(const std::string& type, const std::vector<Protocol>& protocols) const {
    if (members.empty()) return !type.empty() && !protocols.empty();
    if (type != protocol_type) return false;
    auto candidates = Candidates();
    for (const auto& p : protocols)
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) return true;
    return false;
  }
  // Each member votes for its most preferred candidate; most votes wins (ties:
  // the earlier candidate in the first member's preference order).
  std::optional<std::string> SelectProtocol() const {
    auto candidates = Candidates();
    if (candidates.empty()) return std::nullopt;
    std::map<std::string, int> votes;
    for (const auto& [id, m] : members) {
      for (const auto& p : m.protocols) {
        if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
          ++votes[p.name];
          break;
        }
      }
    }
    std::string best = candidates.front();
    for (const auto& c : candidates)
      if (votes[c] > votes[best]) best = c;
    return best;
  }
  std::vector<JoinMember> CurrentMembers() const {
    std::vector<JoinMember> out;
    for (const auto& [id, m] : members) {
      const Bytes* md = m.MetadataFor(protocol);
      out.push_back(JoinMember{id, m.instance_id, md ? *md : Bytes{}});
    }
    return out;
  }
};

// Work to do after the lock is released: callbacks and durability waits.
struct GroupCoordinator::Deferred {
  std::vector<absl::AnyInvocable<void()>> calls;
  std::vector<std::pair<int32_t, int64_t>> waits;

  void Join(absl::AnyInvocable<void(JoinResult)>& cb, JoinResult r) {
    if (!cb) return;
    calls.push_back([cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
    cb = nullptr;
  }
  void Sync(absl::AnyInvocable<void(SyncResult)>& cb, SyncResult r) {
    if (!cb) return;
    calls.push_back([cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
    cb = nullptr;
  }
};

struct GroupCoordinator::PendingWrite {
  int64_t last_offset = 0;
  std::vector<CoordinatorRecord> records;
  int64_t txn_producer_id = -1;       // records of a transactional batch
  std::optional<bool> marker_commit;  // a marker of txn_producer_id
  DurableCallback on_durable;
  bool done = false;
  absl::Status status;
};

namespace {

std::string RandomUuidString() {
  Uuid u = Uuid::Random();
  const auto& b = u.bytes;
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}"
      "{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
      b[14], b[15]);
}

GroupError AppendErrorToGroupError(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInvalidArgument:
      return GroupError::kInvalidCommitOffsetSize;
    default:
      return GroupError::kCoordinatorNotAvailable;
  }
}

// Topics of a "consumer" protocol subscription: int16 version, then an
// int32-counted array of int16-length strings (the rest is ignored).
std::set<std::string> SubscribedTopics(const Bytes& metadata) {
  std::set<std::string> out;
  size_t pos = 0;
  auto need = [&](size_t n) { return pos + n <= metadata.size(); };
  if (!need(6)) return out;
  pos += 2;
  int32_t count = int32_t(uint32_t(metadata[pos]) << 24 | uint32_t(metadata[pos + 1]) << 16 |
                          uint32_t(metadata[pos + 2]) << 8 | metadata[pos + 3]);
  pos += 4;
  for (int32_t i = 0; i < count; ++i) {
    if (!need(2)) break;
    int16_t len = int16_t(metadata[pos] << 8 | metadata[pos + 1]);
    pos += 2;
    if (len < 0 || !need(size_t(len))) break;
    out.emplace(reinterpret_cast<const char*>(metadata.data() + pos), size_t(len));
    pos += size_t(len);
  }
  return out;
}

}  // namespace

GroupCoordinator::GroupCoordinator(GroupCoordinatorConfig config, CoordinatorLog* log,
                                   const Clock* clock, MemberIdGenerator member_ids)
    : config_(config), log_(log), clock_(clock), member_ids_(std::move(member_ids)) {
  if (!member_ids_) {
    member_ids_ = [](const std::string& client_id) { return client_id + "-" + RandomUuidString(); };
  }
}

GroupCoordinator::~GroupCoordinator() = default;

GroupCoordinator::Group* GroupCoordinator::FindGroup(std::string_view id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::Group& GroupCoordinator::GetOrCreateGroup(const std::string& id) {
  auto& slot = groups_[id];
  if (!slot) {
    slot = std::make_unique<Group>();
    slot->id = id;
    slot->state_timestamp_ms = clock_->NowMs();
  }
  return *slot;
}

int32_t GroupCoordinator::PartitionOf(std::string_view group_id) const {
  return PartitionForGroup(group_id, std::max(1, log_->partition_count()));
}

void GroupCoordinator::SetState(Group& g, GroupState s) {
  g.state = s;
  g.state_timestamp_ms = clock_->NowMs();
}

void GroupCoordinator::RunDeferred(Deferred& d) {
  for (auto [partition, offset] : d.waits) {
    log_->WaitDurable(partition, offset, [this, partition, offset](absl::Status st) {
      OnDurable(partition, offset, std::move(st));
    });
  }
  for (auto& call : d.calls) call();
}

// ---------------------------------------------------------------- records

void GroupCoordinator::Write(int32_t partition, std::vector<CoordinatorRecord> records,
                             DurableCallback on_durable, Deferred& d, int64_t txn_producer_id,
                             int16_t txn_producer_epoch) {
  BeginAppendLocked();
  auto appended = txn_producer_id >= 0
                      ? log_->AppendTransactional(partition, txn_producer_id, txn_producer_epoch,
                                                  records)
                      : log_->Append(partition, records);
  EndAppendLocked(d);
  if (!appended.ok()) {
    ModuleLogger("group")->warn("append to {}-{} failed: {}", kConsumerOffsetsTopic, partition,
                                appended.status().ToString());
    if (on_durable) on_durable(appended.status(), d);
    return;
  }
  auto w = std::make_unique<PendingWrite>();
  w->last_offset = *appended;
  w->records = std::move(records);
  w->txn_producer_id = txn_producer_id;
  w->on_durable = std::move(on_durable);
  pending_[partition].push_back(std::move(w));
  d.waits.emplace_back(partition, *appended);
}

void GroupCoordinator::EndAppendLocked(Deferred& d) {
  appending_thread_.store(std::thread::id());
  for (auto& c : inline_completions_) {
    d.calls.push_back([this, c = std::move(c)]() mutable {
      OnDurable(c.partition, c.last_offset, std::move(c.status));
    });
  }
  inline_completions_.clear();
}

void GroupCoordinator::OnDurable(int32_t partition, int64_t last_offset, absl::Status status) {
  if (appending_thread_.load() == std::this_thread::get_id()) {
    // Delivered by an append this thread makes while holding mu_.
    inline_completions_.push_back({partition, last_offset, std::move(status)});
    return;
  }
  Deferred d;
  {
    std::lock_guard lock(mu_);
    auto& queue = pending_[partition];
    for (auto& w : queue) {
      if (w->last_offset == last_offset && !w->done) {
        w->done = true;
        w->status = std::move(status);
        break;
      }
    }
    // Apply in log order: a write completes only after every earlier one.
    while (!queue.empty() && queue.front()->done) {
      std::unique_ptr<PendingWrite> w = std::move(queue.front());
      queue.erase(queue.begin());
      if (w->status.ok() && w->marker_commit) {
        ApplyMarkerLocked(partition, w->txn_producer_id, *w->marker_commit);
      } else if (w->status.ok()) {
        for (const auto& r : w->records) {
          auto decoded = DecodeRecord(r.key, r.value ? std::optional<std::span<const uint8_t>>(*r.value)
                                                     : std::nullopt);
          if (!decoded.ok()) continue;
          if (w->txn_producer_id >= 0 && std::holds_alternative<OffsetRecord>(*decoded)) {
            ReplayTxnOffsetLocked(std::get<OffsetRecord>(std::move(*decoded)), w->txn_producer_id);
          } else {
            ReplayLocked(std::move(*decoded), /*loading=*/false);
          }
        }
      } else {
        ModuleLogger("group")->warn("records in {}-{} up to offset {} not durable: {}",
                                    kConsumerOffsetsTopic, partition, w->last_offset,
                                    w->status.ToString());
      }
      if (w->on_durable) w->on_durable(w->status, d);
    }
  }
  RunDeferred(d);
}

void GroupCoordinator::ReplayLocked(DecodedRecord record, bool loading) {
  if (auto* o = std::get_if<OffsetRecord>(&record)) {
    if (o->value) {
      GetOrCreateGroup(o->group).offsets[o->tp] = std::move(*o->value);
    } else if (Group* g = FindGroup(o->group)) {
      g->offsets.erase(o->tp);
    }
    return;
  }
  auto& gr = std::get<GroupRecord>(record);
  if (!gr.value) {
    // Tombstone: the group and its offsets are gone. At run time only a
    // group marked Dead by the deletion that wrote it is removed.
    Group* g = FindGroup(gr.group);
    if (g && (loading || g->state == GroupState::kDead)) groups_.erase(gr.group);
    return;
  }
  // At run time the in-memory membership already is what the record says
  // (it was built from it); only loading rebuilds the group from it.
  if (!loading) return;
  Group& g = GetOrCreateGroup(gr.group);
  const auto& v = *gr.value;
  g.protocol_type = v.protocol_type;
  g.generation = v.generation.value;
  g.protocol = v.protocol && !v.protocol->empty() ? v.protocol : std::nullopt;
  g.leader = v.leader && !v.leader->empty() ? v.leader : std::nullopt;
  g.state_timestamp_ms = v.current_state_timestamp;
  g.members.clear();
  g.static_members.clear();
  for (const auto& mm : v.members) {
    Member m;
    m.id = mm.member_id;
    m.instance_id = mm.group_instance_id;
    m.client_id = mm.client_id;
    m.client_host = mm.client_host;
    m.session_timeout_ms = mm.session_timeout;
    m.rebalance_timeout_ms = mm.rebalance_timeout >= 0 ? mm.rebalance_timeout : mm.session_timeout;
    if (g.protocol) m.protocols.push_back(Protocol{*g.protocol, mm.subscription});
    m.assignment = mm.assignment;
    if (m.instance_id) g.static_members[*m.instance_id] = m.id;
    g.members.emplace(m.id, std::move(m));
  }
  g.state = g.members.empty() ? GroupState::kEmpty : GroupState::kStable;
}

absl::Status GroupCoordinator::ReplayStored(std::span<const uint8_t> key,
                                            std::optional<std::span<const uint8_t>> value,
                                            int64_t txn_producer_id) {
  auto decoded = DecodeRecord(key, value);
  if (!decoded.ok()) {
    if (decoded.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
    return decoded.status();
  }
  std::lock_guard lock(mu_);
  if (txn_producer_id >= 0 && std::holds_alternative<OffsetRecord>(*decoded)) {
    ReplayTxnOffsetLocked(std::get<OffsetRecord>(std::move(*decoded)), txn_producer_id);
  } else {
    ReplayLocked(std::move(*decoded), /*loading=*/true);
  }
  return absl::OkStatus();
}

void GroupCoordinator::ReplayStoredMarker(int32_t partition, int64_t producer_id, bool commit) {
  std::lock_guard lock(mu_);
  ApplyMarkerLocked(partition, producer_id, commit);
}

void GroupCoordinator::ReplayTxnOffsetLocked(OffsetRecord record, int64_t producer_id) {
  if (!record.value) return;  // transactions never delete offsets
  Group& g = GetOrCreateGroup(record.group);
  g.pending_txn_offsets[producer_id][record.tp] = std::move(*record.value);
  txn_groups_[producer_id].insert(record.group);
}

void GroupCoordinator::ApplyMarkerLocked(int32_t partition, int64_t producer_id, bool commit) {
  auto it = txn_groups_.find(producer_id);
  if (it == txn_groups_.end()) return;
  for (auto gid = it->second.begin(); gid != it->second.end();) {
    if (PartitionOf(*gid) != partition) {
      ++gid;
      continue;
    }
    if (Group* g = FindGroup(*gid)) {
      auto pending = g->pending_txn_offsets.find(producer_id);
      if (pending != g->pending_txn_offsets.end()) {
        if (commit) {
          for (auto& [tp, c] : pending->second) g->offsets[tp] = std::move(c);
        }
        g->pending_txn_offsets.erase(pending);
      }
    }
    gid = it->second.erase(gid);
  }
  if (it->second.empty()) txn_groups_.erase(it);
}

void GroupCoordinator::FinishLoading() {
  std::lock_guard lock(mu_);
  int64_t now = clock_->NowMs();
  for (auto& [id, g] : groups_) {
    for (auto& [mid, m] : g->members) m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    g->state = g->members.empty() ? GroupState::kEmpty : GroupState::kStable;
    if (g->state_timestamp_ms < 0) g->state_timestamp_ms = now;
  }
}

void GroupCoordinator::StoreGroup(Group& g, DurableCallback on_durable, Deferred& d) {
  protocol::GroupMetadataValue v;
  v.protocol_type = g.protocol_type;
  v.generation = GenerationId(g.generation);
  v.protocol = g.protocol;
  v.leader = g.leader;
  v.current_state_timestamp = g.state_timestamp_ms;
  for (const auto& [id, m] : g.members) {
    auto& mm = v.members.emplace_back();
    mm.member_id = id;
    mm.group_instance_id = m.instance_id;
    mm.client_id = m.client_id;
    mm.client_host = m.client_host;
    mm.rebalance_timeout = m.rebalance_timeout_ms;
    mm.session_timeout = m.session_timeout_ms;
    if (const Bytes* md = m.MetadataFor(g.protocol)) mm.subscription = *md;
    mm.assignment = m.assignment;
  }
  std::vector<CoordinatorRecord> records;
  records.push_back(GroupMetadataRecord(g.id, v));
  Write(PartitionOf(g.id), std::move(records), std::move(on_durable), d);
}

// ---------------------------------------------------------------- join

void GroupCoordinator::Join(JoinRequest req, absl::AnyInvocable<void(JoinResult)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    auto fail = [&](GroupError e) {
      JoinResult r;
      r.error = e;
      r.member_id = req.member_id;
      d.Join(done, std::move(r));
    };
    if (req.rebalance_timeout_ms < 0) req.rebalance_timeout_ms = req.session_timeout_ms;
    Group* g = FindGroup(req.group_id);
    if (req.group_id.empty()) {
      fail(GroupError::kInvalidGroupId);
    } else if (req.session_timeout_ms < config_.min_session_timeout_ms ||
               req.session_timeout_ms > config_.max_session_timeout_ms) {
      fail(GroupError::kInvalidSessionTimeout);
    } else if (!g && !req.member_id.empty()) {
      // A known member of a group that no longer exists (deleted, expired).
      fail(GroupError::kUnknownMemberId);
    } else if (g && g->state == GroupState::kDead) {
      fail(GroupError::kCoordinatorNotAvailable);
    } else {
      bool created = g == nullptr;
      Group& group = g ? *g : GetOrCreateGroup(req.group_id);
      if (!group.SupportsProtocols(req.protocol_type, req.protocols)) {
        fail(GroupError::kInconsistentGroupProtocol);
        if (created) groups_.erase(req.group_id);
      } else if (req.member_id.empty()) {
        JoinUnknownMember(group, req, std::move(done), d);
      } else {
        JoinKnownMember(group, req, std::move(done), d);
      }
    }
  }
  RunDeferred(d);
}

void GroupCoordinator::JoinUnknownMember(Group& g, JoinRequest& req,
                                         absl::AnyInvocable<void(JoinResult)> done, Deferred& d) {
  std::string new_id = member_ids_(req.client_id);
  if (req.instance_id) {
    auto it = g.static_members.find(*req.instance_id);
    if (it != g.static_members.end()) {
      // A known static instance restarted: it takes over its old member id.
      std::string old_id = it->second;
      UpdateStaticMember(g, req, old_id, std::move(new_id), std::move(done), d);
    } else {
      AddMemberAndRebalance(g, req, std::move(new_id), std::move(done), d);
    }
    return;
  }
  if (req.require_known_member_id) {
    // v4+ (KIP-394): hand out the id and let the member rejoin with it; it
    // is pending (counted as not yet joined) for one session timeout.
    g.pending_members[new_id] = clock_->NowMs() + req.session_timeout_ms;
    ScheduleLocked(g.pending_members[new_id], d);
    JoinResult r;
    r.error = GroupError::kMemberIdRequired;
    r.member_id = new_id;
    d.Join(done, std::move(r));
    return;
  }
  AddMemberAndRebalance(g, req, std::move(new_id), std::move(done), d);
}

void GroupCoordinator::JoinKnownMember(Group& g, JoinRequest& req,
                                       absl::AnyInvocable<void(JoinResult)> done, Deferred& d) {
  auto fail = [&](GroupError e) {
    JoinResult r;
    r.error = e;
    r.member_id = req.member_id;
    d.Join(done, std::move(r));
  };
  const std::string& id = req.member_id;
  if (req.instance_id) {
    auto it = g.static_members.find(*req.instance_id);
    if (it == g.static_members.end()) return fail(GroupError::kUnknownMemberId);
    if (it->second != id) return fail(GroupError::kFencedInstanceId);
  }
  if (g.pending_members.erase(id) > 0) {
    AddMemberAndRebalance(g, req, id, std::move(done), d);
    return;
  }
  auto it = g.members.find(id);
  if (it == g.members.end()) return fail(GroupError::kUnknownMemberId);
  Member& m = it->second;
  m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
  auto current = [&](bool with_members) {
    JoinResult r;
    r.generation = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol;
    r.leader = g.leader.value_or("");
    r.member_id = id;
    if (with_members) r.members = g.CurrentMembers();
    d.Join(done, std::move(r));
  };
  switch (g.state) {
    case GroupState::kPreparingRebalance:
      UpdateMember(m, req, std::move(done), d);
      MaybeCompleteJoin(g, d);
      return;
    case GroupState::kCompletingRebalance:
      // A retried join of this generation gets the same answer again.
      if (m.Matches(req.protocols)) return current(g.leader == id);
      UpdateMember(m, req, std::move(done), d);
      PrepareRebalance(g, d);
      return;
    case GroupState::kStable:
      // The leader rejoining (new subscription) or changed metadata starts a
      // rebalance; a follower with unchanged metadata just gets the current
      // generation back.
      if (g.leader == id || !m.Matches(req.protocols)) {
        UpdateMember(m, req, std::move(done), d);
        PrepareRebalance(g, d);
        return;
      }
      return current(false);
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(GroupError::kUnknownMemberId);
  }
}

void GroupCoordinator::UpdateMember(Member& m, JoinRequest& req,
                                    absl::AnyInvocable<void(JoinResult)> done, Deferred& d) {
  m.protocols = std::move(req.protocols);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  if (m.join_cb) {
    // A duplicate join: the earlier request is superseded.
    JoinResult r;
    r.error = GroupError::kRebalanceInProgress;
    r.member_id = m.id;
    d.Join(m.join_cb, std::move(r));
  }
  m.join_cb = std::move(done);
}

void GroupCoordinator::AddMemberAndRebalance(Group& g, JoinRequest& req, std::string member_id,
                                             absl::AnyInvocable<void(JoinResult)> done,
                                             Deferred& d) {
  Member m;
  m.id = member_id;
  m.instance_id = req.instance_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.protocols = std::move(req.protocols);
  m.join_cb = std::move(done);
  m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
  if (g.members.empty()) g.protocol_type = req.protocol_type;
  if (!g.leader) g.leader = member_id;
  if (m.instance_id) g.static_members[*m.instance_id] = member_id;
  g.members.emplace(member_id, std::move(m));
  g.new_member_added = true;
  MaybePrepareRebalance(g, d);
}

void GroupCoordinator::UpdateStaticMember(Group& g, JoinRequest& req, const std::string& old_id,
                                          std::string new_id,
                                          absl::AnyInvocable<void(JoinResult)> done, Deferred& d) {
  const std::string leader_before = g.leader.value_or("");
  auto node = g.members.extract(old_id);
  Member& old = node.mapped();
  // The previous incarnation's outstanding requests are fenced.
  JoinResult fenced;
  fenced.error = GroupError::kFencedInstanceId;
  fenced.member_id = old_id;
  d.Join(old.join_cb, fenced);
  SyncResult sync_fenced;
  sync_fenced.error = GroupError::kFencedInstanceId;
  d.Sync(old.sync_cb, sync_fenced);
  node.key() = new_id;
  node.mapped().id = new_id;
  auto inserted = g.members.insert(std::move(node));
  Member& m = inserted.position->second;
  g.static_members[*req.instance_id] = new_id;
  if (g.leader == old_id) g.leader = new_id;
  if (g.pending_sync.erase(old_id) > 0) g.pending_sync.insert(new_id);
  m.heartbeat_deadline_ms = clock_->NowMs() + req.session_timeout_ms;
  UpdateMember(m, req, std::move(done), d);

  switch (g.state) {
    case GroupState::kStable: {
      if (g.protocol != g.SelectProtocol()) {
        PrepareRebalance(g, d);
        return;
      }
      // Unchanged protocol: no rebalance. Persist the new member id, then
      // answer with the current generation (KIP-345).
      auto cb = std::move(m.join_cb);
      m.join_cb = nullptr;
      const bool skip = req.supports_skip_assignment;
      StoreGroup(
          g,
          [this, gid = g.id, new_id, skip, leader_before, cb = std::move(cb)](
              absl::Status st, Deferred& d) mutable {
            Group* g = FindGroup(gid);
            JoinResult r;
            r.member_id = new_id;
            if (!st.ok() || !g) {
              r.error = GroupError::kCoordinatorNotAvailable;
              d.Join(cb, std::move(r));
              return;
            }
            r.generation = g->generation;
            r.protocol_type = g->protocol_type;
            r.protocol_name = g->protocol;
            if (skip) {
              // v9+: a static leader gets the members back but must not
              // recompute the assignment.
              bool is_leader = g->leader == new_id;
              r.leader = g->leader.value_or("");
              r.skip_assignment = is_leader;
              if (is_leader) r.members = g->CurrentMembers();
            } else {
              // Older versions: report the previous leader id so the
              // rejoined instance does not act as leader.
              r.leader = leader_before;
            }
            d.Join(cb, std::move(r));
          },
          d);
      return;
    }
    case GroupState::kCompletingRebalance:
      // The leader may already have assigned under the old id: rebalance.
      PrepareRebalance(g, d);
      return;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(g, d);
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return;
  }
}

void GroupCoordinator::MaybePrepareRebalance(Group& g, Deferred& d) {
  if (g.state == GroupState::kStable || g.state == GroupState::kCompletingRebalance ||
      g.state == GroupState::kEmpty) {
    PrepareRebalance(g, d);
  } else {
    MaybeCompleteJoin(g, d);
  }
}

void GroupCoordinator::ResetAndReplySyncs(Group& g, GroupError error, Deferred& d) {
  for (auto& [id, m] : g.members) {
    m.assignment.clear();
    SyncResult r;
    r.error = error;
    d.Sync(m.sync_cb, std::move(r));
  }
}

void GroupCoordinator::PrepareRebalance(Group& g, Deferred& d) {
  if (g.state == GroupState::kCompletingRebalance) {
    ResetAndReplySyncs(g, GroupError::kRebalanceInProgress, d);
  }
  g.pending_sync.clear();
  const int64_t now = clock_->NowMs();
  const int64_t max_rebalance = g.MaxRebalanceTimeout();
  if (g.state == GroupState::kEmpty && config_.initial_rebalance_delay_ms > 0) {
    // group.initial.rebalance.delay.ms: wait for more members of a starting
    // group, extending while new ones arrive, up to the rebalance timeout.
    int64_t delay = std::min(config_.initial_rebalance_delay_ms, max_rebalance);
    g.initial_delay = true;
    g.initial_delay_remaining_ms = max_rebalance - delay;
    g.rebalance_deadline_ms = now + delay;
    g.new_member_added = false;
  } else {
    g.initial_delay = false;
    g.rebalance_deadline_ms = now + max_rebalance;
  }
  ScheduleLocked(g.rebalance_deadline_ms, d);
  SetState(g, GroupState::kPreparingRebalance);
  ModuleLogger("group")->info("group {} preparing rebalance (generation {}, {} members)", g.id,
                              g.generation, g.members.size());
  MaybeCompleteJoin(g, d);
}

void GroupCoordinator::MaybeCompleteJoin(Group& g, Deferred& d) {
  if (g.state != GroupState::kPreparingRebalance || g.initial_delay) return;
  if (g.AllJoined()) CompleteJoin(g, d);
}

void GroupCoordinator::CompleteJoin(Group& g, Deferred& d) {
  g.initial_delay = false;
  // Members that did not rejoin in time leave the group.
  std::vector<std::string> missing;
  for (const auto& [id, m] : g.members)
    if (!m.join_cb) missing.push_back(id);
  for (const auto& id : missing) RemoveMember(g, id, GroupError::kUnknownMemberId, d);
  g.pending_members.clear();

  ++g.generation;
  const int64_t now = clock_->NowMs();
  if (g.members.empty()) {
    g.protocol.reset();
    g.leader.reset();
    SetState(g, GroupState::kEmpty);
    ModuleLogger("group")->info("group {} is empty at generation {}", g.id, g.generation);
    StoreGroup(g, nullptr, d);
    return;
  }
  if (!g.leader || !g.members.count(*g.leader)) g.leader = g.members.begin()->first;
  g.protocol = g.SelectProtocol();
  SetState(g, GroupState::kCompletingRebalance);
  ModuleLogger("group")->info("group {} generation {}: {} members, protocol {}, leader {}", g.id,
                              g.generation, g.members.size(), g.protocol.value_or(""),
                              g.leader.value_or(""));
  std::vector<JoinMember> all = g.CurrentMembers();
  for (auto& [id, m] : g.members) {
    m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    JoinResult r;
    r.generation = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol;
    r.leader = *g.leader;
    r.member_id = id;
    if (id == *g.leader) r.members = all;
    d.Join(m.join_cb, std::move(r));
    g.pending_sync.insert(id);
  }
  g.sync_deadline_ms = now + g.MaxRebalanceTimeout();
  ScheduleLocked(GroupDeadlineLocked(g), d);
}

void GroupCoordinator::RemoveMember(Group& g, const std::string& member_id,
                                    GroupError reply_error, Deferred& d) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  JoinResult jr;
  jr.error = reply_error;
  jr.member_id = member_id;
  d.Join(m.join_cb, std::move(jr));
  SyncResult sr;
  sr.error = reply_error;
  d.Sync(m.sync_cb, std::move(sr));
  if (m.instance_id) {
    auto s = g.static_members.find(*m.instance_id);
    if (s != g.static_members.end() && s->second == member_id) g.static_members.erase(s);
  }
  g.pending_sync.erase(member_id);
  g.members.erase(it);
  if (g.leader == member_id) {
    if (g.members.empty()) g.leader.reset();
    else g.leader = g.members.begin()->first;
  }
}

void GroupCoordinator::RemoveMemberAndUpdate(Group& g, const std::string& member_id,
                                             GroupError reply_error, Deferred& d) {
  RemoveMember(g, member_id, reply_error, d);
  switch (g.state) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(g, d);
      break;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(g, d);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- sync / heartbeat / leave

namespace {

GroupError ValidateMember(const GroupCoordinator::Group& g, const std::string& member_id,
                          const std::optional<std::string>& instance_id);

}  // namespace

void GroupCoordinator::Sync(SyncRequest req, absl::AnyInvocable<void(SyncResult)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    auto fail = [&](GroupError e) {
      SyncResult r;
      r.error = e;
      d.Sync(done, std::move(r));
    };
    Group* g = FindGroup(req.group_id);
    GroupError err = GroupError::kNone;
    if (!g) err = GroupError::kUnknownMemberId;
    else if (g->state == GroupState::kDead) err = GroupError::kCoordinatorNotAvailable;
    else if ((err = ValidateMember(*g, req.member_id, req.instance_id)) != GroupError::kNone) {
    } else if (req.generation != g->generation) err = GroupError::kIllegalGeneration;
    else if ((req.protocol_type && *req.protocol_type != g->protocol_type) ||
             (req.protocol_name && req.protocol_name != g->protocol))
      err = GroupError::kInconsistentGroupProtocol;
    if (err != GroupError::kNone) {
      fail(err);
    } else {
      Member& m = g->members.at(req.member_id);
      m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
      switch (g->state) {
        case GroupState::kEmpty:
        case GroupState::kDead:
          fail(GroupError::kUnknownMemberId);
          break;
        case GroupState::kPreparingRebalance:
          fail(GroupError::kRebalanceInProgress);
          break;
        case GroupState::kStable: {
          g->pending_sync.erase(req.member_id);
          SyncResult r;
          r.protocol_type = g->protocol_type;
          r.protocol_name = g->protocol;
          r.assignment = m.assignment;
          d.Sync(done, std::move(r));
          break;
        }
        case GroupState::kCompletingRebalance: {
          if (m.sync_cb) {
            SyncResult r;
            r.error = GroupError::kRebalanceInProgress;
            d.Sync(m.sync_cb, std::move(r));
          }
          m.sync_cb = std::move(done);
          g->pending_sync.erase(req.member_id);
          if (g->leader != req.member_id) break;
          // The leader's assignment: members it did not mention get none.
          std::map<std::string, Bytes> assigned;
          for (auto& [id, bytes] : req.assignments) assigned[id] = std::move(bytes);
          for (auto& [id, member] : g->members) {
            auto a = assigned.find(id);
            member.assignment = a == assigned.end() ? Bytes{} : std::move(a->second);
          }
          const int32_t generation = g->generation;
          StoreGroup(
              *g,
              [this, gid = g->id, generation](absl::Status st, Deferred& d) {
                Group* g = FindGroup(gid);
                if (!g || g->generation != generation ||
                    g->state != GroupState::kCompletingRebalance) {
                  return;
                }
                if (!st.ok()) {
                  ResetAndReplySyncs(*g, GroupError::kCoordinatorNotAvailable, d);
                  PrepareRebalance(*g, d);
                  return;
                }
                SetState(*g, GroupState::kStable);
                for (auto& [id, member] : g->members) {
                  SyncResult r;
                  r.protocol_type = g->protocol_type;
                  r.protocol_name = g->protocol;
                  r.assignment = member.assignment;
                  d.Sync(member.sync_cb, std::move(r));
                }
                // Their session deadlines count again now that they are answered.
                ScheduleLocked(GroupDeadlineLocked(*g), d);
              },
              d);
          break;
        }
      }
    }
  }
  RunDeferred(d);
}

namespace {

GroupError ValidateMember(const GroupCoordinator::Group& g, const std::string& member_id,
                          const std::optional<std::string>& instance_id) {
  if (instance_id) {
    auto it = g.static_members.find(*instance_id);
    if (it == g.static_members.end()) return GroupError::kUnknownMemberId;
    if (it->second != member_id) return GroupError::kFencedInstanceId;
    return GroupError::kNone;
  }
  return g.members.count(member_id) ? GroupError::kNone : GroupError::kUnknownMemberId;
}

}  // namespace

GroupError GroupCoordinator::Heartbeat(const std::string& group_id, int32_t generation,
                                       const std::string& member_id,
                                       const std::optional<std::string>& instance_id) {
  std::lock_guard lock(mu_);
  Group* g = FindGroup(group_id);
  if (!g) return GroupError::kUnknownMemberId;
  if (g->state == GroupState::kDead) return GroupError::kCoordinatorNotAvailable;
  if (auto e = ValidateMember(*g, member_id, instance_id); e != GroupError::kNone) return e;
  if (generation != g->generation) return GroupError::kIllegalGeneration;
  Member& m = g->members.at(member_id);
  switch (g->state) {
    case GroupState::kEmpty:
      return GroupError::kUnknownMemberId;
    case GroupState::kPreparingRebalance:
      m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
      return GroupError::kRebalanceInProgress;
    default:
      // CompletingRebalance too: members may heartbeat between join and sync.
      m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
      return GroupError::kNone;
  }
}

LeaveResult GroupCoordinator::Leave(const std::string& group_id,
                                    const std::vector<MemberIdentity>& members) {
  Deferred d;
  LeaveResult result;
  {
    std::lock_guard lock(mu_);
    Group* g = FindGroup(group_id);
    if (!g || g->state == GroupState::kDead) {
      result.error = g ? GroupError::kCoordinatorNotAvailable : GroupError::kUnknownMemberId;
      result.members.assign(members.size(), result.error);
      return result;
    }
    for (const auto& who : members) {
      std::string id = who.member_id;
      if (who.instance_id) {
        auto it = g->static_members.find(*who.instance_id);
        if (it == g->static_members.end()) {
          result.members.push_back(GroupError::kUnknownMemberId);
          continue;
        }
        if (!id.empty() && it->second != id) {
          result.members.push_back(GroupError::kFencedInstanceId);
          continue;
        }
        id = it->second;
      } else if (g->pending_members.erase(id) > 0) {
        result.members.push_back(GroupError::kNone);
        MaybeCompleteJoin(*g, d);
        continue;
      } else if (!g->members.count(id)) {
        result.members.push_back(GroupError::kUnknownMemberId);
        continue;
      }
      ModuleLogger("group")->info("member {} leaves group {}", id, g->id);
      RemoveMemberAndUpdate(*g, id, GroupError::kUnknownMemberId, d);
      result.members.push_back(GroupError::kNone);
    }
  }
  RunDeferred(d);
  return result;
}

// ---------------------------------------------------------------- offsets

void GroupCoordinator::WriteOffsets(Group& g,
                                    const std::vector<OffsetCommitRequest::Partition>& partitions,
                                    int64_t retention_ms, std::vector<GroupError> results,
                                    absl::AnyInvocable<void(std::vector<GroupError>)> done,
                                    Deferred& d, int64_t txn_producer_id,
                                    int16_t txn_producer_epoch) {
  const int64_t now = clock_->NowMs();
  std::vector<CoordinatorRecord> records;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const auto& p = partitions[i];
    if (p.metadata && p.metadata->size() > size_t(config_.offset_metadata_max_bytes)) {
      results[i] = GroupError::kOffsetMetadataTooLarge;
      continue;
    }
    CommittedOffset c;
    c.offset = p.offset;
    c.leader_epoch = p.leader_epoch;
    c.metadata = p.metadata.value_or("");
    c.commit_timestamp_ms = now;
    c.expire_timestamp_ms = retention_ms >= 0 ? now + retention_ms : -1;
    records.push_back(OffsetCommitRecord(g.id, p.tp, c));
  }
  if (records.empty()) {
    d.calls.push_back([done = std::move(done), results]() mutable { done(std::move(results)); });
    return;
  }
  ++g.pending_offset_writes;
  Write(PartitionOf(g.id), std::move(records),
        [this, gid = g.id, results = std::move(results), done = std::move(done)](
            absl::Status st, Deferred& d) mutable {
          if (Group* g = FindGroup(gid)) --g->pending_offset_writes;
          if (!st.ok()) {
            for (auto& r : results)
              if (r == GroupError::kNone) r = AppendErrorToGroupError(st);
          }
          d.calls.push_back([done = std::move(done), results = std::move(results)]() mutable {
            done(std::move(results));
          });
        },
        d, txn_producer_id, txn_producer_epoch);
}

void GroupCoordinator::CommitOffsets(OffsetCommitRequest req,
                                     absl::AnyInvocable<void(std::vector<GroupError>)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    std::vector<GroupError> results(req.partitions.size(), GroupError::kNone);
    auto fail_all = [&](GroupError e) {
      results.assign(req.partitions.size(), e);
      d.calls.push_back([done = std::move(done), results]() mutable { done(std::move(results)); });
    };
    Group* g = FindGroup(req.group_id);
    GroupError err = GroupError::kNone;
    if (req.group_id.empty()) {
      err = GroupError::kInvalidGroupId;
    } else if (!g) {
      // A standalone consumer (no generation) may commit to a new group.
      if (req.generation < 0) g = &GetOrCreateGroup(req.group_id);
      else err = GroupError::kIllegalGeneration;
    } else if (g->state == GroupState::kDead) {
      err = GroupError::kCoordinatorNotAvailable;
    } else if (req.generation < 0 && g->state == GroupState::kEmpty) {
      // simple commit to an empty group
    } else if (req.generation >= 0 || !req.member_id.empty() || req.instance_id) {
      err = ValidateMember(*g, req.member_id, req.instance_id);
      if (err == GroupError::kNone && req.generation != g->generation) {
        err = GroupError::kIllegalGeneration;
      }
    } else {
      err = GroupError::kUnknownMemberId;  // simple commit to a group with members
    }
    if (err == GroupError::kNone && g->state == GroupState::kCompletingRebalance) {
      err = GroupError::kRebalanceInProgress;
    }
    if (err != GroupError::kNone) {
      fail_all(err);
    } else {
      if (auto m = g->members.find(req.member_id); m != g->members.end()) {
        m->second.heartbeat_deadline_ms = now + m->second.session_timeout_ms;
      }
      WriteOffsets(*g, req.partitions, req.retention_ms, std::move(results), std::move(done), d);
    }
  }
  RunDeferred(d);
}

OffsetFetchResult GroupCoordinator::FetchOffsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions,
    bool require_stable) {
  std::lock_guard lock(mu_);
  OffsetFetchResult out;
  Group* g = FindGroup(group_id);
  if (g && g->state == GroupState::kDead) g = nullptr;
  if (!partitions) {
    if (g) {
      std::set<TopicPartition> unstable;
      if (require_stable) {
        for (const auto& [pid, offsets] : g->pending_txn_offsets)
          for (const auto& [tp, c] : offsets) unstable.insert(tp);
      }
      for (const auto& [tp, c] : g->offsets) {
        if (!unstable.contains(tp))
          out.offsets.push_back(FetchedOffset{tp, c.offset, c.leader_epoch, c.metadata});
      }
      for (const auto& tp : unstable) {
        FetchedOffset f{tp};
        f.error = GroupError::kUnstableOffsetCommit;
        out.offsets.push_back(std::move(f));
      }
    }
    return out;
  }
  for (const auto& tp : *partitions) {
    FetchedOffset f{tp};
    if (g && require_stable) {
      for (const auto& [pid, offsets] : g->pending_txn_offsets) {
        if (offsets.contains(tp)) f.error = GroupError::kUnstableOffsetCommit;
      }
    }
    if (g && f.error == GroupError::kNone) {
      if (auto it = g->offsets.find(tp); it != g->offsets.end()) {
        f.offset = it->second.offset;
        f.leader_epoch = it->second.leader_epoch;
        f.metadata = it->second.metadata;
      }
    }
    out.offsets.push_back(std::move(f));
  }
  return out;
}

void GroupCoordinator::CommitTxnOffsets(TxnOffsetCommitRequest req,
                                        absl::AnyInvocable<void(std::vector<GroupError>)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    std::vector<GroupError> results(req.partitions.size(), GroupError::kNone);
    // Kafka's checks for transactional commits: the member, if named, must
    // belong to the group and the generation, if given, must be current; a
    // producer without group membership (v0-2) is accepted.
    GroupError err = GroupError::kNone;
    Group* g = req.group_id.empty() ? nullptr : &GetOrCreateGroup(req.group_id);
    if (!g) {
      err = GroupError::kInvalidGroupId;
    } else if (g->state == GroupState::kDead) {
      err = GroupError::kCoordinatorNotAvailable;
    } else if (req.instance_id && g->static_members.contains(*req.instance_id) &&
               g->static_members.at(*req.instance_id) != req.member_id) {
      err = GroupError::kFencedInstanceId;
    } else if (!req.member_id.empty() && !g->members.contains(req.member_id)) {
      err = GroupError::kUnknownMemberId;
    } else if (req.generation >= 0 && req.generation != g->generation) {
      err = GroupError::kIllegalGeneration;
    }
    if (err != GroupError::kNone) {
      results.assign(req.partitions.size(), err);
      d.calls.push_back([done = std::move(done), results]() mutable { done(std::move(results)); });
    } else {
      WriteOffsets(*g, req.partitions, /*retention_ms=*/-1, std::move(results), std::move(done), d,
                   req.producer_id, req.producer_epoch);
    }
  }
  RunDeferred(d);
}

void GroupCoordinator::CompleteTxn(int32_t partition, int64_t producer_id, int16_t producer_epoch,
                                   bool commit, absl::AnyInvocable<void(absl::Status)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    BeginAppendLocked();
    auto appended = log_->AppendMarker(partition, producer_id, producer_epoch, commit);
    EndAppendLocked(d);
    if (!appended.ok()) {
      ModuleLogger("group")->warn("marker for producer {} in {}-{} failed: {}", producer_id,
                                  kConsumerOffsetsTopic, partition, appended.status().ToString());
      d.calls.push_back([done = std::move(done), st = appended.status()]() mutable { done(st); });
    } else {
      auto w = std::make_unique<PendingWrite>();
      w->last_offset = *appended;
      w->txn_producer_id = producer_id;
      w->marker_commit = commit;
      w->on_durable = [done = std::move(done)](absl::Status st, Deferred& d) mutable {
        d.calls.push_back([done = std::move(done), st = std::move(st)]() mutable { done(st); });
      };
      pending_[partition].push_back(std::move(w));
      d.waits.emplace_back(partition, *appended);
    }
  }
  RunDeferred(d);
}

size_t GroupCoordinator::pending_txn_offset_count(const std::string& group_id) const {
  std::lock_guard lock(mu_);
  const Group* g = FindGroup(group_id);
  size_t n = 0;
  if (g) {
    for (const auto& [pid, offsets] : g->pending_txn_offsets) n += offsets.size();
  }
  return n;
}

void GroupCoordinator::DeleteOffsets(
    const std::string& group_id, std::vector<TopicPartition> partitions,
    absl::AnyInvocable<void(GroupError, std::vector<GroupError>)> done) {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    Group* g = FindGroup(group_id);
    auto finish = [&](GroupError top, std::vector<GroupError> per) {
      d.calls.push_back([done = std::move(done), top, per = std::move(per)]() mutable {
        done(top, std::move(per));
      });
    };
    if (!g || g->state == GroupState::kDead) {
      finish(GroupError::kGroupIdNotFound, {});
    } else {
      std::set<std::string> subscribed;
      bool blocked = false;
      if (!g->members.empty()) {
        if (g->protocol_type == "consumer") {
          for (const auto& [id, m] : g->members)
            if (const Bytes* md = m.MetadataFor(g->protocol)) subscribed.merge(SubscribedTopics(*md));
        } else {
          blocked = true;
        }
      }
      if (blocked) {
        finish(GroupError::kNonEmptyGroup, {});
      } else {
        std::vector<GroupError> per(partitions.size(), GroupError::kNone);
        std::vector<CoordinatorRecord> records;
        for (size_t i = 0; i < partitions.size(); ++i) {
          if (subscribed.count(partitions[i].topic)) {
            per[i] = GroupError::kGroupSubscribedToTopic;
          } else if (g->offsets.count(partitions[i])) {
            records.push_back(OffsetTombstone(group_id, partitions[i]));
          }
        }
        if (records.empty()) {
          finish(GroupError::kNone, std::move(per));
        } else {
          Write(PartitionOf(group_id), std::move(records),
                [per = std::move(per), done = std::move(done)](absl::Status st,
                                                               Deferred& d) mutable {
                  GroupError top = st.ok() ? GroupError::kNone : AppendErrorToGroupError(st);
                  d.calls.push_back([done = std::move(done), top, per = std::move(per)]() mutable {
                    done(top, std::move(per));
                  });
                },
                d);
        }
      }
    }
  }
  RunDeferred(d);
}

void GroupCoordinator::DeleteGroups(std::vector<std::string> group_ids,
                                    absl::AnyInvocable<void(std::vector<GroupError>)> done) {
  struct Shared {
    std::vector<GroupError> errors;
    int outstanding = 0;
    absl::AnyInvocable<void(std::vector<GroupError>)> done;
  };
  auto shared = std::make_shared<Shared>();
  shared->errors.assign(group_ids.size(), GroupError::kNone);
  shared->done = std::move(done);
  Deferred d;
  {
    std::lock_guard lock(mu_);
    std::map<int32_t, std::pair<std::vector<CoordinatorRecord>, std::vector<size_t>>> by_partition;
    const int64_t now = clock_->NowMs();
    for (size_t i = 0; i < group_ids.size(); ++i) {
      const std::string& id = group_ids[i];
      Group* g = id.empty() ? nullptr : FindGroup(id);
      // Timers due by now fire first, whenever the ticker next runs: a
      // session that expired at its deadline no longer holds the group.
      if (g) ExpireDueLocked(*g, now, d);
      if (id.empty()) {
        shared->errors[i] = GroupError::kInvalidGroupId;
      } else if (!g || g->state == GroupState::kDead) {
        shared->errors[i] = GroupError::kGroupIdNotFound;
      } else if (!g->members.empty() || g->state != GroupState::kEmpty) {
        shared->errors[i] = GroupError::kNonEmptyGroup;
      } else {
        auto& [records, indexes] = by_partition[PartitionOf(id)];
        for (const auto& [tp, c] : g->offsets) records.push_back(OffsetTombstone(id, tp));
        records.push_back(GroupTombstone(id));
        indexes.push_back(i);
        g->state = GroupState::kDead;  // no new joins or commits meanwhile
      }
    }
    shared->outstanding = int(by_partition.size()) + 1;
    auto finish_one = [shared](Deferred& d) {
      if (--shared->outstanding == 0) {
        d.calls.push_back([shared] { shared->done(shared->errors); });
      }
    };
    for (auto& [partition, entry] : by_partition) {
      auto& [records, indexes] = entry;
      std::vector<std::pair<std::string, size_t>> ids;
      for (size_t i : indexes) ids.emplace_back(group_ids[i], i);
      Write(partition, std::move(records),
            [this, shared, ids = std::move(ids), finish_one](absl::Status st, Deferred& d) {
              if (!st.ok()) {
                for (const auto& [id, i] : ids) {
                  shared->errors[i] = AppendErrorToGroupError(st);
                  if (Group* g = FindGroup(id); g && g->state == GroupState::kDead) {
                    g->state = GroupState::kEmpty;
                  }
                }
              }
              finish_one(d);
            },
            d);
    }
    finish_one(d);
  }
  RunDeferred(d);
}

// ---------------------------------------------------------------- admin views

GroupDescription GroupCoordinator::Describe(const std::string& group_id) {
  Deferred d;
  GroupDescription out = DescribeFiringDue(group_id, d);
  RunDeferred(d);
  return out;
}

GroupDescription GroupCoordinator::DescribeFiringDue(const std::string& group_id, Deferred& d) {
  std::lock_guard lock(mu_);
  GroupDescription out;
  out.group_id = group_id;
  Group* g = FindGroup(group_id);
  if (!g) {
    out.state = "Dead";
    return out;
  }
  // As DeleteGroups: a session that expired at its deadline is gone.
  ExpireDueLocked(*g, clock_->NowMs(), d);
  out.state = std::string(GroupStateName(g->state));
  out.protocol_type = g->protocol_type;
  const bool stable = g->state == GroupState::kStable;
  if (stable) out.protocol = g->protocol.value_or("");
  for (const auto& [id, m] : g->members) {
    MemberDescription md;
    md.member_id = id;
    md.instance_id = m.instance_id;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    if (stable) {
      if (const Bytes* meta = m.MetadataFor(g->protocol)) md.metadata = *meta;
      md.assignment = m.assignment;
    }
    out.members.push_back(std::move(md));
  }
  return out;
}

std::vector<GroupListing> GroupCoordinator::List(const std::vector<std::string>& states) const {
  std::lock_guard lock(mu_);
  std::set<std::string> wanted;
  for (const auto& s : states) wanted.insert(absl::AsciiStrToLower(s));
  std::vector<GroupListing> out;
  for (const auto& [id, g] : groups_) {
    std::string state(GroupStateName(g->state));
    if (!wanted.empty() && !wanted.count(absl::AsciiStrToLower(state))) continue;
    out.push_back(GroupListing{id, g->protocol_type, state});
  }
  return out;
}

// ---------------------------------------------------------------- time

void GroupCoordinator::Tick() {
  Deferred d;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    for (auto& [gid, gp] : groups_) ExpireDueLocked(*gp, now, d);
    if (now >= next_retention_check_ms_) {
      next_retention_check_ms_ = now + config_.offsets_retention_check_interval_ms;
      ExpireOffsets(now, d);
    }
  }
  RunDeferred(d);
}

void GroupCoordinator::ExpireDueLocked(Group& g, int64_t now, Deferred& d) {
  if (g.state == GroupState::kDead) return;
  // Members told MEMBER_ID_REQUIRED that never came back.
  bool pending_expired = false;
  for (auto it = g.pending_members.begin(); it != g.pending_members.end();) {
    if (it->second <= now) {
      it = g.pending_members.erase(it);
      pending_expired = true;
    } else {
      ++it;
    }
  }
  if (pending_expired) MaybeCompleteJoin(g, d);
  // Session expiry (members waiting for an answer are alive).
  std::vector<std::string> expired;
  for (const auto& [id, m] : g.members)
    if (!m.join_cb && !m.sync_cb && m.heartbeat_deadline_ms <= now) expired.push_back(id);
  for (const auto& id : expired) {
    ModuleLogger("group")->info("member {} of group {} expired (no heartbeat)", id, g.id);
    RemoveMemberAndUpdate(g, id, GroupError::kUnknownMemberId, d);
  }
  // End of the join phase.
  if (g.state == GroupState::kPreparingRebalance && now >= g.rebalance_deadline_ms) {
    if (g.initial_delay && g.new_member_added && g.initial_delay_remaining_ms > 0) {
      int64_t delay = std::min(config_.initial_rebalance_delay_ms, g.initial_delay_remaining_ms);
      g.initial_delay_remaining_ms -= delay;
      g.rebalance_deadline_ms = now + delay;
      g.new_member_added = false;
      ScheduleLocked(g.rebalance_deadline_ms, d);
    } else {
      CompleteJoin(g, d);
    }
  }
  // Members that got a join answer but never synced.
  if ((g.state == GroupState::kCompletingRebalance || g.state == GroupState::kStable) &&
      !g.pending_sync.empty() && now >= g.sync_deadline_ms) {
    std::vector<std::string> laggards(g.pending_sync.begin(), g.pending_sync.end());
    for (const auto& id : laggards) {
      ModuleLogger("group")->info("member {} of group {} did not sync in time", id, g.id);
      RemoveMember(g, id, GroupError::kUnknownMemberId, d);
    }
    PrepareRebalance(g, d);
  }
}

int64_t GroupCoordinator::GroupDeadlineLocked(const Group& g) const {
  int64_t next = std::numeric_limits<int64_t>::max();
  if (g.state == GroupState::kDead) return next;
  for (const auto& [id, deadline] : g.pending_members) next = std::min(next, deadline);
  for (const auto& [id, m] : g.members)
    if (!m.join_cb && !m.sync_cb) next = std::min(next, m.heartbeat_deadline_ms);
  if (g.state == GroupState::kPreparingRebalance) next = std::min(next, g.rebalance_deadline_ms);
  if ((g.state == GroupState::kCompletingRebalance || g.state == GroupState::kStable) &&
      !g.pending_sync.empty())
    next = std::min(next, g.sync_deadline_ms);
  return next;
}

int64_t GroupCoordinator::NextDeadlineMs() {
  std::lock_guard lock(mu_);
  int64_t next = next_retention_check_ms_;
  for (const auto& [gid, gp] : groups_) next = std::min(next, GroupDeadlineLocked(*gp));
  armed_deadline_ms_ = next;
  return next;
}

void GroupCoordinator::SetDeadlineWakeup(std::function<void()> wakeup) {
  std::lock_guard lock(mu_);
  wakeup_ = std::move(wakeup);
}

void GroupCoordinator::ScheduleLocked(int64_t deadline_ms, Deferred& d) {
  if (deadline_ms >= armed_deadline_ms_) return;
  armed_deadline_ms_ = deadline_ms;
  if (wakeup_) d.calls.push_back([wakeup = wakeup_] { wakeup(); });
}

void GroupCoordinator::ExpireOffsets(int64_t now, Deferred& d) {
  std::map<int32_t, std::vector<CoordinatorRecord>> by_partition;
  std::vector<std::string> deleting;
  for (auto& [gid, gp] : groups_) {
    Group& g = *gp;
    // Offsets expire only once the group has no members (KIP-211).
    if (g.state != GroupState::kEmpty || g.pending_offset_writes > 0 || !g.pending_members.empty())
      continue;
    std::vector<CoordinatorRecord> records;
    size_t expired = 0;
    for (const auto& [tp, c] : g.offsets) {
      bool gone;
      if (c.expire_timestamp_ms >= 0) {
        gone = now >= c.expire_timestamp_ms;
      } else {
        // Consumer groups: counted from when the group became empty; simple
        // (protocol-less) groups: from each commit.
        int64_t base = !g.protocol_type.empty() && g.state_timestamp_ms >= 0
                           ? std::max(g.state_timestamp_ms, c.commit_timestamp_ms)
                           : c.commit_timestamp_ms;
        gone = now - base >= config_.offsets_retention_ms;
      }
      if (gone) {
        records.push_back(OffsetTombstone(g.id, tp));
        ++expired;
      }
    }
    // A group holding offsets of open transactions is not empty: removing
    // it would lose them when the transaction's COMMIT marker arrives.
    if (expired == g.offsets.size() && g.pending_txn_offsets.empty()) {
      records.push_back(GroupTombstone(g.id));
      g.state = GroupState::kDead;
      deleting.push_back(g.id);
    }
    if (!records.empty()) {
      ModuleLogger("group")->info("group {}: {} offsets expired{}", g.id, expired,
                                  expired == g.offsets.size() ? ", group removed" : "");
      auto& dst = by_partition[PartitionOf(g.id)];
      for (auto& r : records) dst.push_back(std::move(r));
    }
  }
  for (auto& [partition, records] : by_partition) {
    Write(partition, std::move(records),
          [this, deleting](absl::Status st, Deferred&) {
            if (st.ok()) return;
            for (const auto& id : deleting)
              if (Group* g = FindGroup(id); g && g->state == GroupState::kDead)
                g->state = GroupState::kEmpty;
          },
          d);
  }
}

// ---------------------------------------------------------------- introspection

std::optional<GroupState> GroupCoordinator::StateOf(const std::string& group_id) const {
  std::lock_guard lock(mu_);
  Group* g = FindGroup(group_id);
  if (!g) return std::nullopt;
  return g->state;
}

std::optional<int32_t> GroupCoordinator::GenerationOf(const std::string& group_id) const {
  std::lock_guard lock(mu_);
  Group* g = FindGroup(group_id);
  if (!g) return std::nullopt;
  return g->generation;
}

std::vector<std::string> GroupCoordinator::MembersOf(const std::string& group_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  if (Group* g = FindGroup(group_id))
    for (const auto& [id, m] : g->members) out.push_back(id);
  return out;
}

std::optional<std::string> GroupCoordinator::LeaderOf(const std::string& group_id) const {
  std::lock_guard lock(mu_);
  Group* g = FindGroup(group_id);
  if (!g) return std::nullopt;
  return g->leader;
}

size_t GroupCoordinator::group_count() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

}  // namespace keel::coordinator
