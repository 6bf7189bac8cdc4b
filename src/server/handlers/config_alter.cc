#include "config_alter.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/common/logging.h"
#include "keel/server/dynamic_broker_config.h"
#include "topic_util.h"

namespace keel::server {
namespace {

// Serializes every topic-config read-merge-apply, so two concurrent
// IncrementalAlterConfigs on one topic cannot lose each other's keys.
std::mutex& ConfigAlterMutex() {
  static std::mutex mu;
  return mu;
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> parts;
  absl::string_view text(value.data(), value.size());
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) parts.emplace_back(part);
  }
  return parts;
}

std::string ResourceTypeName(int8_t type) {
  switch (type) {
    case 2: return "TOPIC";
    case 4: return "BROKER";
    case 8: return "BROKER_LOGGER";
    case 16: return "CLIENT_METRICS";
    case 32: return "GROUP";
    default: return "UNKNOWN";
  }
}

ConfigAlterResult Error(ErrorCode code, std::string message) {
  return ConfigAlterResult{code, std::move(message)};
}

// Rule 3, BROKER: dynamic broker configs (KIP-226). Runs on the storage pool.
ConfigAlterResult AlterBroker(BrokerContext& broker, const ConfigAlteration& alt, AlterMode mode,
                              bool validate_only) {
  if (!alt.resource_name.empty()) {
    int32_t id = 0;
    const std::string& n = alt.resource_name;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), id);
    if (ec != std::errc() || p != n.data() + n.size()) {
      return Error(ErrorCode::INVALID_REQUEST, "Node id must be an integer, but it is: " + n);
    }
    if (id != broker.config.node_id) {
      return Error(ErrorCode::INVALID_REQUEST,
                   absl::StrCat("Unexpected broker id, expected ", broker.config.node_id,
                                ", but received ", n));
    }
  }
  // Keys that cannot change at run time (listeners, log.dirs, node.id, ...).
  std::vector<std::string> read_only, unknown;
  const std::vector<std::string> known_keys = config::KnownBrokerKeys();
  for (const auto& op : alt.ops) {
    if (!config::DynamicKeyProblem(op.name)) continue;
    bool known = std::find(known_keys.begin(), known_keys.end(), op.name) != known_keys.end();
    (known ? read_only : unknown).push_back(op.name);
  }
  if (!unknown.empty()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 absl::StrCat("Unknown broker configs: ", absl::StrJoin(unknown, ", ")));
  }
  if (!read_only.empty()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 absl::StrCat("Cannot update these configs dynamically: ",
                              absl::StrJoin(read_only, ", "),
                              " (read-only at run time: set them in the config file or with "
                              "--set, and restart)"));
  }
  DynamicBrokerConfig* dynamic = broker.dynamic_config;
  if (!dynamic) {
    if (alt.ops.empty()) return {};
    return Error(ErrorCode::INVALID_REQUEST, "Dynamic broker configs are not available");
  }
  using Scope = DynamicBrokerConfig::Scope;
  Scope scope = alt.resource_name.empty() ? Scope::kClusterDefault : Scope::kBroker;
  std::map<std::string, std::string> values;
  if (mode == AlterMode::kReplace) {
    for (const auto& op : alt.ops) values[op.name] = op.value.value_or("");
  } else {
    // APPEND/SUBTRACT start from the value in effect at this level or below.
    std::map<std::string, std::string> effective;
    for (const auto& e : dynamic->current()->entries) effective.emplace(e.name, e.value);
    auto merged = MergeConfigOps(dynamic->values(scope), effective, alt.ops, config::IsListBrokerKey);
    if (!merged.ok()) {
      return Error(ErrorCode::INVALID_CONFIG, std::string(merged.status().message()));
    }
    values = std::move(*merged);
  }
  absl::Status st = dynamic->Replace(scope, values, validate_only);
  if (absl::IsFailedPrecondition(st)) {
    return Error(ErrorCode::INVALID_REQUEST, std::string(st.message()));
  }
  if (absl::IsInvalidArgument(st)) return Error(ErrorCode::INVALID_CONFIG, std::string(st.message()));
  if (!st.ok()) return Error(ToErrorCode(st), std::string(st.message()));
  if (!validate_only) {
    std::vector<std::string> shown;
    for (const auto& [k, v] : values) shown.push_back(k + "=" + v);
    ModuleLogger("broker")->info("dynamic broker configs ({}) now {{{}}}",
                                 scope == Scope::kBroker ? "this broker" : "cluster default",
                                 absl::StrJoin(shown, ", "));
  }
  return {};
}

// Rule 3, TOPIC. Runs on the storage pool.
ConfigAlterResult AlterTopic(BrokerContext& broker, const ConfigAlteration& alt, AlterMode mode,
                             bool validate_only) {
  std::lock_guard<std::mutex> lock(ConfigAlterMutex());
  const std::string& name = alt.resource_name;
  auto topic = broker.partitions.FindTopic(name);
  if (!topic) {
    return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
  }
  const storage::LogConfig& defaults = broker.partitions.default_config();
  std::map<std::string, std::string> overrides;
  if (mode == AlterMode::kReplace) {
    for (const auto& op : alt.ops) overrides[op.name] = op.value.value_or("");
  } else {
    std::map<std::string, std::string> default_values;
    for (auto& [k, v] : defaults.Describe()) default_values.emplace(k, v);
    auto merged = MergeConfigOps(topic->configs, default_values, alt.ops);
    if (!merged.ok()) {
      return Error(ErrorCode::INVALID_CONFIG, std::string(merged.status().message()));
    }
    overrides = std::move(*merged);
  }
  if (auto checked = defaults.WithOverrides(overrides); !checked.ok()) {
    return Error(ErrorCode::INVALID_CONFIG, std::string(checked.status().message()));
  }
  if (validate_only) return {};
  absl::Status st = broker.partitions.AlterTopicConfig(name, overrides);
  if (st.code() == absl::StatusCode::kNotFound) {
    return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, std::string(st.message()));
  }
  if (st.code() == absl::StatusCode::kInvalidArgument) {
    return Error(ErrorCode::INVALID_CONFIG, std::string(st.message()));
  }
  if (!st.ok()) return Error(ToErrorCode(st), std::string(st.message()));
  std::vector<std::string> shown;
  for (const auto& [k, v] : overrides) shown.push_back(k + "=" + v);
  ModuleLogger("broker")->info("topic {} config overrides now {{{}}}", name,
                               absl::StrJoin(shown, ", "));
  return {};
}

}  // namespace

