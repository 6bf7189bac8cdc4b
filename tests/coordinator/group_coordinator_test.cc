// The classic group state machine and committed offsets, driven by a manual
// clock and an in-memory log.
#include "keel/coordinator/group_coordinator.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_coordinator_log.h"

namespace keel::coordinator {
namespace {

using testing::FakeCoordinatorLog;
using testing::ManualClock;

constexpr int32_t kSession = 10000;
constexpr int32_t kRebalance = 30000;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A "consumer" subscription: int16 version 0, int32 topic count, topics,
// then empty user data.
Bytes Subscription(const std::vector<std::string>& topics) {
  Bytes b = {0, 0};
  auto i32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  };
  i32(uint32_t(topics.size()));
  for (const auto& t : topics) {
    b.push_back(uint8_t(t.size() >> 8));
    b.push_back(uint8_t(t.size()));
    b.insert(b.end(), t.begin(), t.end());
  }
  i32(0xffffffff);
  return b;
}

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinatorTest() { Reset(0); }

  void Reset(int64_t initial_delay_ms, int64_t retention_check_interval_ms = 1000) {
    GroupCoordinatorConfig config;
    config.initial_rebalance_delay_ms = initial_delay_ms;
    config.offsets_retention_ms = 60'000;
    config.offsets_retention_check_interval_ms = retention_check_interval_ms;
    coordinator_ = std::make_unique<GroupCoordinator>(config, &log_, &clock_, [this](const std::string& c) {
      return c + "-" + std::to_string(++next_id_);
    });
  }

  JoinRequest Req(const std::string& member_id, std::vector<Protocol> protocols = {},
                  std::optional<std::string> instance = std::nullopt) {
    JoinRequest r;
    r.group_id = "g";
    r.member_id = member_id;
    r.instance_id = std::move(instance);
    r.protocol_type = "consumer";
    r.protocols = protocols.empty() ? std::vector<Protocol>{{"range", B("meta-" + member_id)}}
                                    : std::move(protocols);
    r.session_timeout_ms = kSession;
    r.rebalance_timeout_ms = kRebalance;
    r.client_id = "c";
    r.client_host = "/127.0.0.1";
    r.require_known_member_id = true;
    return r;
  }

  std::shared_ptr<std::optional<JoinResult>> Join(JoinRequest r) {
    auto out = std::make_shared<std::optional<JoinResult>>();
    coordinator_->Join(std::move(r), [out](JoinResult res) { *out = std::move(res); });
    return out;
  }

  // First join (MEMBER_ID_REQUIRED) + rejoin; returns the pending rejoin.
  std::shared_ptr<std::optional<JoinResult>> JoinNew(std::string* member_id,
                                                     std::vector<Protocol> protocols = {}) {
    auto first = Join(Req("", protocols));
    EXPECT_TRUE(first->has_value());
    EXPECT_EQ((*first)->error, GroupError::kMemberIdRequired);
    *member_id = (*first)->member_id;
    return Join(Req(*member_id, protocols));
  }

  std::shared_ptr<std::optional<SyncResult>> Sync(const std::string& member, int32_t generation,
                                                  std::vector<std::pair<std::string, Bytes>> a = {},
                                                  std::optional<std::string> instance = std::nullopt) {
    SyncRequest r;
    r.group_id = "g";
    r.generation = generation;
    r.member_id = member;
    r.instance_id = std::move(instance);
    r.assignments = std::move(a);
    auto out = std::make_shared<std::optional<SyncResult>>();
    coordinator_->Sync(std::move(r), [out](SyncResult res) { *out = std::move(res); });
    return out;
  }

