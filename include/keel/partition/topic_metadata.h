// Durable topic metadata: the TopicInfo value, topic-name rules and the
// encoding of the metadata file `topics.meta` (one per broker, in the first
// log dir, replaced atomically). The file format is specified in
// docs/storage-format.md, "Topic metadata: topics.meta". A file that does
// not parse or whose CRC does not match is DataLoss.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/types.h"

namespace keel::partition {

struct TopicInfo {
  std::string name;
  Uuid id;
  int32_t partitions = 0;
  std::map<std::string, std::string> configs;  // overrides only
  bool internal = false;
  // The replication factor the topic was created with (CreateTopics or
  // default.replication.factor). Keel keeps one durable copy whatever it is
  // (replication.factor.policy=accept); it is recorded so that a cluster on
  // shared storage can honour it later.
  int16_t replication_factor = 1;
};

inline constexpr std::string_view kTopicsMetadataFile = "topics.meta";
inline constexpr size_t kMaxTopicNameLength = 249;

// Kafka's rules: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
absl::Status ValidateTopicName(std::string_view name);
// Internal topics: __consumer_offsets and __transaction_state.
bool IsInternalTopic(std::string_view name);

std::string EncodeTopics(const std::vector<TopicInfo>& topics);
absl::StatusOr<std::vector<TopicInfo>> DecodeTopics(std::string_view text);

}  // namespace keel::partition