std::optional<std::string> CheckConfigOps(std::span<const ConfigOpEntry> ops) {
  std::set<std::string_view> seen;
  for (const auto& op : ops) {
    if (!seen.insert(op.name).second) return "Error due to duplicate config keys";
  }
  std::vector<std::string> nulls;
  for (const auto& op : ops) {
    if (op.op < int8_t(ConfigOp::kSet) || op.op > int8_t(ConfigOp::kSubtract)) {
      return absl::StrCat("Unknown operations type ", op.op);
    }
    if (op.op != int8_t(ConfigOp::kDelete) && !op.value) nulls.push_back(op.name);
  }
  if (!nulls.empty()) return "Null value not supported for : " + absl::StrJoin(nulls, ", ");
  return std::nullopt;
}

bool IsListTopicConfig(std::string_view key) { return key == "cleanup.policy"; }

absl::StatusOr<std::map<std::string, std::string>> MergeConfigOps(
    const std::map<std::string, std::string>& current,
    const std::map<std::string, std::string>& defaults, std::span<const ConfigOpEntry> ops,
    bool (*is_list)(std::string_view)) {
  std::map<std::string, std::string> out = current;
  for (const auto& op : ops) {
    switch (ConfigOp(op.op)) {
      case ConfigOp::kSet:
        out[op.name] = op.value.value_or("");
        break;
      case ConfigOp::kDelete:
        out.erase(op.name);
        break;
      case ConfigOp::kAppend:
      case ConfigOp::kSubtract: {
        bool append = ConfigOp(op.op) == ConfigOp::kAppend;
        if (!is_list(op.name)) {
          return absl::InvalidArgumentError(absl::StrCat("Can't ", append ? "APPEND" : "SUBTRACT",
                                                         " to key ", op.name,
                                                         " because its type is not LIST."));
        }
        std::string base;
        if (auto it = out.find(op.name); it != out.end()) base = it->second;
        else if (auto d = defaults.find(op.name); d != defaults.end()) base = d->second;
        std::vector<std::string> parts = SplitList(base);
        for (const std::string& v : SplitList(op.value.value_or(""))) {
          auto pos = std::find(parts.begin(), parts.end(), v);
          if (append && pos == parts.end()) parts.push_back(v);
          if (!append && pos != parts.end()) parts.erase(pos);
        }
        out[op.name] = absl::StrJoin(parts, ",");
        break;
      }
    }
  }
  return out;
}

Task<std::vector<ConfigAlterResult>> AlterConfigResources(
    BrokerContext& broker, const std::vector<ConfigAlteration>& alterations, AlterMode mode,
    bool validate_only) {
  std::vector<ConfigAlterResult> results(alterations.size());
  // Rule 1: each (type, name) at most once.
  std::map<std::pair<int8_t, std::string>, size_t> first_seen;
  std::vector<bool> duplicate(alterations.size(), false);
  for (size_t i = 0; i < alterations.size(); ++i) {
    auto key = std::make_pair(alterations[i].resource_type, alterations[i].resource_name);
    auto [it, inserted] = first_seen.emplace(key, i);
    if (!inserted) duplicate[it->second] = duplicate[i] = true;
  }
  for (size_t i = 0; i < alterations.size(); ++i) {
    const ConfigAlteration& alt = alterations[i];
    if (duplicate[i]) {
      results[i] = Error(ErrorCode::INVALID_REQUEST, "Each resource must appear at most once.");
      continue;
    }
    if (auto bad = CheckConfigOps(alt.ops)) {  // rule 2
      results[i] = Error(ErrorCode::INVALID_REQUEST, *bad);
      continue;
    }
    if (alt.resource_type == kResourceTopic) {
      auto work = [&broker, &alt, mode, validate_only] {
        return AlterTopic(broker, alt, mode, validate_only);
      };
      results[i] = co_await RunOn(broker.storage_pool, std::move(work));
    } else if (alt.resource_type == kResourceBroker) {
      auto work = [&broker, &alt, mode, validate_only] {
        return AlterBroker(broker, alt, mode, validate_only);
      };
      results[i] = co_await RunOn(broker.storage_pool, std::move(work));
    } else if (alt.resource_type == kResourceBrokerLogger && mode == AlterMode::kIncremental) {
      results[i] = Error(ErrorCode::INVALID_REQUEST,
                         "Keel does not support changing broker logger levels at run time "
                         "(resource type BROKER_LOGGER); set logger.level and restart");
    } else {
      results[i] = Error(ErrorCode::INVALID_REQUEST,
                         absl::StrCat("Unknown resource type ", alt.resource_type, " (",
                                      ResourceTypeName(alt.resource_type),
                                      "): Keel alters TOPIC configs only"));
    }
  }
  co_return results;
}

}  // namespace keel::server