  std::vector<GroupError> Commit(const std::string& member, int32_t generation,
                                 std::vector<std::pair<TopicPartition, int64_t>> offsets,
                                 const std::string& group = "g") {
    OffsetCommitRequest r;
    r.group_id = group;
    r.generation = generation;
    r.member_id = member;
    for (auto& [tp, off] : offsets) r.partitions.push_back({tp, Offset(off), -1, "m"});
    std::optional<std::vector<GroupError>> out;
    coordinator_->CommitOffsets(std::move(r), [&out](std::vector<GroupError> e) { out = std::move(e); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(std::vector<GroupError>{});
  }

  // One stable member; returns its id. Generation 1.
  std::string StableSingle() {
    std::string id;
    auto j = JoinNew(&id);
    EXPECT_TRUE(j->has_value());
    auto s = Sync(id, 1, {{id, B("assign")}});
    EXPECT_TRUE(s->has_value());
    return id;
  }

  ManualClock clock_;
  FakeCoordinatorLog log_;
  int next_id_ = 0;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

TEST_F(GroupCoordinatorTest, FirstJoinWithoutMemberIdGetsMemberIdRequired) {
  auto r = Join(Req(""));
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->error, GroupError::kMemberIdRequired);
  EXPECT_EQ((*r)->member_id, "c-1");
  EXPECT_TRUE(coordinator_->MembersOf("g").empty());
}

TEST_F(GroupCoordinatorTest, OldVersionJoinWithoutMemberIdJoinsDirectly) {
  auto req = Req("");
  req.require_known_member_id = false;
  auto r = Join(req);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->error, GroupError::kNone);
  EXPECT_EQ((*r)->generation, 1);
  EXPECT_EQ((*r)->leader, (*r)->member_id);
}

TEST_F(GroupCoordinatorTest, SingleMemberJoinSyncHeartbeat) {
  std::string id;
  auto j = JoinNew(&id);
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->error, GroupError::kNone);
  EXPECT_EQ((*j)->generation, 1);
  EXPECT_EQ((*j)->leader, id);
  EXPECT_EQ((*j)->protocol_name, "range");
  ASSERT_EQ((*j)->members.size(), 1u);
  EXPECT_EQ((*j)->members[0].metadata, B("meta-" + id));
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kCompletingRebalance);

  EXPECT_EQ(coordinator_->Heartbeat("g", 1, id, std::nullopt), GroupError::kNone);
  auto s = Sync(id, 1, {{id, B("assignment")}});
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->error, GroupError::kNone);
  EXPECT_EQ((*s)->assignment, B("assignment"));
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, id, std::nullopt), GroupError::kNone);
  EXPECT_EQ(coordinator_->Heartbeat("g", 0, id, std::nullopt), GroupError::kIllegalGeneration);
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, "nobody", std::nullopt), GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator_->Heartbeat("other", 1, id, std::nullopt), GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, SyncAnswersOnlyAfterGroupRecordIsDurable) {
  std::string id;
  auto j = JoinNew(&id);
  log_.Hold();
  auto s = Sync(id, 1, {{id, B("a")}});
  EXPECT_FALSE(s->has_value());
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kCompletingRebalance);
  log_.Release();
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->error, GroupError::kNone);
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, FailedGroupWriteFailsSyncAndRebalances) {
  std::string id;
  auto j = JoinNew(&id);
  log_.Hold();
  auto s = Sync(id, 1, {{id, B("a")}});
  log_.Release(absl::UnavailableError("disk gone"));
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->error, GroupError::kCoordinatorNotAvailable);
  EXPECT_NE(coordinator_->StateOf("g"), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, ThreeMembersLeaderGetsAllMetadataAndFollowersGetTheirAssignment) {
  std::string a, b, c;
  auto ja = JoinNew(&a);
  // One member already joined in PreparingRebalance? With no initial delay
  // and one member, the first join completes at once; the others rebalance.
  ASSERT_TRUE(ja->has_value());
  auto sa = Sync(a, 1, {{a, B("A")}});
  ASSERT_TRUE(sa->has_value());
  auto jb = JoinNew(&b);
  EXPECT_FALSE(jb->has_value());  // waits for a to rejoin
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, a, std::nullopt), GroupError::kRebalanceInProgress);
  auto jc = JoinNew(&c);
  EXPECT_FALSE(jc->has_value());
  auto ja2 = Join(Req(a));
  ASSERT_TRUE(ja2->has_value());
  ASSERT_TRUE(jb->has_value());
  ASSERT_TRUE(jc->has_value());
  EXPECT_EQ((*ja2)->generation, 2);
  EXPECT_EQ((*ja2)->leader, a);
  EXPECT_EQ((*ja2)->members.size(), 3u);
  EXPECT_TRUE((*jb)->members.empty());
  EXPECT_TRUE((*jc)->members.empty());
  EXPECT_EQ((*jb)->leader, a);

  auto sb = Sync(b, 2);
  auto sc = Sync(c, 2);
  EXPECT_FALSE(sb->has_value());
  auto sa2 = Sync(a, 2, {{a, B("A2")}, {b, B("B2")}, {c, B("C2")}});
  ASSERT_TRUE(sa2->has_value());
  ASSERT_TRUE(sb->has_value());
  ASSERT_TRUE(sc->has_value());
  EXPECT_EQ((*sa2)->assignment, B("A2"));
  EXPECT_EQ((*sb)->assignment, B("B2"));
  EXPECT_EQ((*sc)->assignment, B("C2"));
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, ProtocolChosenByVotesAmongCommonProtocols) {
  // Every member supports range and roundrobin; two prefer roundrobin.
  auto req1 = Req("", {{"range", B("r")}, {"roundrobin", B("rr")}});
  req1.require_known_member_id = false;
  auto req2 = Req("", {{"roundrobin", B("rr")}, {"range", B("r")}, {"sticky", B("s")}});
  req2.require_known_member_id = false;
  auto j1 = Join(req1);  // completes alone (gen 1)
  ASSERT_TRUE(j1->has_value());
  EXPECT_EQ((*j1)->protocol_name, "range");
  auto j2 = Join(req2);
  auto j3 = Join(req2);
  auto j1b = Join([&] { auto r = req1; r.member_id = (*j1)->member_id; return r; }());
  ASSERT_TRUE(j1b->has_value());
  ASSERT_TRUE(j2->has_value());
  EXPECT_EQ((*j1b)->protocol_name, "roundrobin");
  // The leader receives each member's metadata for the chosen protocol.
  for (const auto& m : (*j1b)->members) EXPECT_EQ(m.metadata, B("rr"));
}

