// keel-admin topics: list | describe T | create T | alter-config T | delete T.
#include <map>

#include "absl/strings/str_join.h"
#include "cli/cluster_queries.h"
#include "cli/commands.h"
#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/protocol/messages/create_topics.h"
#include "keel/protocol/messages/delete_topics.h"
#include "keel/protocol/messages/describe_configs.h"
#include "keel/protocol/messages/incremental_alter_configs.h"

namespace keel::cli {
namespace {

constexpr int8_t kTopicResource = 2;

std::string JoinInts(const std::vector<int32_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out;
}

std::string ConfigSourceName(int8_t source) {
  switch (source) {
    case 1: return "DYNAMIC_TOPIC_CONFIG";
    case 2: return "DYNAMIC_BROKER_CONFIG";
    case 3: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case 4: return "STATIC_BROKER_CONFIG";
    case 5: return "DEFAULT_CONFIG";
    case 6: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    default: return "UNKNOWN";
  }
}

// "k=v" -> {k, v}; usage error otherwise.
absl::StatusOr<std::pair<std::string, std::string>> SplitKeyValue(const std::string& kv,
                                                                  const std::string& option) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    return UsageError(fmt::format("{} expects key=value, got '{}'", option, kv));
  }
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

absl::StatusOr<std::string> RequireTopic(Args& args, const std::string& command) {
  auto topic = args.Positional();
  if (!topic) return UsageError(fmt::format("topics {} needs a topic name", command));
  return *topic;
}

absl::Status List(Context& ctx, Args& args) {
  KEEL_RETURN_IF_ERROR(args.Finish());
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto topics, ListTopics(*client));
  Json doc = Json::MakeObject();
  Json list = Json::MakeArray();
  Table table{{"TOPIC", "PARTITIONS", "INTERNAL"}, {}};
  for (const auto& t : topics) {
    list.Push(Json::MakeObject()
                  .Set("name", t.name)
                  .Set("partitions", int64_t(t.partitions.size()))
                  .Set("internal", t.internal));
    table.rows.push_back({t.name, std::to_string(t.partitions.size()), t.internal ? "yes" : "no"});
  }
  doc.Set("topics", std::move(list));
  ctx.Emit(doc, table.Render());
  return absl::OkStatus();
}

