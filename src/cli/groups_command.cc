// keel-admin groups: list | describe G | reset-offsets G ... | delete G.
#include <map>
#include <memory>
#include <set>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/cluster_queries.h"
#include "cli/commands.h"
#include "cli/iso8601.h"
#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/common/strings.h"
#include "keel/protocol/messages/delete_groups.h"
#include "keel/protocol/messages/describe_groups.h"
#include "keel/protocol/messages/list_groups.h"
#include "keel/protocol/messages/offset_commit.h"
#include "keel/protocol/reader.h"

namespace keel::cli {
namespace {

using TopicPartitionKey = std::pair<std::string, int32_t>;

struct Member {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::optional<std::string> instance_id;
  std::vector<TopicPartitionKey> assignment;
};

struct GroupDescription {
  std::string state;
  std::string protocol_type;
  std::string protocol;
  std::vector<Member> members;
};

// The partitions of a "consumer" protocol assignment: int16 version, then
// an array of (string topic, int32 array partitions), then user data (not
// needed). Anything undecodable yields no partitions.
std::vector<TopicPartitionKey> DecodeConsumerAssignment(const std::vector<uint8_t>& bytes) {
  std::vector<TopicPartitionKey> out;
  if (bytes.empty()) return out;
  protocol::Reader r(bytes);
  int16_t version = 0;
  int32_t topics = 0;
  if (!r.ReadInt16(&version).ok() || !r.ReadArrayLength(&topics, 6, false).ok()) return {};
  for (int32_t t = 0; t < topics; ++t) {
    std::string name;
    int32_t count = 0;
    if (!r.ReadString(&name).ok() || !r.ReadArrayLength(&count, 4, false).ok()) return {};
    for (int32_t i = 0; i < count; ++i) {
      int32_t p = 0;
      if (!r.ReadInt32(&p).ok()) return {};
      out.emplace_back(name, p);
    }
  }
  return out;
}

absl::StatusOr<GroupDescription> Describe(client::Client& client, const std::string& group) {
  KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client.GroupCoordinator(group));
  protocol::DescribeGroupsRequest request;
  request.groups = {group};
  KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::DescribeGroupsResponse>(request));
  if (reply.message.groups.empty()) return absl::UnavailableError("DescribeGroups returned no group");
  const auto& g = reply.message.groups[0];
  KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("DescribeGroups '{}'", group), g.error_code));
  GroupDescription d;
  d.state = g.group_state;
  d.protocol_type = g.protocol_type;
  d.protocol = g.protocol_data;
  for (const auto& m : g.members) {
    Member member{m.member_id, m.client_id, m.client_host, m.group_instance_id, {}};
    if (g.protocol_type == "consumer") member.assignment = DecodeConsumerAssignment(m.member_assignment);
    d.members.push_back(std::move(member));
  }
  return d;
}

// Log end offsets of the given partitions, topic by topic.
absl::StatusOr<std::map<TopicPartitionKey, int64_t>> EndOffsets(
    client::Client& client, const std::set<TopicPartitionKey>& partitions, int64_t timestamp) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& [t, p] : partitions) by_topic[t].push_back(p);
  std::map<TopicPartitionKey, int64_t> out;
  for (const auto& [topic, parts] : by_topic) {
    KEEL_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(client, topic));
    KEEL_ASSIGN_OR_RETURN(auto offsets, ListPartitionOffsets(client, info, parts, timestamp));
    for (const auto& [p, o] : offsets) out[{topic, p}] = o;
  }
  return out;
}

absl::Status List(Context& ctx) {
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto reply,
                        client->bootstrap().Call<protocol::ListGroupsResponse>(protocol::ListGroupsRequest{}));
  KEEL_RETURN_IF_ERROR(KafkaError("ListGroups", reply.message.error_code));
  auto groups = reply.message.groups;
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  Json list = Json::array();
  bool has_state = reply.version >= 4;
  Table table{{"GROUP", "PROTOCOL-TYPE"}, {}};
  if (has_state) table.columns.push_back("STATE");
  for (const auto& g : groups) {
    Json j = {{"group", g.group_id}, {"protocol_type", g.protocol_type}};
    std::vector<std::string> row{g.group_id, g.protocol_type};
    if (has_state) {
      j["state"] = g.group_state;
      row.push_back(g.group_state);
    }
    list.push_back(std::move(j));
    table.rows.push_back(std::move(row));
  }
  ctx.Emit(Json{{"groups", std::move(list)}}, table.Render());
  return absl::OkStatus();
}