TEST_F(GroupCoordinatorTest, InconsistentProtocolIsRejected) {
  std::string a = StableSingle();
  auto other = Req("", {{"unknown-assignor", B("x")}});
  auto r = Join(other);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->error, GroupError::kInconsistentGroupProtocol);
  auto wrong_type = Req("");
  wrong_type.protocol_type = "connect";
  auto r2 = Join(wrong_type);
  EXPECT_EQ((*r2)->error, GroupError::kInconsistentGroupProtocol);
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
}

TEST_F(GroupCoordinatorTest, SessionTimeoutOutOfRangeIsRejected) {
  auto r = Req("");
  r.session_timeout_ms = 1000;
  EXPECT_EQ((*Join(r))->error, GroupError::kInvalidSessionTimeout);
  auto empty = Req("");
  empty.group_id = "";
  EXPECT_EQ((*Join(empty))->error, GroupError::kInvalidGroupId);
}

TEST_F(GroupCoordinatorTest, UnknownMemberJoiningExistingGroupIdGetsUnknownMemberId) {
  EXPECT_EQ((*Join(Req("ghost")))->error, GroupError::kUnknownMemberId);
  StableSingle();
  EXPECT_EQ((*Join(Req("ghost")))->error, GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, FollowerRejoinWithSameMetadataInStableKeepsGeneration) {
  std::string a = StableSingle();
  std::string b;
  auto jb = JoinNew(&b);
  auto ja = Join(Req(a));
  ASSERT_TRUE(jb->has_value());
  Sync(b, 2);
  Sync(a, 2, {{a, B("A")}, {b, B("B")}});
  ASSERT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
  auto again = Join(Req(b));
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->generation, 2);
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
  // The leader rejoining starts a new generation.
  auto leader = Join(Req(a));
  EXPECT_FALSE(leader->has_value());
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kPreparingRebalance);
}

TEST_F(GroupCoordinatorTest, SyncWithWrongGenerationOrDuringRebalanceFails) {
  std::string a = StableSingle();
  EXPECT_EQ((*Sync(a, 7))->error, GroupError::kIllegalGeneration);
  EXPECT_EQ((*Sync("ghost", 1))->error, GroupError::kUnknownMemberId);
  std::string b;
  auto jb = JoinNew(&b);
  EXPECT_EQ((*Sync(a, 1))->error, GroupError::kRebalanceInProgress);
}

TEST_F(GroupCoordinatorTest, SessionExpiryRemovesMemberAndRebalances) {
  std::string a = StableSingle();
  std::string b;
  auto jb = JoinNew(&b);
  auto ja = Join(Req(a));
  ASSERT_TRUE(jb->has_value());
  Sync(b, 2);
  Sync(a, 2, {{a, B("A")}, {b, B("B")}});
  // b keeps heartbeating, a goes silent.
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(3000);
    EXPECT_EQ(coordinator_->Heartbeat("g", 2, b, std::nullopt), GroupError::kNone);
    coordinator_->Tick();
  }
  EXPECT_EQ(coordinator_->MembersOf("g"), std::vector<std::string>{b});
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kPreparingRebalance);
  EXPECT_EQ(coordinator_->Heartbeat("g", 2, b, std::nullopt), GroupError::kRebalanceInProgress);
  auto rejoin = Join(Req(b));
  ASSERT_TRUE(rejoin->has_value());
  EXPECT_EQ((*rejoin)->generation, 3);
  EXPECT_EQ((*rejoin)->leader, b);  // leadership moved to the survivor
}

