// keel-admin topics: list | describe T | create T | alter-config T | delete T.
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
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

struct CreateOptions {
  std::string topic;
  int64_t partitions = -1;
  int64_t replication = -1;
  std::vector<std::string> configs;
};

struct AlterConfigOptions {
  std::string topic;
  std::vector<std::string> sets;
  std::vector<std::string> deletes;
};

absl::Status List(Context& ctx) {
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto topics, ListTopics(*client));
  Json list = Json::array();
  Table table{{"TOPIC", "PARTITIONS", "INTERNAL"}, {}};
  for (const auto& t : topics) {
    list.push_back({{"name", t.name}, {"partitions", t.partitions.size()}, {"internal", t.internal}});
    table.rows.push_back({t.name, std::to_string(t.partitions.size()), t.internal ? "yes" : "no"});
  }
  ctx.Emit(Json{{"topics", std::move(list)}}, table.Render());
  return absl::OkStatus();
}

absl::Status Describe(Context& ctx, const std::string& topic) {
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

  Json doc = {{"name", info.name}, {"internal", info.internal}};
  Json jparts = Json::array();
  Table ptable{{"PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START-OFFSET", "LOG-END-OFFSET"}, {}};
  for (const auto& p : info.partitions) {
    jparts.push_back({{"partition", p.partition},
                      {"leader", p.leader},
                      {"replicas", p.replicas},
                      {"isr", p.isr},
                      {"log_start_offset", earliest[p.partition]},
                      {"log_end_offset", latest[p.partition]}});
    ptable.rows.push_back({std::to_string(p.partition), std::to_string(p.leader), JoinInts(p.replicas),
                           JoinInts(p.isr), std::to_string(earliest[p.partition]),
                           std::to_string(latest[p.partition])});
  }
  doc["partitions"] = std::move(jparts);

  Json jconfigs = Json::array();
  Table ctable{{"CONFIG", "VALUE", "SOURCE"}, {}};
  for (const auto& r : reply.message.results) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("DescribeConfigs of topic '{}'", topic), r.error_code,
                                    r.error_message));
    for (const auto& c : r.configs) {
      std::string value = c.is_sensitive ? "(sensitive)" : c.value.value_or("null");
      jconfigs.push_back({{"name", c.name},
                          {"value", c.value ? Json(*c.value) : Json()},
                          {"source", ConfigSourceName(c.config_source)},
                          {"read_only", c.read_only},
                          {"sensitive", c.is_sensitive}});
      ctable.rows.push_back({c.name, value, ConfigSourceName(c.config_source)});
    }
  }
  doc["configs"] = std::move(jconfigs);
  std::string text = fmt::format("Topic: {}  Partitions: {}{}\n\n", info.name, info.partitions.size(),
                                 info.internal ? "  (internal)" : "");
  text += ptable.Render() + "\n" + ctable.Render();
  ctx.Emit(doc, text);
  return absl::OkStatus();
}

