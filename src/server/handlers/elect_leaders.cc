#include "elect_leaders.h"

namespace keel::server {
namespace {

constexpr int8_t kPreferredElection = 0;
constexpr int8_t kUncleanElection = 1;

}  // namespace

Task<Reply<ElectLeadersHandler::Response>> ElectLeadersHandler::Handle(Call& call,
                                                                       Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  resp.error_code = int16_t(ErrorCode::NONE);
  // v0 carries no election type: the default 0 (preferred) applies.
  bool known_type =
      request.election_type == kPreferredElection || request.election_type == kUncleanElection;
  if (!known_type) {
    // Kafka fails the whole request: top-level error (v1+) and the same error
    // on every named partition.
    std::string why = "Unknown election type " + std::to_string(request.election_type);
    resp.error_code = int16_t(ErrorCode::INVALID_REQUEST);
    if (request.topic_partitions) {
      for (const auto& t : *request.topic_partitions) {
        auto& out = resp.replica_election_results.emplace_back();
        out.topic = t.topic;
        for (PartitionId p : t.partitions)
          out.partition_result.push_back({p, int16_t(ErrorCode::INVALID_REQUEST), why});
      }
    }
    co_return Reply<Response>{std::move(resp)};
  }

  if (!request.topic_partitions) {
    for (const auto& topic : broker.partitions.ListTopics())
      resp.replica_election_results.emplace_back().topic = topic.name;
    co_return Reply<Response>{std::move(resp)};
  }
  for (const auto& t : *request.topic_partitions) {
    auto& out = resp.replica_election_results.emplace_back();
    out.topic = t.topic;
    std::optional<partition::TopicInfo> info = broker.partitions.FindTopic(t.topic);
    for (PartitionId p : t.partitions) {
      auto& r = out.partition_result.emplace_back();
      r.partition_id = p;
      if (!info) {
        r.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        r.error_message = "No such topic as " + t.topic;
      } else if (p.value < 0 || p.value >= info->partitions) {
        r.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        r.error_message = "No such partition as " + t.topic + "-" + std::to_string(p.value);
      } else {
        r.error_code = int16_t(ErrorCode::ELECTION_NOT_NEEDED);
        r.error_message = std::nullopt;
      }
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