TEST_F(GroupCoordinatorTest, RebalanceTimeoutRemovesMembersThatDidNotRejoin) {
  std::string a = StableSingle();
  std::string b;
  auto jb = JoinNew(&b);
  auto ja = Join(Req(a));
  Sync(b, 2);
  Sync(a, 2, {{a, B("A")}, {b, B("B")}});
  // A third member triggers a rebalance; b rejoins, a only heartbeats.
  std::string c;
  auto jc = JoinNew(&c);
  auto jb2 = Join(Req(b));
  EXPECT_FALSE(jb2->has_value());
  for (int t = 0; t < kRebalance; t += 2000) {
    clock_.Advance(2000);
    coordinator_->Heartbeat("g", 2, a, std::nullopt);
    coordinator_->Tick();
  }
  ASSERT_TRUE(jb2->has_value());
  ASSERT_TRUE(jc->has_value());
  EXPECT_EQ((*jb2)->generation, 3);
  auto members = coordinator_->MembersOf("g");
  EXPECT_EQ(members.size(), 2u);
  EXPECT_EQ(std::count(members.begin(), members.end(), a), 0);
  EXPECT_EQ(coordinator_->Heartbeat("g", 3, a, std::nullopt), GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, MemberThatNeverSyncsIsRemovedAfterRebalanceTimeout) {
  std::string a = StableSingle();
  std::string b;
  auto jb = JoinNew(&b);
  auto ja = Join(Req(a));
  ASSERT_TRUE(jb->has_value());
  // Only the leader syncs.
  auto sa = Sync(a, 2, {{a, B("A")}, {b, B("B")}});
  ASSERT_TRUE(sa->has_value());
  clock_.Advance(kRebalance + 1);
  coordinator_->Heartbeat("g", 2, a, std::nullopt);
  coordinator_->Tick();
  EXPECT_EQ(coordinator_->MembersOf("g"), std::vector<std::string>{a});
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kPreparingRebalance);
}

TEST_F(GroupCoordinatorTest, InitialRebalanceDelayWaitsForMoreMembers) {
  Reset(3000);
  std::string a, b;
  auto ja = JoinNew(&a);
  EXPECT_FALSE(ja->has_value());
  clock_.Advance(2000);
  coordinator_->Tick();
  auto jb = JoinNew(&b);
  EXPECT_FALSE(jb->has_value());
  clock_.Advance(1000);  // first delay over, but b arrived: extend once more
  coordinator_->Tick();
  EXPECT_FALSE(ja->has_value());
  clock_.Advance(3000);
  coordinator_->Tick();
  ASSERT_TRUE(ja->has_value());
  ASSERT_TRUE(jb->has_value());
  EXPECT_EQ((*ja)->generation, 1);
  EXPECT_EQ((*ja)->members.size() + (*jb)->members.size(), 2u);
}

TEST_F(GroupCoordinatorTest, StaticMemberRejoinReplacesIdWithoutRebalance) {
  auto req = Req("", {}, "instance-1");
  auto j = Join(req);  // static members skip MEMBER_ID_REQUIRED
  ASSERT_TRUE(j->has_value());
  std::string old_id = (*j)->member_id;
  Sync(old_id, 1, {{old_id, B("A")}}, "instance-1");
  ASSERT_EQ(coordinator_->StateOf("g"), GroupState::kStable);

  // The instance restarts and joins with no member id and the same metadata.
  auto rejoin_req = Req("", {{"range", B("meta-")}}, "instance-1");
  auto r = Join(rejoin_req);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->error, GroupError::kNone);
  EXPECT_NE((*r)->member_id, old_id);
  EXPECT_EQ((*r)->generation, 1);
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kStable);
  std::string new_id = (*r)->member_id;
  // The new id syncs and gets the existing assignment.
  auto s = Sync(new_id, 1, {}, "instance-1");
  EXPECT_EQ((*s)->assignment, B("A"));
  // The old incarnation is fenced.
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, old_id, "instance-1"), GroupError::kFencedInstanceId);
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, new_id, "instance-1"), GroupError::kNone);
  EXPECT_EQ((*Join(Req(old_id, {}, "instance-1")))->error, GroupError::kFencedInstanceId);
}