absl::Status Create(Context& ctx, const CreateOptions& o) {
  const std::string& topic = o.topic;
  protocol::CreateTopicsRequest request;
  protocol::CreateTopicsRequest::CreatableTopic t;
  t.name = topic;
  t.num_partitions = int32_t(o.partitions);
  t.replication_factor = int16_t(o.replication);
  for (const std::string& kv : o.configs) {
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
  Json doc = {{"created", topic}, {"partitions", info.partitions.size()}};
  ctx.Emit(doc, fmt::format("Created topic {} with {} partition(s).\n", topic, info.partitions.size()));
  return absl::OkStatus();
}

absl::Status AlterConfig(Context& ctx, const AlterConfigOptions& o) {
  const std::string& topic = o.topic;
  const auto& sets = o.sets;
  const auto& deletes = o.deletes;
  protocol::IncrementalAlterConfigsRequest request;
  protocol::IncrementalAlterConfigsRequest::AlterConfigsResource res;
  res.resource_type = kTopicResource;
  res.resource_name = topic;
  Json changes = Json::array();
  for (const std::string& kv : sets) {
    KEEL_ASSIGN_OR_RETURN(auto pair, SplitKeyValue(kv, "--set"));
    protocol::IncrementalAlterConfigsRequest::AlterConfigsResource::AlterableConfig c;
    c.name = pair.first;
    c.config_operation = 0;  // SET
    c.value = pair.second;
    res.configs.push_back(c);
    changes.push_back({{"op", "set"}, {"name", pair.first}, {"value", pair.second}});
  }
  for (const std::string& key : deletes) {
    protocol::IncrementalAlterConfigsRequest::AlterConfigsResource::AlterableConfig c;
    c.name = key;
    c.config_operation = 1;  // DELETE
    c.value = std::nullopt;
    res.configs.push_back(c);
    changes.push_back({{"op", "delete"}, {"name", key}});
  }
  request.resources.push_back(res);
  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(auto reply,
                        client->bootstrap().Call<protocol::IncrementalAlterConfigsResponse>(request));
  for (const auto& r : reply.message.responses) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("cannot alter the config of topic '{}'", topic),
                                    r.error_code, r.error_message));
  }
  Json doc = {{"topic", topic}, {"changes", std::move(changes)}};
  ctx.Emit(doc, fmt::format("Altered the config of topic {} ({} change(s)).\n", topic,
                            sets.size() + deletes.size()));
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const std::string& topic) {
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
  ctx.Emit(Json{{"deleted", topic}}, fmt::format("Deleted topic {}.\n", topic));
  return absl::OkStatus();
}

}  // namespace

void AddTopicsCommands(CLI::App& app, Action* action) {
  CLI::App* topics = app.add_subcommand("topics", "list, describe, create, alter and delete topics");
  topics->require_subcommand(0, 1);

  topics->add_subcommand("list", "topics with their partition counts")->callback([action] {
    *action = [](Context& ctx) { return List(ctx); };
  });

  auto describe = std::make_shared<std::string>();
  CLI::App* d = topics->add_subcommand(
      "describe", "partitions with leaders and log start/end offsets, then every config and its source");
  d->add_option("TOPIC", *describe, "topic name")->required();
  d->callback([action, describe] { *action = [describe](Context& ctx) { return Describe(ctx, *describe); }; });

  auto create = std::make_shared<CreateOptions>();
  CLI::App* c = topics->add_subcommand("create", "create a topic");
  c->add_option("TOPIC", create->topic, "topic name")->required();
  c->add_option("--partitions", create->partitions, "partition count (default: the broker's)")
      ->check(CLI::Range(int64_t{1}, int64_t{INT32_MAX}));
  c->add_option("--replication-factor", create->replication, "replicas per partition (default: the broker's)")
      ->check(CLI::Range(int64_t{1}, int64_t{INT16_MAX}));
  c->add_option("--config", create->configs, "a topic config k=v (repeatable)")->allow_extra_args(false);
  c->callback([action, create] { *action = [create](Context& ctx) { return Create(ctx, *create); }; });

  auto alter = std::make_shared<AlterConfigOptions>();
  CLI::App* a = topics->add_subcommand("alter-config", "set or delete topic configs");
  a->add_option("TOPIC", alter->topic, "topic name")->required();
  auto* changes = a->add_option_group("changes", "at least one of")->require_option(1, 0);
  changes->add_option("--set", alter->sets, "set k=v (repeatable)")->allow_extra_args(false);
  changes->add_option("--delete", alter->deletes, "delete key k, back to the default (repeatable)")
      ->allow_extra_args(false);
  a->callback([action, alter] { *action = [alter](Context& ctx) { return AlterConfig(ctx, *alter); }; });

  auto del = std::make_shared<std::string>();
  CLI::App* x = topics->add_subcommand("delete", "delete a topic");
  x->add_option("TOPIC", *del, "topic name")->required();
  x->callback([action, del] { *action = [del](Context& ctx) { return Delete(ctx, *del); }; });
}

}  // namespace keel::cli
