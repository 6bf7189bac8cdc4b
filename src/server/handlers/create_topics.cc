#include "create_topics.h"

#include <set>

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {

Task<Reply<CreateTopicsHandler::Response>> CreateTopicsHandler::Handle(Call& call,
                                                                       Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  std::set<std::string> seen;
  for (const auto& t : request.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    out.num_partitions = -1;
    out.replication_factor = -1;
    auto fail = [&out](ErrorCode e, std::string msg) {
      out.error_code = int16_t(e);
      out.error_message = std::move(msg);
    };
    if (!seen.insert(t.name).second) {
      fail(ErrorCode::INVALID_REQUEST, "topic named twice in one request");
      continue;
    }
    if (!IsValidTopicName(t.name)) {
      fail(ErrorCode::INVALID_TOPIC_EXCEPTION,
           "topic names are 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'");
      continue;
    }
    if (t.replication_factor != -1 && t.replication_factor != 1) {
      fail(ErrorCode::INVALID_REPLICATION_FACTOR, "Keel is a single node: replication factor 1");
      continue;
    }
    int32_t partitions = t.num_partitions == -1 ? broker.config.num_partitions : t.num_partitions;
    if (!t.assignments.empty()) {
      if (t.num_partitions != -1) {
        fail(ErrorCode::INVALID_REQUEST, "give either num_partitions or assignments");
        continue;
      }
      partitions = int32_t(t.assignments.size());
    }
    if (partitions <= 0) {
      fail(ErrorCode::INVALID_PARTITIONS, "partition count must be positive");
      continue;
    }
    std::map<std::string, std::string> configs;
    bool bad_config = false;
    for (const auto& c : t.configs) {
      if (!c.value.has_value()) continue;  // null value: use the default
      configs[c.name] = *c.value;
    }
    auto validated = broker.partitions.default_config().WithOverrides(configs);
    if (!validated.ok()) {
      fail(ErrorCode::INVALID_CONFIG, std::string(validated.status().message()));
      bad_config = true;
    }
    if (bad_config) continue;
    if (broker.partitions.FindTopic(t.name)) {
      fail(ErrorCode::TOPIC_ALREADY_EXISTS, "topic '" + t.name + "' already exists");
      continue;
    }
    if (!request.validate_only) {
      auto work = [&broker, &t, partitions, configs] {
        return broker.partitions.CreateTopic(t.name, partitions, configs);
      };
      auto created = co_await RunOn(broker.storage_pool, std::move(work));
      if (!created.ok()) {
        fail(created.status().code() == absl::StatusCode::kAlreadyExists
                 ? ErrorCode::TOPIC_ALREADY_EXISTS
                 : ToErrorCode(created.status()),
             std::string(created.status().message()));
        continue;
      }
      out.topic_id = created->id;
      ModuleLogger("broker")->info("created topic {} ({} partitions, id {})", t.name, partitions,
                                   created->id.ToString());
    }
    out.error_code = int16_t(ErrorCode::NONE);
    out.num_partitions = partitions;
    out.replication_factor = 1;
    out.configs.emplace();
    for (const auto& [k, v] : validated->Describe()) {
      auto& c = out.configs->emplace_back();
      c.name = k;
      c.value = v;
      c.read_only = false;
      c.config_source = int8_t(configs.count(k) ? 1 : 5);  // TOPIC_CONFIG or DEFAULT_CONFIG
      c.is_sensitive = false;
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
