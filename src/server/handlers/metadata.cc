#include "metadata.h"

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {
namespace {

using Resp = protocol::MetadataResponse;
constexpr int32_t kAuthorizedOpsNotRequested = INT32_MIN;
// Bits of Kafka's AclOperation codes a sole tenant may do on a topic: READ(3)
// WRITE(4) CREATE(5) DELETE(6) ALTER(7) DESCRIBE(8) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11).
constexpr int32_t kAllTopicOps = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) |
                                 (1 << 10) | (1 << 11);

Resp::MetadataResponseTopic DescribeTopic(const BrokerContext& broker,
                                          const partition::TopicInfo& t, bool include_ops) {
  Resp::MetadataResponseTopic out;
  out.error_code = int16_t(ErrorCode::NONE);
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.internal;
  NodeId self(broker.config.node_id);
  // Only look partitions up when some log dir is offline (the common case
  // answers without touching the logs).
  const bool any_offline = !broker.partitions.OfflineLogDirs().empty();
  for (int32_t p = 0; p < t.partitions; ++p) {
    Resp::MetadataResponseTopic::MetadataResponsePartition part;
    part.error_code = int16_t(ErrorCode::NONE);
    part.partition_index = PartitionId(p);
    part.leader_id = self;
    part.leader_epoch = LeaderEpoch(kLeaderEpoch);
    // One replica, in sync, whatever replication factor the topic recorded
    // (replication.factor.policy=accept keeps one durable copy).
    part.replica_nodes = {self};
    part.isr_nodes = {self};
    if (any_offline) {
      auto log = broker.partitions.GetLog(TopicPartition{t.name, PartitionId(p)});
      if (log && log->offline()) {
        // As Kafka reports a partition whose only replica's log dir is
        // offline: no leader, the replica listed offline (ISR keeps it).
        part.error_code = int16_t(ErrorCode::LEADER_NOT_AVAILABLE);
        part.leader_id = NodeId(-1);
        part.offline_replicas = {self};
      }
    }
    out.partitions.push_back(std::move(part));
  }
  out.topic_authorized_operations = include_ops ? kAllTopicOps : kAuthorizedOpsNotRequested;
  return out;
}

Resp::MetadataResponseTopic TopicError(std::optional<std::string> name, Uuid id, ErrorCode e) {
  Resp::MetadataResponseTopic out;
  out.error_code = int16_t(e);
  out.name = std::move(name);
  out.topic_id = id;
  out.topic_authorized_operations = kAuthorizedOpsNotRequested;
  return out;
}

}  // namespace

const config::ListenerSpec& AdvertisedFor(const BrokerContext& broker, const std::string& listener) {
  for (const auto& l : broker.config.advertised_listeners)
    if (l.name == listener) return l;
  return broker.config.advertised_listeners.front();
}

Task<Reply<MetadataHandler::Response>> MetadataHandler::Handle(Call& call, Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  const auto& adv = AdvertisedFor(broker, call.connection.listener);
  Resp::MetadataResponseBroker self;
  self.node_id = NodeId(broker.config.node_id);
  self.host = adv.host;
  self.port = adv.port;
  resp.brokers.push_back(self);
  resp.cluster_id = broker.config.cluster_id;
  resp.controller_id = NodeId(broker.config.node_id);
  resp.cluster_authorized_operations = kAuthorizedOpsNotRequested;
  bool include_ops = request.include_topic_authorized_operations;

  // v0: an empty list means "all topics"; v1+: null means all, empty means none.
  bool all_topics = !request.topics.has_value() || (call.version() == 0 && request.topics->empty());
  if (all_topics) {
    for (const auto& t : broker.partitions.ListTopics())
      resp.topics.push_back(DescribeTopic(broker, t, include_ops));
    co_return Reply<Response>{std::move(resp)};
  }

  // Before v4 a Metadata request always allowed auto-creation.
  bool may_create = broker.config.auto_create_topics &&
                    (call.version() < 4 || request.allow_auto_topic_creation);
  for (const auto& rt : *request.topics) {
    if (!rt.name.has_value()) {
      // v10+: lookup by topic id.
      auto t = broker.partitions.FindTopicById(rt.topic_id);
      resp.topics.push_back(t ? DescribeTopic(broker, *t, include_ops)
                              : TopicError(std::nullopt, rt.topic_id, ErrorCode::UNKNOWN_TOPIC_ID));
      continue;
    }
    const std::string& name = *rt.name;
    if (auto t = broker.partitions.FindTopic(name)) {
      resp.topics.push_back(DescribeTopic(broker, *t, include_ops));
      continue;
    }
    if (!IsValidTopicName(name)) {
      resp.topics.push_back(TopicError(name, Uuid{}, ErrorCode::INVALID_TOPIC_EXCEPTION));
      continue;
    }
    if (!may_create) {
      resp.topics.push_back(TopicError(name, Uuid{}, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
      continue;
    }
    auto work = [&broker, name] {
      return broker.partitions.CreateTopic(name, broker.config.num_partitions, {},
                                           broker.config.default_replication_factor);
    };
    auto created = co_await RunOn(broker.storage_pool, std::move(work));
    if (created.ok()) {
      ModuleLogger("broker")->info("auto-created topic {} with {} partition(s)", name,
                                   broker.config.num_partitions);
      resp.topics.push_back(DescribeTopic(broker, *created, include_ops));
    } else if (auto t = broker.partitions.FindTopic(name)) {
      resp.topics.push_back(DescribeTopic(broker, *t, include_ops));  // created concurrently
    } else {
      ModuleLogger("broker")->warn("auto-creating topic {} failed: {}", name,
                                   created.status().ToString());
      resp.topics.push_back(TopicError(name, Uuid{}, ErrorCode::KAFKA_STORAGE_ERROR));
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