absl::Status DescribeCommand(Context& ctx, const std::string& group) {
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(GroupDescription d, Describe(*client, group));
  KEEL_ASSIGN_OR_RETURN(auto committed, FetchCommittedOffsets(*client, group, std::nullopt));

  // Every partition the group has a commit for or a member is assigned.
  std::set<TopicPartitionKey> partitions;
  std::map<TopicPartitionKey, const Member*> owner;
  for (const auto& [tp, _] : committed) partitions.insert(tp);
  for (const Member& m : d.members) {
    for (const auto& tp : m.assignment) {
      partitions.insert(tp);
      owner[tp] = &m;
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto ends, EndOffsets(*client, partitions, kLatestTimestamp));

  Json doc = {{"group", group}, {"state", d.state}, {"protocol_type", d.protocol_type}, {"protocol", d.protocol}};
  Json jmembers = Json::array();
  Table mtable{{"MEMBER-ID", "CLIENT-ID", "HOST", "PARTITIONS"}, {}};
  for (const Member& m : d.members) {
    Json assigned = Json::array();
    std::string parts;
    for (const auto& [t, p] : m.assignment) {
      assigned.push_back({{"topic", t}, {"partition", p}});
      parts += (parts.empty() ? "" : ",") + fmt::format("{}-{}", t, p);
    }
    jmembers.push_back({{"member_id", m.member_id},
                        {"group_instance_id", m.instance_id ? Json(*m.instance_id) : Json()},
                        {"client_id", m.client_id},
                        {"host", m.host},
                        {"assignment", std::move(assigned)}});
    mtable.rows.push_back({m.member_id, m.client_id, m.host, parts.empty() ? "-" : parts});
  }
  doc["members"] = std::move(jmembers);

  Json joffsets = Json::array();
  Table otable{{"TOPIC", "PARTITION", "COMMITTED-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID"}, {}};
  int64_t total_lag = 0;
  for (const auto& tp : partitions) {
    auto c = committed.find(tp);
    int64_t end = ends.count(tp) ? ends[tp] : -1;
    Json j = {{"topic", tp.first},
              {"partition", tp.second},
              {"committed_offset", c != committed.end() ? Json(c->second) : Json()},
              {"log_end_offset", end}};
    std::string lag_text = "-";
    if (c != committed.end() && end >= 0) {
      int64_t lag = std::max<int64_t>(0, end - c->second);
      total_lag += lag;
      j["lag"] = lag;
      lag_text = std::to_string(lag);
    } else {
      j["lag"] = nullptr;
    }
    std::string member = owner.count(tp) ? owner[tp]->member_id : "-";
    j["member_id"] = owner.count(tp) ? Json(member) : Json();
    joffsets.push_back(std::move(j));
    otable.rows.push_back({tp.first, std::to_string(tp.second),
                           c != committed.end() ? std::to_string(c->second) : "-",
                           std::to_string(end), lag_text, member});
  }
  doc["offsets"] = std::move(joffsets);
  doc["total_lag"] = total_lag;
  std::string text = fmt::format("Group: {}  State: {}  Protocol: {} {}  Members: {}  Total lag: {}\n\n",
                                 group, d.state, d.protocol_type.empty() ? "-" : d.protocol_type,
                                 d.protocol.empty() ? "-" : d.protocol, d.members.size(), total_lag);
  if (!d.members.empty()) text += mtable.Render() + "\n";
  text += otable.Render();
  ctx.Emit(doc, text);
  return absl::OkStatus();
}

// "T" (all partitions) or "T:0,2".
absl::Status AddTopicSpec(client::Client& client, const std::string& spec,
                          std::set<TopicPartitionKey>* out) {
  size_t colon = spec.rfind(':');
  std::string topic = colon == std::string::npos ? spec : spec.substr(0, colon);
  if (topic.empty()) return UsageError(fmt::format("bad --topic '{}'", spec));
  KEEL_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(client, topic));
  if (colon == std::string::npos) {
    for (const auto& p : info.partitions) out->insert({topic, p.partition});
    return absl::OkStatus();
  }
  for (absl::string_view part : absl::StrSplit(spec.substr(colon + 1), ',')) {
    int32_t p = 0;
    if (!absl::SimpleAtoi(part, &p) || p < 0) return UsageError(fmt::format("bad --topic '{}'", spec));
    bool exists = false;
    for (const auto& pi : info.partitions) exists |= pi.partition == p;
    if (!exists) return KafkaError(fmt::format("partition {}-{}", topic, p), /*UNKNOWN_TOPIC_OR_PARTITION*/ 3);
    out->insert({topic, p});
  }
  return absl::OkStatus();
}