TEST_F(GroupCoordinatorTest, StaticLeaderRejoinV9GetsMembersWithSkipAssignment) {
  auto req = Req("", {}, "i1");
  auto j = Join(req);
  std::string old_id = (*j)->member_id;
  Sync(old_id, 1, {{old_id, B("A")}}, "i1");
  auto again = Req("", {{"range", B("meta-")}}, "i1");
  again.supports_skip_assignment = true;
  auto r = Join(again);
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE((*r)->skip_assignment);
  EXPECT_EQ((*r)->leader, (*r)->member_id);
  EXPECT_EQ((*r)->members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, StaticMemberWithChangedProtocolTriggersRebalance) {
  auto j = Join(Req("", {{"range", B("x")}}, "i1"));
  std::string old_id = (*j)->member_id;
  Sync(old_id, 1, {{old_id, B("A")}}, "i1");
  // Still supports the group's protocol, but now prefers another one.
  auto r = Join(Req("", {{"roundrobin", B("y")}, {"range", B("x")}}, "i1"));
  // A sole member: the rebalance completes right away with a new generation.
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->generation, 2);
  EXPECT_EQ((*r)->protocol_name, "roundrobin");
}

TEST_F(GroupCoordinatorTest, LeaveGroupBatchReportsPerMember) {
  std::string a = StableSingle();
  std::string b;
  auto jb = JoinNew(&b);
  Join(Req(a));
  Sync(b, 2);
  Sync(a, 2, {{a, B("A")}, {b, B("B")}});
  LeaveResult r = coordinator_->Leave("g", {{b, std::nullopt}, {"ghost", std::nullopt}});
  EXPECT_EQ(r.error, GroupError::kNone);
  ASSERT_EQ(r.members.size(), 2u);
  EXPECT_EQ(r.members[0], GroupError::kNone);
  EXPECT_EQ(r.members[1], GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kPreparingRebalance);
  // The last member leaving empties the group and bumps the generation.
  coordinator_->Leave("g", {{a, std::nullopt}});
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kEmpty);
  EXPECT_EQ(coordinator_->GenerationOf("g"), 3);
  EXPECT_EQ(coordinator_->Leave("nope", {{a, std::nullopt}}).error, GroupError::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, LeaveByInstanceIdChecksTheMemberId) {
  auto j = Join(Req("", {}, "i1"));
  std::string id = (*j)->member_id;
  LeaveResult r = coordinator_->Leave("g", {{"wrong", "i1"}, {"", "i2"}});
  EXPECT_EQ(r.members[0], GroupError::kFencedInstanceId);
  EXPECT_EQ(r.members[1], GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator_->Leave("g", {{"", "i1"}}).members[0], GroupError::kNone);
  EXPECT_TRUE(coordinator_->MembersOf("g").empty());
}

TEST_F(GroupCoordinatorTest, CommitAndFetchOffsetsOfAMember) {
  std::string a = StableSingle();
  TopicPartition t0{"t", PartitionId(0)}, t1{"t", PartitionId(1)};
  auto errs = Commit(a, 1, {{t0, 10}, {t1, 20}});
  EXPECT_EQ(errs, (std::vector<GroupError>{GroupError::kNone, GroupError::kNone}));
  auto f = coordinator_->FetchOffsets("g", std::vector<TopicPartition>{t1, {"t", PartitionId(9)}});
  ASSERT_EQ(f.offsets.size(), 2u);
  EXPECT_EQ(f.offsets[0].offset, Offset(20));
  EXPECT_EQ(f.offsets[0].metadata, "m");
  EXPECT_EQ(f.offsets[1].offset, Offset(-1));
  auto all = coordinator_->FetchOffsets("g", std::nullopt);
  EXPECT_EQ(all.offsets.size(), 2u);
  EXPECT_EQ(Commit(a, 0, {{t0, 11}})[0], GroupError::kIllegalGeneration);
  EXPECT_EQ(Commit("ghost", 1, {{t0, 11}})[0], GroupError::kUnknownMemberId);
  EXPECT_EQ(Commit("", -1, {{t0, 11}})[0], GroupError::kUnknownMemberId);  // group has members
}

