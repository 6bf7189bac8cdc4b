// Shared metadata / offset queries (see cluster_queries.h).
#include "cli/cluster_queries.h"

#include <algorithm>

#include "cli/context.h"
#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/protocol/messages/list_offsets.h"
#include "keel/protocol/messages/metadata.h"
#include "keel/protocol/messages/offset_fetch.h"

namespace keel::cli {
namespace {

using protocol::MetadataRequest;
using protocol::MetadataResponse;

TopicInfo ToTopicInfo(const MetadataResponse::MetadataResponseTopic& t) {
  TopicInfo info;
  info.name = t.name.value_or("");
  info.internal = t.is_internal;
  for (const auto& p : t.partitions) {
    PartitionInfo pi;
    pi.partition = p.partition_index.value;
    pi.leader = p.leader_id.value;
    for (auto r : p.replica_nodes) pi.replicas.push_back(r.value);
    for (auto r : p.isr_nodes) pi.isr.push_back(r.value);
    pi.error_code = p.error_code;
    info.partitions.push_back(pi);
  }
  std::sort(info.partitions.begin(), info.partitions.end(),
            [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
  return info;
}

}  // namespace

absl::StatusOr<std::vector<TopicInfo>> ListTopics(client::Client& client) {
  MetadataRequest request;
  request.topics = std::nullopt;  // all topics (v1+)
  request.allow_auto_topic_creation = false;
  KEEL_ASSIGN_OR_RETURN(auto reply, client.bootstrap().Call<MetadataResponse>(request));
  std::vector<TopicInfo> topics;
  for (const auto& t : reply.message.topics) {
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("metadata of topic '{}'", t.name.value_or("")),
                                    t.error_code));
    topics.push_back(ToTopicInfo(t));
  }
  std::sort(topics.begin(), topics.end(),
            [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

absl::StatusOr<TopicInfo> DescribeTopic(client::Client& client, const std::string& topic) {
  MetadataRequest request;
  MetadataRequest::MetadataRequestTopic t;
  t.name = topic;
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{t};
  request.allow_auto_topic_creation = false;
  KEEL_ASSIGN_OR_RETURN(auto reply, client.bootstrap().Call<MetadataResponse>(request));
  for (const auto& rt : reply.message.topics) {
    if (rt.name.value_or("") != topic) continue;
    KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("topic '{}'", topic), rt.error_code));
    return ToTopicInfo(rt);
  }
  return KafkaError(fmt::format("topic '{}'", topic), /*UNKNOWN_TOPIC_OR_PARTITION*/ 3);
}

absl::StatusOr<std::map<int32_t, int64_t>> ListPartitionOffsets(
    client::Client& client, const TopicInfo& topic, const std::vector<int32_t>& partitions,
    int64_t timestamp, int8_t isolation) {
  using protocol::ListOffsetsRequest;
  using protocol::ListOffsetsResponse;
  // Group the partitions by leader.
  std::map<int32_t, std::vector<int32_t>> by_leader;
  for (int32_t p : partitions) {
    int32_t leader = -1;
    for (const auto& pi : topic.partitions) {
      if (pi.partition == p) leader = pi.leader;
    }
    if (leader < 0) {
      return KafkaError(fmt::format("partition {}-{}", topic.name, p),
                        /*UNKNOWN_TOPIC_OR_PARTITION*/ 3);
    }
    by_leader[leader].push_back(p);
  }
  std::map<int32_t, int64_t> out;
  for (const auto& [leader, parts] : by_leader) {
    KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client.Node(leader));
    ListOffsetsRequest request;
    request.replica_id = NodeId{-1};
    request.isolation_level = isolation;
    ListOffsetsRequest::ListOffsetsTopic t;
    t.name = topic.name;
    for (int32_t p : parts) {
      ListOffsetsRequest::ListOffsetsTopic::ListOffsetsPartition lp;
      lp.partition_index = PartitionId{p};
      lp.timestamp = timestamp;
      t.partitions.push_back(lp);
    }
    request.topics.push_back(t);
    KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<ListOffsetsResponse>(request));
    for (const auto& rt : reply.message.topics) {
      for (const auto& rp : rt.partitions) {
        KEEL_RETURN_IF_ERROR(KafkaError(
            fmt::format("ListOffsets {}-{}", rt.name, rp.partition_index.value), rp.error_code));
        out[rp.partition_index.value] = rp.offset.value;
      }
    }
  }
  return out;
}

absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> FetchCommittedOffsets(
    client::Client& client, const std::string& group,
    const std::optional<std::map<std::string, std::vector<int32_t>>>& topics) {
  using protocol::OffsetFetchRequest;
  using protocol::OffsetFetchResponse;
  KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client.GroupCoordinator(group));
  OffsetFetchRequest request;
  request.group_id = group;
  OffsetFetchRequest::OffsetFetchRequestGroup g;
  g.group_id = group;
  if (topics) {
    request.topics.emplace();
    g.topics.emplace();
    for (const auto& [name, parts] : *topics) {
      OffsetFetchRequest::OffsetFetchRequestTopic t;
      t.name = name;
      t.partition_indexes = parts;
      request.topics->push_back(t);
      OffsetFetchRequest::OffsetFetchRequestGroup::OffsetFetchRequestTopics gt;
      gt.name = name;
      gt.partition_indexes = parts;
      g.topics->push_back(gt);
    }
  } else {
    request.topics = std::nullopt;
    g.topics = std::nullopt;
  }
  request.groups.push_back(g);
  // v1 cannot ask for "all topics"; v2+ can.
  KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<OffsetFetchResponse>(request));
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  const std::string what = fmt::format("OffsetFetch for group '{}'", group);
  if (reply.version >= 8) {
    for (const auto& rg : reply.message.groups) {
      KEEL_RETURN_IF_ERROR(KafkaError(what, rg.error_code));
      for (const auto& t : rg.topics) {
        for (const auto& p : t.partitions) {
          KEEL_RETURN_IF_ERROR(KafkaError(what, p.error_code));
          if (p.committed_offset.value >= 0) out[{t.name, p.partition_index.value}] = p.committed_offset.value;
        }
      }
    }
  } else {
    KEEL_RETURN_IF_ERROR(KafkaError(what, reply.message.error_code));
    for (const auto& t : reply.message.topics) {
      for (const auto& p : t.partitions) {
        KEEL_RETURN_IF_ERROR(KafkaError(what, p.error_code));
        if (p.committed_offset.value >= 0) out[{t.name, p.partition_index.value}] = p.committed_offset.value;
      }
    }
  }
  return out;
}

}  // namespace keel::cli