struct ResetOptions {
  std::string group;
  std::vector<std::string> topic_specs;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::string> to_datetime;
  std::optional<int64_t> to_offset;
  std::optional<int64_t> shift_by;
  bool dry_run = false;
  bool execute = false;
};

absl::Status ResetOffsets(Context& ctx, const ResetOptions& o) {
  const std::string& group = o.group;
  const bool to_earliest = o.to_earliest, to_latest = o.to_latest, execute = o.execute;
  const auto& to_datetime = o.to_datetime;
  const auto& to_offset = o.to_offset;
  int64_t offset_arg = o.to_offset.value_or(o.shift_by.value_or(0));
  int64_t timestamp_ms = 0;
  if (to_datetime) {
    // Checked by the option's validator already.
    KEEL_ASSIGN_OR_RETURN(timestamp_ms, ParseIso8601Millis(*to_datetime));
  }

  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(GroupDescription d, Describe(*client, group));
  if (d.state != "Empty" && d.state != "Dead") {
    return absl::FailedPreconditionError(fmt::format(
        "offsets can only be reset for an inactive group: group '{}' is {} with {} member(s)", group,
        d.state, d.members.size()));
  }
  std::set<TopicPartitionKey> partitions;
  for (const std::string& spec : o.topic_specs) KEEL_RETURN_IF_ERROR(AddTopicSpec(*client, spec, &partitions));
  KEEL_ASSIGN_OR_RETURN(auto committed, FetchCommittedOffsets(*client, group, std::nullopt));
  KEEL_ASSIGN_OR_RETURN(auto earliest, EndOffsets(*client, partitions, kEarliestTimestamp));
  KEEL_ASSIGN_OR_RETURN(auto latest, EndOffsets(*client, partitions, kLatestTimestamp));
  std::map<TopicPartitionKey, int64_t> by_time;
  if (to_datetime) {
    KEEL_ASSIGN_OR_RETURN(by_time, EndOffsets(*client, partitions, timestamp_ms));
  }

  std::map<TopicPartitionKey, int64_t> plan;
  for (const auto& tp : partitions) {
    int64_t lo = earliest[tp], hi = latest[tp];
    auto c = committed.find(tp);
    int64_t target = 0;
    if (to_earliest) {
      target = lo;
    } else if (to_latest) {
      target = hi;
    } else if (to_datetime) {
      target = by_time[tp] >= 0 ? by_time[tp] : hi;  // no record that late: the end
    } else if (to_offset) {
      target = offset_arg;
    } else {
      // Without a committed offset, shift from the log start.
      target = (c != committed.end() ? c->second : lo) + offset_arg;
    }
    plan[tp] = std::clamp(target, lo, hi);
  }

  if (execute) {
    KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client->GroupCoordinator(group));
    protocol::OffsetCommitRequest request;
    request.group_id = group;
    request.generation_id_or_member_epoch = -1;
    request.member_id = "";
    std::map<std::string, size_t> topic_index;
    for (const auto& [tp, offset] : plan) {
      if (!topic_index.count(tp.first)) {
        topic_index[tp.first] = request.topics.size();
        request.topics.emplace_back();
        request.topics.back().name = tp.first;
      }
      auto& t = request.topics[topic_index[tp.first]];
      t.partitions.emplace_back();
      t.partitions.back().partition_index = PartitionId{tp.second};
      t.partitions.back().committed_offset = Offset{offset};
      t.partitions.back().committed_metadata = "";
    }
    KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::OffsetCommitResponse>(request));
    for (const auto& t : reply.message.topics) {
      for (const auto& p : t.partitions) {
        KEEL_RETURN_IF_ERROR(KafkaError(
            fmt::format("OffsetCommit {}-{} for group '{}'", t.name, p.partition_index.value, group),
            p.error_code));
      }
    }
  }

  Json doc = {{"group", group}, {"executed", execute}};
  Json jplan = Json::array();
  Table table{{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"}, {}};
  for (const auto& [tp, offset] : plan) {
    auto c = committed.find(tp);
    jplan.push_back({{"topic", tp.first},
                     {"partition", tp.second},
                     {"current_offset", c != committed.end() ? Json(c->second) : Json()},
                     {"new_offset", offset}});
    table.rows.push_back({group, tp.first, std::to_string(tp.second),
                          c != committed.end() ? std::to_string(c->second) : "-", std::to_string(offset)});
  }
  doc["plan"] = std::move(jplan);
  std::string text = table.Render();
  text += execute ? "\nOffsets committed.\n"
                  : "\nDry run: nothing changed (pass --execute to commit these offsets).\n";
  ctx.Emit(doc, text);
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const std::string& group) {
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client->GroupCoordinator(group));
  protocol::DeleteGroupsRequest request;
  request.groups_names = {group};
  KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::DeleteGroupsResponse>(request));
  for (const auto& r : reply.message.results) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("cannot delete group '{}'", r.group_id), r.error_code));
  }
  ctx.Emit(Json{{"deleted", group}}, fmt::format("Deleted group {}.\n", group));
  return absl::OkStatus();
}

}  // namespace