TEST_F(GroupCoordinatorTest, SimpleConsumerCommitsWithoutAGroup) {
  TopicPartition tp{"t", PartitionId(0)};
  EXPECT_EQ(Commit("", -1, {{tp, 5}}, "simple")[0], GroupError::kNone);
  EXPECT_EQ(coordinator_->FetchOffsets("simple", std::nullopt).offsets.at(0).offset, Offset(5));
  EXPECT_EQ(coordinator_->StateOf("simple"), GroupState::kEmpty);
  EXPECT_EQ(Commit("x", 3, {{tp, 5}}, "nogroup")[0], GroupError::kIllegalGeneration);
}

TEST_F(GroupCoordinatorTest, CommitAnswersOnlyAfterDurabilityAndAppliesThen) {
  TopicPartition tp{"t", PartitionId(0)};
  log_.Hold();
  OffsetCommitRequest r;
  r.group_id = "g";
  r.partitions.push_back({tp, Offset(7), -1, std::nullopt});
  std::optional<std::vector<GroupError>> out;
  coordinator_->CommitOffsets(r, [&out](std::vector<GroupError> e) { out = std::move(e); });
  EXPECT_FALSE(out.has_value());
  EXPECT_TRUE(coordinator_->FetchOffsets("g", std::nullopt).offsets.empty());
  log_.Release();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0], GroupError::kNone);
  EXPECT_EQ(coordinator_->FetchOffsets("g", std::nullopt).offsets.at(0).offset, Offset(7));
}

TEST_F(GroupCoordinatorTest, FailedCommitWriteReportsErrorAndChangesNothing) {
  TopicPartition tp{"t", PartitionId(0)};
  log_.FailAppends(absl::UnavailableError("offline"));
  EXPECT_EQ(Commit("", -1, {{tp, 1}})[0], GroupError::kCoordinatorNotAvailable);
  EXPECT_TRUE(coordinator_->FetchOffsets("g", std::nullopt).offsets.empty());
}

TEST_F(GroupCoordinatorTest, OversizedMetadataIsRejectedPerPartition) {
  OffsetCommitRequest r;
  r.group_id = "g";
  r.partitions.push_back({{"t", PartitionId(0)}, Offset(1), -1, std::string(5000, 'x')});
  r.partitions.push_back({{"t", PartitionId(1)}, Offset(1), -1, "ok"});
  std::vector<GroupError> out;
  coordinator_->CommitOffsets(r, [&out](std::vector<GroupError> e) { out = std::move(e); });
  EXPECT_EQ(out, (std::vector<GroupError>{GroupError::kOffsetMetadataTooLarge, GroupError::kNone}));
}

TEST_F(GroupCoordinatorTest, ReplayAfterRestartRebuildsIdenticalState) {
  std::string a = StableSingle();
  TopicPartition t0{"t", PartitionId(0)}, t1{"u", PartitionId(3)};
  Commit(a, 1, {{t0, 10}, {t1, 20}});
  Commit(a, 1, {{t0, 15}});
  Commit("", -1, {{t0, 99}}, "simple");
  auto before_g = coordinator_->FetchOffsets("g", std::nullopt);
  auto before_s = coordinator_->FetchOffsets("simple", std::nullopt);
  auto describe_before = coordinator_->Describe("g");

  // "Restart": a new coordinator fed every stored record.
  GroupCoordinator restarted(GroupCoordinatorConfig{}, &log_, &clock_);
  for (const auto& [p, records] : log_.records()) {
    for (const auto& r : records) {
      ASSERT_TRUE(restarted
                      .ReplayStored(r.key, r.value ? std::optional<std::span<const uint8_t>>(*r.value)
                                                   : std::nullopt)
                      .ok());
    }
  }
  restarted.FinishLoading();
  auto after_g = restarted.FetchOffsets("g", std::nullopt);
  ASSERT_EQ(after_g.offsets.size(), before_g.offsets.size());
  for (size_t i = 0; i < after_g.offsets.size(); ++i) {
    EXPECT_EQ(after_g.offsets[i].tp, before_g.offsets[i].tp);
    EXPECT_EQ(after_g.offsets[i].offset, before_g.offsets[i].offset);
    EXPECT_EQ(after_g.offsets[i].metadata, before_g.offsets[i].metadata);
  }
  EXPECT_EQ(restarted.FetchOffsets("simple", std::nullopt).offsets.at(0).offset, Offset(99));
  auto describe_after = restarted.Describe("g");
  EXPECT_EQ(describe_after.state, "Stable");
  EXPECT_EQ(describe_after.protocol, describe_before.protocol);
  ASSERT_EQ(describe_after.members.size(), 1u);
  EXPECT_EQ(describe_after.members[0].member_id, a);
  EXPECT_EQ(describe_after.members[0].assignment, B("assign"));
  EXPECT_EQ(restarted.GenerationOf("g"), 1);
  // The restored member carries on with its generation.
  EXPECT_EQ(restarted.Heartbeat("g", 1, a, std::nullopt), GroupError::kNone);
}

