// Queries several keel-admin commands share: topic metadata, partition
// offsets (ListOffsets) and a group's committed offsets (OffsetFetch).
//
// Kafka error codes in responses become errors naming them (KafkaError), so
// callers can return them as they are. Requests for a partition go to its
// leader. Thread-safety: none (uses the caller's Client).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/client/client.h"

namespace keel::cli {

struct PartitionInfo {
  int32_t partition = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int16_t error_code = 0;
};

struct TopicInfo {
  std::string name;
  bool internal = false;
  std::vector<PartitionInfo> partitions;  // sorted by partition
};

// Every topic (sorted by name).
absl::StatusOr<std::vector<TopicInfo>> ListTopics(client::Client& client);

// One topic; the Kafka error (e.g. UNKNOWN_TOPIC_OR_PARTITION) if it does not exist.
absl::StatusOr<TopicInfo> DescribeTopic(client::Client& client, const std::string& topic);

// Special ListOffsets timestamps.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

// The offset per partition for `timestamp` (kLatestTimestamp,
// kEarliestTimestamp, or a time in ms: the first offset whose timestamp is
// >= it, -1 if none). isolation 1 = read_committed (latest = LSO).
absl::StatusOr<std::map<int32_t, int64_t>> ListPartitionOffsets(
    client::Client& client, const TopicInfo& topic, const std::vector<int32_t>& partitions,
    int64_t timestamp, int8_t isolation = 0);

// The group's committed offsets: all of them (topics = nullopt) or those of
// the given topic partitions. Partitions without a commit are left out.
absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> FetchCommittedOffsets(
    client::Client& client, const std::string& group,
    const std::optional<std::map<std::string, std::vector<int32_t>>>& topics);

}  // namespace keel::cli
