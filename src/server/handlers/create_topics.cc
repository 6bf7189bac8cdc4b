#include "create_topics.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {
namespace {

// replication.factor.policy (README "Replication factor"): the error for a
// replication factor or replica assignment this node does not take, or
// nullopt. Kafka's rules first: a factor < 1, assignments of unequal sizes
// or with a broker twice are invalid whatever the policy.
std::optional<std::pair<ErrorCode, std::string>> CheckReplication(
    const BrokerContext& broker, const protocol::CreateTopicsRequest::CreatableTopic& t,
    int32_t replication) {
  const int32_t self = broker.config.node_id;
  const bool accept = broker.config.replication_factor_policy ==
                      config::BrokerConfig::ReplicationFactorPolicy::kAccept;
  for (const auto& a : t.assignments) {
    std::set<int32_t> ids;
    for (auto id : a.broker_ids) ids.insert(id.value);
    if (a.broker_ids.empty() || ids.size() != a.broker_ids.size() ||
        int32_t(a.broker_ids.size()) != replication) {
      return std::make_pair(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                            "every partition needs the same number of distinct replicas");
    }
    if (!accept && (ids.size() != 1 || *ids.begin() != self)) {
      return std::make_pair(
          ErrorCode::INVALID_REPLICA_ASSIGNMENT,
          absl::StrCat("Keel is a single node (broker ", self,
                       "): a replica assignment may only name it; set "
                       "replication.factor.policy=accept on the broker to accept others "
                       "(one durable copy is kept)"));
    }
  }
  if (replication < 1 || replication > 32767) {
    return std::make_pair(ErrorCode::INVALID_REPLICATION_FACTOR,
                          "Replication factor must be larger than 0, or -1 to use the default "
                          "value (default.replication.factor).");
  }
  if (replication > 1 && !accept) {
    return std::make_pair(
        ErrorCode::INVALID_REPLICATION_FACTOR,
        absl::StrCat("Unable to replicate the partitions ", replication,
                     " times: Keel is a single node and keeps one copy of each partition. Set "
                     "replication.factor.policy=accept on the broker to accept a replication "
                     "factor above 1 (it is recorded, one durable copy is kept)."));
  }
  return std::nullopt;
}

}  // namespace

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
    int32_t partitions = t.num_partitions == -1 ? broker.config.num_partitions : t.num_partitions;
    int32_t replication = t.replication_factor == -1 ? broker.config.default_replication_factor
                                                     : t.replication_factor;
    if (!t.assignments.empty()) {
      if (t.num_partitions != -1 || t.replication_factor != -1) {
        fail(ErrorCode::INVALID_REQUEST,
             "give either num_partitions and replication_factor, or assignments");
        continue;
      }
      partitions = int32_t(t.assignments.size());
      replication = int32_t(t.assignments.front().broker_ids.size());
    }
    if (auto why = CheckReplication(broker, t, replication)) {
      fail(why->first, std::move(why->second));
      continue;
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
      auto work = [&broker, &t, partitions, replication, configs] {
        return broker.partitions.CreateTopic(t.name, partitions, configs, int16_t(replication));
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
      ModuleLogger("broker")->info("created topic {} ({} partitions, replication factor {}, id {})",
                                   t.name, partitions, replication, created->id.ToString());
    }
    out.error_code = int16_t(ErrorCode::NONE);
    out.num_partitions = partitions;
    // The replicas Keel keeps (Metadata lists this node alone), whatever
    // replication.factor.policy=accept recorded; see README "Replication".
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