TEST_F(GroupCoordinatorTest, DeleteGroupsRequiresEmptyGroupAndWritesTombstones) {
  std::string a = StableSingle();
  Commit(a, 1, {{{"t", PartitionId(0)}, 1}});
  Commit("", -1, {{{"t", PartitionId(0)}, 1}}, "empty");
  std::vector<GroupError> out;
  coordinator_->DeleteGroups({"g", "empty", "missing"}, [&out](std::vector<GroupError> e) { out = e; });
  EXPECT_EQ(out, (std::vector<GroupError>{GroupError::kNonEmptyGroup, GroupError::kNone,
                                          GroupError::kGroupIdNotFound}));
  EXPECT_FALSE(coordinator_->StateOf("empty").has_value());
  // The last two records of the partition are the offset and group tombstones.
  auto records = log_.records()[PartitionForGroup("empty", log_.partition_count())];
  ASSERT_GE(records.size(), 2u);
  EXPECT_FALSE(records.back().value.has_value());
  EXPECT_EQ(records.back(), GroupTombstone("empty"));
  EXPECT_EQ(records[records.size() - 2], OffsetTombstone("empty", {"t", PartitionId(0)}));
}

TEST_F(GroupCoordinatorTest, DeleteGroupsAtTheSessionDeadlineSeesTheMemberGoneWithoutATick) {
  std::string a = StableSingle();  // its session deadline: now + kSession
  std::vector<GroupError> out;
  clock_.Advance(kSession - 1);
  coordinator_->DeleteGroups({"g"}, [&out](std::vector<GroupError> e) { out = e; });
  EXPECT_EQ(out, std::vector<GroupError>{GroupError::kNonEmptyGroup});
  EXPECT_EQ(coordinator_->MembersOf("g"), std::vector<std::string>{a});
  clock_.Advance(1);  // exactly the deadline; no Tick() in between
  GroupDescription described = coordinator_->Describe("g");
  EXPECT_EQ(described.state, "Empty");
  EXPECT_TRUE(described.members.empty());
  coordinator_->DeleteGroups({"g"}, [&out](std::vector<GroupError> e) { out = e; });
  EXPECT_EQ(out, std::vector<GroupError>{GroupError::kNone});
  EXPECT_FALSE(coordinator_->StateOf("g").has_value());
  auto records = log_.records()[PartitionForGroup("g", log_.partition_count())];
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back(), GroupTombstone("g"));
}

TEST_F(GroupCoordinatorTest, NextDeadlineIsTheEarliestTimerAndMovesWithHeartbeats) {
  Reset(0, 3'600'000);
  const int64_t t0 = clock_.NowMs();
  coordinator_->Tick();  // schedules the next offsets-retention check an hour out
  std::string a = StableSingle();
  EXPECT_EQ(coordinator_->NextDeadlineMs(), t0 + kSession);
  clock_.Advance(4000);
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, a, std::nullopt), GroupError::kNone);
  EXPECT_EQ(coordinator_->NextDeadlineMs(), t0 + 4000 + kSession);
  // Firing at that deadline expires the member, not a millisecond earlier.
  clock_.Advance(kSession - 1);
  coordinator_->Tick();
  EXPECT_EQ(coordinator_->MembersOf("g"), std::vector<std::string>{a});
  clock_.Advance(1);
  coordinator_->Tick();
  EXPECT_TRUE(coordinator_->MembersOf("g").empty());
  EXPECT_EQ(coordinator_->StateOf("g"), GroupState::kEmpty);
}