absl::Status Describe(Context& ctx, Args& args) {
  KEEL_ASSIGN_OR_RETURN(std::string topic, RequireTopic(args, "describe"));
  KEEL_RETURN_IF_ERROR(args.Finish());
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(*client, topic));
  std::vector<int32_t> parts;
  for (const auto& p : info.partitions) parts.push_back(p.partition);
  KEEL_ASSIGN_OR_RETURN(auto earliest, ListPartitionOffsets(*client, info, parts, kEarliestTimestamp));
  KEEL_ASSIGN_OR_RETURN(auto latest, ListPartitionOffsets(*client, info, parts, kLatestTimestamp));

  protocol::DescribeConfigsRequest request;
  protocol::DescribeConfigsRequest::DescribeConfigsResource res;
  res.resource_type = kTopicResource;
  res.resource_name = topic;
  res.configuration_keys = std::nullopt;
  request.resources.push_back(res);
  KEEL_ASSIGN_OR_RETURN(auto reply,
                        client->bootstrap().Call<protocol::DescribeConfigsResponse>(request));

  Json doc = Json::MakeObject();
  doc.Set("name", info.name).Set("internal", info.internal);
  Json jparts = Json::MakeArray();
  Table ptable{{"PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START-OFFSET", "LOG-END-OFFSET"}, {}};
  for (const auto& p : info.partitions) {
    Json replicas = Json::MakeArray(), isr = Json::MakeArray();
    for (int32_t r : p.replicas) replicas.Push(r);
    for (int32_t r : p.isr) isr.Push(r);
    jparts.Push(Json::MakeObject()
                    .Set("partition", p.partition)
                    .Set("leader", p.leader)
                    .Set("replicas", std::move(replicas))
                    .Set("isr", std::move(isr))
                    .Set("log_start_offset", earliest[p.partition])
                    .Set("log_end_offset", latest[p.partition]));
    ptable.rows.push_back({std::to_string(p.partition), std::to_string(p.leader), JoinInts(p.replicas),
                           JoinInts(p.isr), std::to_string(earliest[p.partition]),
                           std::to_string(latest[p.partition])});
  }
  doc.Set("partitions", std::move(jparts));

  Json jconfigs = Json::MakeArray();
  Table ctable{{"CONFIG", "VALUE", "SOURCE"}, {}};
  for (const auto& r : reply.message.results) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("DescribeConfigs of topic '{}'", topic), r.error_code,
                                    r.error_message));
    for (const auto& c : r.configs) {
      std::string value = c.is_sensitive ? "(sensitive)" : c.value.value_or("null");
      jconfigs.Push(Json::MakeObject()
                        .Set("name", c.name)
                        .Set("value", c.value ? Json(*c.value) : Json())
                        .Set("source", ConfigSourceName(c.config_source))
                        .Set("read_only", c.read_only)
                        .Set("sensitive", c.is_sensitive));
      ctable.rows.push_back({c.name, value, ConfigSourceName(c.config_source)});
    }
  }
  doc.Set("configs", std::move(jconfigs));
  std::string text = fmt::format("Topic: {}  Partitions: {}{}\n\n", info.name, info.partitions.size(),
                                 info.internal ? "  (internal)" : "");
  text += ptable.Render() + "\n" + ctable.Render();
  ctx.Emit(doc, text);
  return absl::OkStatus();
}

absl::Status Create(Context& ctx, Args& args) {
  KEEL_ASSIGN_OR_RETURN(int64_t partitions, args.Int("--partitions", -1));
  KEEL_ASSIGN_OR_RETURN(int64_t replication, args.Int("--replication-factor", -1));
  KEEL_ASSIGN_OR_RETURN(auto configs, args.Values("--config"));
  KEEL_ASSIGN_OR_RETURN(std::string topic, RequireTopic(args, "create"));
  KEEL_RETURN_IF_ERROR(args.Finish());
  if (partitions == 0 || partitions < -1 || partitions > INT32_MAX) {
    return UsageError("--partitions must be a positive number");
  }
  protocol::CreateTopicsRequest request;
  protocol::CreateTopicsRequest::CreatableTopic t;
  t.name = topic;
  t.num_partitions = int32_t(partitions);
  t.replication_factor = int16_t(replication);
  for (const std::string& kv : configs) {
    KEEL_ASSIGN_OR_RETURN(auto pair, SplitKeyValue(kv, "--config"));
    protocol::CreateTopicsRequest::CreatableTopic::CreatableTopicConfig c;
    c.name = pair.first;
    c.value = pair.second;
    t.configs.push_back(c);
  }
  request.topics.push_back(t);
  request.timeout_ms = int32_t(ctx.options().timeout_ms);
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  // -1 (the broker's default partition count / replication factor) needs
  // v4+; older brokers get 1.
  if (auto range = client->bootstrap().BrokerRange(protocol::CreateTopicsRequest::kApiKey);
      range && range->max < 4) {
    if (request.topics[0].num_partitions < 0) request.topics[0].num_partitions = 1;
    if (request.topics[0].replication_factor < 0) request.topics[0].replication_factor = 1;
  }
  KEEL_ASSIGN_OR_RETURN(auto reply, client->bootstrap().Call<protocol::CreateTopicsResponse>(request));
  for (const auto& r : reply.message.topics) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("cannot create topic '{}'", topic), r.error_code,
                                    r.error_message));
  }
  KEEL_ASSIGN_OR_RETURN(TopicInfo info, DescribeTopic(*client, topic));
  Json doc = Json::MakeObject();
  doc.Set("created", topic).Set("partitions", int64_t(info.partitions.size()));
  ctx.Emit(doc, fmt::format("Created topic {} with {} partition(s).\n", topic, info.partitions.size()));
  return absl::OkStatus();
}

