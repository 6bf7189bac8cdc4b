// Dynamic broker configs: the two levels, their file, and the rebuild of the
// effective config (see dynamic_broker_config.h).
#include "keel/server/dynamic_broker_config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "keel/common/logging.h"
#include "keel/common/status_macros.h"

namespace keel::server {
namespace {

constexpr char kDefaultPrefixText[] = "default.";
constexpr std::string_view kDefaultPrefix = kDefaultPrefixText;
constexpr char kBrokerPrefixText[] = "broker.";
constexpr std::string_view kBrokerPrefix = kBrokerPrefixText;

}  // namespace

std::string DynamicBrokerConfig::Encode(const config::Properties& cluster_default,
                                        const config::Properties& broker) {
  std::string out =
      "# Keel dynamic broker configs (AlterConfigs on the BROKER resource).\n"
      "# default.<key>: cluster-wide default; broker.<key>: this broker. Written by keel.\n";
  for (const auto& [k, v] : cluster_default) absl::StrAppend(&out, kDefaultPrefixText, k, "=", v, "\n");
  for (const auto& [k, v] : broker) absl::StrAppend(&out, kBrokerPrefixText, k, "=", v, "\n");
  return out;
}

absl::Status DynamicBrokerConfig::Decode(std::string_view text, config::Properties* cluster_default,
                                         config::Properties* broker) {
  KEEL_ASSIGN_OR_RETURN(config::Properties props,
                        config::ParseProperties(text, kDynamicBrokerConfigFile));
  for (const auto& [k, v] : props) {
    std::string_view key = k;
    if (key.starts_with(kDefaultPrefix)) {
      (*cluster_default)[std::string(key.substr(kDefaultPrefix.size()))] = v;
    } else if (key.starts_with(kBrokerPrefix)) {
      (*broker)[std::string(key.substr(kBrokerPrefix.size()))] = v;
    } else {
      return absl::DataLossError(absl::StrCat(kDynamicBrokerConfigFile, ": entry '", k,
                                              "' is neither default.<key> nor broker.<key>"));
    }
  }
  return absl::OkStatus();
}

DynamicBrokerConfig::DynamicBrokerConfig(storage::FileSystem& fs, std::string dir,
                                         config::Properties file_props,
                                         config::Properties overrides)
    : fs_(fs), dir_(std::move(dir)), file_props_(std::move(file_props)),
      overrides_(std::move(overrides)) {}

absl::StatusOr<std::unique_ptr<DynamicBrokerConfig>> DynamicBrokerConfig::Open(
    storage::FileSystem& fs, std::string dir, const config::BrokerConfig& static_config) {
  // The static levels, recovered from the entries' sources.
  config::Properties file_props, overrides;
  for (const auto& e : static_config.entries) {
    for (const auto& level : e.levels) {
      if (level.source == config::ConfigSource::kConfigFile) file_props[e.name] = level.value;
      if (level.source == config::ConfigSource::kOverride) overrides[e.name] = level.value;
    }
  }
  std::unique_ptr<DynamicBrokerConfig> d(
      new DynamicBrokerConfig(fs, dir, std::move(file_props), std::move(overrides)));
  std::string path = storage::JoinPath(dir, kDynamicBrokerConfigFile);
  KEEL_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  config::Properties cluster_default, broker;
  if (exists) {
    KEEL_ASSIGN_OR_RETURN(std::string text, storage::ReadFileToString(fs, path));
    if (auto st = Decode(text, &cluster_default, &broker); !st.ok()) {
      return absl::DataLossError(absl::StrCat(path, ": ", st.message()));
    }
    for (auto* level : {&cluster_default, &broker}) {
      for (auto it = level->begin(); it != level->end();) {
        if (auto problem = config::DynamicKeyProblem(it->first)) {
          ModuleLogger("broker")->warn("{}: ignoring {}", path, *problem);
          it = level->erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  auto built = d->Build(cluster_default, broker);
  if (!built.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " (dynamic broker configs): ", built.status().message()));
  }
  d->cluster_default_ = std::move(cluster_default);
  d->broker_ = std::move(broker);
  d->current_ = std::make_shared<const config::BrokerConfig>(std::move(built->first));
  d->log_defaults_ = built->second;
  return d;
}

absl::StatusOr<std::pair<config::BrokerConfig, storage::LogConfig>> DynamicBrokerConfig::Build(
    const config::Properties& cluster_default, const config::Properties& broker) const {
  KEEL_ASSIGN_OR_RETURN(config::BrokerConfig c, config::BuildBrokerConfig(
                                                    file_props_, overrides_, cluster_default, broker));
  KEEL_ASSIGN_OR_RETURN(storage::LogConfig log, storage::LogConfig().WithOverrides(c.topic_defaults));
  return std::make_pair(std::move(c), log);
}

std::shared_ptr<const config::BrokerConfig> DynamicBrokerConfig::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

storage::LogConfig DynamicBrokerConfig::log_defaults() const {
  std::lock_guard lock(mu_);
  return log_defaults_;
}

config::Properties DynamicBrokerConfig::values(Scope scope) const {
  std::lock_guard lock(mu_);
  return scope == Scope::kBroker ? broker_ : cluster_default_;
}

void DynamicBrokerConfig::SetLogDefaultsSink(LogDefaultsSink sink) {
  std::lock_guard change(change_mu_);
  std::lock_guard lock(mu_);
  sink_ = std::move(sink);
}

absl::Status DynamicBrokerConfig::Replace(Scope scope, config::Properties values,
                                          bool validate_only) {
  for (const auto& [k, v] : values) {
    if (auto problem = config::DynamicKeyProblem(k)) return absl::FailedPreconditionError(*problem);
  }
  std::lock_guard change(change_mu_);
  config::Properties cluster_default, broker;
  LogDefaultsSink sink;
  {
    std::lock_guard lock(mu_);
    cluster_default = cluster_default_;
    broker = broker_;
    sink = sink_;
  }
  (scope == Scope::kBroker ? broker : cluster_default) = std::move(values);
  auto built = Build(cluster_default, broker);
  if (!built.ok()) return absl::InvalidArgumentError(built.status().message());
  if (validate_only) return absl::OkStatus();
  KEEL_RETURN_IF_ERROR(storage::WriteFileAtomically(fs_, dir_, kDynamicBrokerConfigFile,
                                                    Encode(cluster_default, broker)));
  {
    std::lock_guard lock(mu_);
    cluster_default_ = std::move(cluster_default);
    broker_ = std::move(broker);
    current_ = std::make_shared<const config::BrokerConfig>(std::move(built->first));
    log_defaults_ = built->second;
  }
  if (sink) KEEL_RETURN_IF_ERROR(sink(built->second));
  return absl::OkStatus();
}

}  // namespace keel::server
