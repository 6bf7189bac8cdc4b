// Shared by AlterConfigs (key 33) and IncrementalAlterConfigs (key 44):
// Kafka's per-resource checks and the topic-config read-merge-apply.
//
// Kafka's rules, in the order it applies them to each resource:
//   1. a resource named twice in one request: INVALID_REQUEST for every copy;
//   2. a config key named twice, a null value (except for DELETE), an
//      unknown operation: INVALID_REQUEST;
//   3. by resource type:
//      - TOPIC: unknown topic -> UNKNOWN_TOPIC_OR_PARTITION; APPEND/SUBTRACT
//        on a non-list key, unknown keys and bad values -> INVALID_CONFIG
//        (with the reason); otherwise the overrides are replaced (AlterConfigs)
//        or merged (IncrementalAlterConfigs), persisted and applied to the
//        live logs, unless validate_only;
//      - BROKER: the name must be empty (cluster default) or this node's id,
//        else INVALID_REQUEST. Keys read-only at run time are refused with
//        INVALID_REQUEST ("Cannot update these configs dynamically", as
//        Kafka), unknown keys and bad values with INVALID_CONFIG; otherwise
//        that dynamic level is replaced (AlterConfigs) or merged
//        (IncrementalAlterConfigs; DELETE reverts a key to the level below),
//        persisted and applied (see DynamicBrokerConfig), unless validate_only;
//      - anything else (BROKER_LOGGER, CLIENT_METRICS, GROUP, unknown):
//        INVALID_REQUEST naming the type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handler.h"

namespace keel::server {

// Kafka's ConfigResource.Type codes.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;
inline constexpr int8_t kResourceBrokerLogger = 8;

// Kafka's AlterConfigOp.OpType codes (IncrementalAlterConfigs).
enum class ConfigOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

// One requested change. AlterConfigs entries are all kSet.
struct ConfigOpEntry {
  std::string name;
  int8_t op = int8_t(ConfigOp::kSet);  // raw wire value; CheckConfigOps validates it
  std::optional<std::string> value;
};

struct ConfigAlteration {
  int8_t resource_type = 0;
  std::string resource_name;
  std::vector<ConfigOpEntry> ops;
};

struct ConfigAlterResult {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> message;  // null when error == NONE
};

// kReplace: AlterConfigs, the given set becomes the resource's whole override
// set. kIncremental: IncrementalAlterConfigs, each op applies to the current
// overrides and the others are kept.
enum class AlterMode { kReplace, kIncremental };

// The INVALID_REQUEST message for a malformed op list (rule 2 above), or
// nullopt when it is well formed.
std::optional<std::string> CheckConfigOps(std::span<const ConfigOpEntry> ops);

// Kafka's list-typed topic configs, the only keys APPEND/SUBTRACT accept.
bool IsListTopicConfig(std::string_view key);

// The overrides after applying `ops` (already checked) to `current`, in
// order. APPEND/SUBTRACT start from the current override, else from
// `defaults` (the broker-wide value of the key), split at commas; APPEND adds
// the values not yet present, SUBTRACT removes them. DELETE removes the
// override (the key falls back to the broker default). InvalidArgument for
// APPEND/SUBTRACT on a key `is_list` refuses. Pure; does not validate values.
absl::StatusOr<std::map<std::string, std::string>> MergeConfigOps(
    const std::map<std::string, std::string>& current,
    const std::map<std::string, std::string>& defaults, std::span<const ConfigOpEntry> ops,
    bool (*is_list)(std::string_view) = IsListTopicConfig);

// Checks, and unless `validate_only` applies, every alteration; returns one
// result per alteration, in order. Topic work runs on the storage pool; the
// read-merge-apply of one topic is serialized against every other config
// alteration. REQUIRES: `alterations` outlives the returned task.
Task<std::vector<ConfigAlterResult>> AlterConfigResources(
    BrokerContext& broker, const std::vector<ConfigAlteration>& alterations, AlterMode mode,
    bool validate_only);

}  // namespace keel::server