absl::Status AlterConfig(Context& ctx, Args& args) {
  KEEL_ASSIGN_OR_RETURN(auto sets, args.Values("--set"));
  KEEL_ASSIGN_OR_RETURN(auto deletes, args.Values("--delete"));
  KEEL_ASSIGN_OR_RETURN(std::string topic, RequireTopic(args, "alter-config"));
  KEEL_RETURN_IF_ERROR(args.Finish());
  if (sets.empty() && deletes.empty()) {
    return UsageError("topics alter-config needs at least one --set k=v or --delete k");
  }
  protocol::IncrementalAlterConfigsRequest request;
  protocol::IncrementalAlterConfigsRequest::AlterConfigsResource res;
  res.resource_type = kTopicResource;
  res.resource_name = topic;
  Json changes = Json::MakeArray();
  for (const std::string& kv : sets) {
    KEEL_ASSIGN_OR_RETURN(auto pair, SplitKeyValue(kv, "--set"));
    protocol::IncrementalAlterConfigsRequest::AlterConfigsResource::AlterableConfig c;
    c.name = pair.first;
    c.config_operation = 0;  // SET
    c.value = pair.second;
    res.configs.push_back(c);
    changes.Push(Json::MakeObject().Set("op", "set").Set("name", pair.first).Set("value", pair.second));
  }
  for (const std::string& key : deletes) {
    protocol::IncrementalAlterConfigsRequest::AlterConfigsResource::AlterableConfig c;
    c.name = key;
    c.config_operation = 1;  // DELETE
    c.value = std::nullopt;
    res.configs.push_back(c);
    changes.Push(Json::MakeObject().Set("op", "delete").Set("name", key));
  }
  request.resources.push_back(res);
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto reply,
                        client->bootstrap().Call<protocol::IncrementalAlterConfigsResponse>(request));
  for (const auto& r : reply.message.responses) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("cannot alter the config of topic '{}'", topic),
                                    r.error_code, r.error_message));
  }
  Json doc = Json::MakeObject();
  doc.Set("topic", topic).Set("changes", std::move(changes));
  ctx.Emit(doc, fmt::format("Altered the config of topic {} ({} change(s)).\n", topic,
                            sets.size() + deletes.size()));
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, Args& args) {
  KEEL_ASSIGN_OR_RETURN(std::string topic, RequireTopic(args, "delete"));
  KEEL_RETURN_IF_ERROR(args.Finish());
  protocol::DeleteTopicsRequest request;
  request.topic_names = {topic};
  protocol::DeleteTopicsRequest::DeleteTopicState state;
  state.name = topic;
  request.topics.push_back(state);
  request.timeout_ms = int32_t(ctx.options().timeout_ms);
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto reply, client->bootstrap().Call<protocol::DeleteTopicsResponse>(request));
  for (const auto& r : reply.message.responses) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("cannot delete topic '{}'", topic), r.error_code,
                                    r.error_message));
  }
  Json doc = Json::MakeObject();
  doc.Set("deleted", topic);
  ctx.Emit(doc, fmt::format("Deleted topic {}.\n", topic));
  return absl::OkStatus();
}

}  // namespace

absl::Status RunTopics(Context& ctx, Args& args) {
  auto sub = args.Positional();
  if (!sub) return UsageError("topics needs a subcommand: list, describe, create, alter-config, delete");
  if (*sub == "list") return List(ctx, args);
  if (*sub == "describe") return Describe(ctx, args);
  if (*sub == "create") return Create(ctx, args);
  if (*sub == "alter-config") return AlterConfig(ctx, args);
  if (*sub == "delete") return Delete(ctx, args);
  return UsageError(fmt::format("unknown topics subcommand '{}'", *sub));
}

}  // namespace keel::cli
