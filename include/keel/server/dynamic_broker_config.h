// DynamicBrokerConfig: the broker configs AlterConfigs may change at run time
// (Kafka's KIP-226), their persistence, and the effective config they make.
//
// Two dynamic levels sit on top of the static config (config file, --set):
// the cluster-wide default (BROKER resource with an empty name) and this
// broker's own (BROKER resource named by node.id). Precedence, highest
// first: a topic's own override > dynamic per-broker > dynamic cluster
// default > --set > config file > built-in default. Only keys marked
// dynamic in the key table (the topic-level defaults: log.retention.*,
// log.segment.bytes, log.roll.*, log.cleanup.policy, message.max.bytes, ...)
// may be set; the rest are read-only at run time.
//
// Both levels are kept in `<first log dir>/dynamic-broker-configs.properties`
// (private to this broker, replaced crash-safely: temp file, fdatasync,
// rename, directory fsync), one `default.<key>=<value>` or
// `broker.<key>=<value>` line per entry. A change is persisted before it
// takes effect; then the new topic defaults go to the sink (the partition
// manager), so topics without their own override follow at once.
//
// Thread-safety: every method is thread-safe; Replace calls are serialized
// and do file I/O (call them off the network threads).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "keel/config/broker_config.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log_config.h"

namespace keel::server {

inline constexpr char kDynamicBrokerConfigFile[] = "dynamic-broker-configs.properties";

class DynamicBrokerConfig {
 public:
  enum class Scope { kClusterDefault, kBroker };
  // Receives the new topic-level defaults after a change took effect.
  using LogDefaultsSink = std::function<absl::Status(const storage::LogConfig&)>;

  // Reads the persisted levels from `dir` (none when the file is missing)
  // and builds the effective config over `static_config` (as built from the
  // config file and --set). Entries that are no longer dynamic keys are
  // dropped with a warning; DataLoss for an unreadable file, InvalidArgument
  // when the stored values no longer make a valid config. `fs` must outlive
  // the object.
  static absl::StatusOr<std::unique_ptr<DynamicBrokerConfig>> Open(
      storage::FileSystem& fs, std::string dir, const config::BrokerConfig& static_config);

  // The effective config (static + dynamic levels), replaced on each change.
  std::shared_ptr<const config::BrokerConfig> current() const;
  // The topic-level defaults of the effective config.
  storage::LogConfig log_defaults() const;
  // The keys set at one dynamic level.
  config::Properties values(Scope scope) const;

  void SetLogDefaultsSink(LogDefaultsSink sink);

  // Makes `values` the whole set of keys at `scope` (a key left out reverts
  // to the level below). FailedPrecondition names a key that is unknown or
  // read-only at run time; InvalidArgument a bad value. With
  // `validate_only` nothing is persisted or applied.
  absl::Status Replace(Scope scope, config::Properties values, bool validate_only);

  // The file text for the two levels, and back (exposed for tests).
  static std::string Encode(const config::Properties& cluster_default,
                            const config::Properties& broker);
  static absl::Status Decode(std::string_view text, config::Properties* cluster_default,
                             config::Properties* broker);

 private:
  DynamicBrokerConfig(storage::FileSystem& fs, std::string dir, config::Properties file_props,
                      config::Properties overrides);
  // The effective config and its topic defaults for the given levels.
  absl::StatusOr<std::pair<config::BrokerConfig, storage::LogConfig>> Build(
      const config::Properties& cluster_default, const config::Properties& broker) const;

  storage::FileSystem& fs_;
  const std::string dir_;
  const config::Properties file_props_;  // static levels
  const config::Properties overrides_;

  std::mutex change_mu_;  // serializes Replace (validate, persist, apply)
  mutable std::mutex mu_;  // guards the fields below
  config::Properties cluster_default_;
  config::Properties broker_;
  std::shared_ptr<const config::BrokerConfig> current_;
  storage::LogConfig log_defaults_;
  LogDefaultsSink sink_;
};

}  // namespace keel::server