TEST_F(GroupCoordinatorTest, AnEarlierTimerWakesTheOwner) {
  Reset(0, 3'600'000);
  coordinator_->Tick();
  int wakeups = 0;
  coordinator_->SetDeadlineWakeup([&wakeups] { ++wakeups; });
  std::string a = StableSingle();
  const int64_t armed = coordinator_->NextDeadlineMs();  // a's session deadline
  wakeups = 0;
  // A later deadline (a heartbeat, a member id handed out with the same
  // session timeout) does not wake the owner...
  clock_.Advance(1000);
  coordinator_->Heartbeat("g", 1, a, std::nullopt);
  JoinRequest later = Req("");
  auto first = Join(later);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(wakeups, 0);
  // ... an earlier one does, and becomes the next deadline.
  JoinRequest sooner = Req("");
  sooner.session_timeout_ms = 6000;
  auto second = Join(sooner);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->error, GroupError::kMemberIdRequired);
  EXPECT_EQ(wakeups, 1);
  EXPECT_LT(clock_.NowMs() + 6000, armed);
  EXPECT_EQ(coordinator_->NextDeadlineMs(), clock_.NowMs() + 6000);
}

TEST_F(GroupCoordinatorTest, OffsetDeleteRefusesTopicsTheGroupSubscribes) {
  std::string id;
  auto first = Join(Req("", {{"range", Subscription({"t"})}}));
  id = (*first)->member_id;
  auto j = Join(Req(id, {{"range", Subscription({"t"})}}));
  Sync(id, 1, {{id, B("a")}});
  Commit(id, 1, {{{"t", PartitionId(0)}, 1}, {{"u", PartitionId(0)}, 2}});
  std::optional<std::pair<GroupError, std::vector<GroupError>>> out;
  coordinator_->DeleteOffsets("g", {{"t", PartitionId(0)}, {"u", PartitionId(0)}},
                              [&out](GroupError top, std::vector<GroupError> per) {
                                out = std::make_pair(top, per);
                              });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->first, GroupError::kNone);
  EXPECT_EQ(out->second, (std::vector<GroupError>{GroupError::kGroupSubscribedToTopic,
                                                  GroupError::kNone}));
  auto left = coordinator_->FetchOffsets("g", std::nullopt);
  ASSERT_EQ(left.offsets.size(), 1u);
  EXPECT_EQ(left.offsets[0].tp.topic, "t");
  coordinator_->DeleteOffsets("missing", {}, [&out](GroupError top, std::vector<GroupError> per) {
    out = std::make_pair(top, per);
  });
  EXPECT_EQ(out->first, GroupError::kGroupIdNotFound);
}

TEST_F(GroupCoordinatorTest, OffsetsOfEmptyGroupsExpireAndTheGroupIsRemoved) {
  TopicPartition tp{"t", PartitionId(0)};
  Commit("", -1, {{tp, 5}}, "simple");
  std::string a = StableSingle();
  Commit(a, 1, {{tp, 6}});
  clock_.Advance(30'000);
  coordinator_->Heartbeat("g", 1, a, std::nullopt);
  coordinator_->Tick();
  EXPECT_EQ(coordinator_->FetchOffsets("simple", std::nullopt).offsets.size(), 1u);
  clock_.Advance(31'000);
  coordinator_->Heartbeat("g", 1, a, std::nullopt);
  coordinator_->Tick();
  // The simple group's offset is past retention: tombstoned, group removed.
  EXPECT_TRUE(coordinator_->FetchOffsets("simple", std::nullopt).offsets.empty());
  EXPECT_FALSE(coordinator_->StateOf("simple").has_value());
  // The group with a live member keeps its offsets.
  EXPECT_EQ(coordinator_->FetchOffsets("g", std::nullopt).offsets.size(), 1u);
}

TEST_F(GroupCoordinatorTest, DescribeAndListGroups) {
  std::string a = StableSingle();
  Commit("", -1, {{{"t", PartitionId(0)}, 5}}, "simple");
  auto d = coordinator_->Describe("g");
  EXPECT_EQ(d.state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(d.members[0].metadata, B("meta-" + a));
  EXPECT_EQ(coordinator_->Describe("none").state, "Dead");
  EXPECT_EQ(coordinator_->List({}).size(), 2u);
  auto stable = coordinator_->List({"stable"});
  ASSERT_EQ(stable.size(), 1u);
  EXPECT_EQ(stable[0].group_id, "g");
  auto empty = coordinator_->List({"Empty"});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].group_id, "simple");
}

}  // namespace
}  // namespace keel::coordinator