void AddGroupsCommands(CLI::App& app, Action* action) {
  CLI::App* groups = app.add_subcommand("groups", "list, describe, reset the offsets of and delete consumer groups");
  groups->require_subcommand(0, 1);

  groups->add_subcommand("list", "groups with their protocol type and state")->callback([action] {
    *action = [](Context& ctx) { return List(ctx); };
  });

  auto describe = std::make_shared<std::string>();
  CLI::App* d = groups->add_subcommand(
      "describe", "members and, per partition, the committed offset, the log end offset and the lag");
  d->add_option("GROUP", *describe, "group id")->required();
  d->callback([action, describe] { *action = [describe](Context& ctx) { return DescribeCommand(ctx, *describe); }; });

  auto reset = std::make_shared<ResetOptions>();
  CLI::App* r = groups->add_subcommand(
      "reset-offsets",
      "set the committed offsets of an inactive group; prints the plan and changes nothing without --execute");
  r->add_option("GROUP", reset->group, "group id")->required();
  r->add_option("--topic", reset->topic_specs, "T (all partitions) or T:p,p (repeatable)")
      ->required()
      ->allow_extra_args(false);
  CLI::Option_group* target = r->add_option_group("target", "the new offsets, clamped to [log start, log end]");
  target->add_flag("--to-earliest", reset->to_earliest, "the log start offset");
  target->add_flag("--to-latest", reset->to_latest, "the log end offset");
  target->add_option("--to-datetime", reset->to_datetime,
                     "the first offset with a timestamp at or after YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM] "
                     "(UTC without a zone)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto parsed = ParseIso8601Millis(text);
            return parsed.ok() ? std::string() : std::string(parsed.status().message());
          },
          "DATETIME"));
  target->add_option("--to-offset", reset->to_offset, "this offset");
  target->add_option("--shift-by", reset->shift_by, "the committed offset (or the log start) plus N, N may be negative");
  target->require_option(1);
  CLI::Option* dry_run = r->add_flag("--dry-run", reset->dry_run, "only print the plan (the default)");
  r->add_flag("--execute", reset->execute, "commit the new offsets")->excludes(dry_run);
  r->callback([action, reset] { *action = [reset](Context& ctx) { return ResetOffsets(ctx, *reset); }; });

  auto del = std::make_shared<std::string>();
  CLI::App* x = groups->add_subcommand("delete", "delete an empty group and its committed offsets");
  x->add_option("GROUP", *del, "group id")->required();
  x->callback([action, del] { *action = [del](Context& ctx) { return Delete(ctx, *del); }; });
}

}  // namespace keel::cli
