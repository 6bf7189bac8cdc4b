// The broker's configuration: every key Keel understands, its type, default
// and meaning, and the typed values in effect.
//
// Keys follow Kafka's broker config names where Kafka has a key for the same
// thing. Unknown keys and bad values are start-up errors (InvalidArgument
// naming the key). Topic-level defaults (log.segment.bytes -> segment.bytes,
// ...) are exposed as a map in topic-config vocabulary so the storage layer
// can parse them without this module depending on it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/config/properties.h"

namespace keel::config {

// One `NAME://host:port` entry of `listeners` / `advertised.listeners`.
struct ListenerSpec {
  std::string name;  // PLAINTEXT
  std::string host;  // empty = all interfaces
  uint16_t port = 0;
  std::string ToString() const;
};

absl::StatusOr<std::vector<ListenerSpec>> ParseListeners(std::string_view text);

// Where a config value came from, for DescribeConfigs and start-up logging.
// kDynamicBroker / kDynamicDefault: set at run time with AlterConfigs on the
// BROKER resource named by this node's id / with an empty name (KIP-226).
enum class ConfigSource { kDefault, kConfigFile, kOverride, kDynamicDefault, kDynamicBroker };

// One level that sets a key, for DescribeConfigs synonyms.
struct ConfigLevel {
  ConfigSource source;
  std::string value;
};

struct ConfigEntry {
  std::string name;
  std::string value;
  ConfigSource source = ConfigSource::kDefault;
  bool sensitive = false;
  std::string doc;
  // Changeable at run time (AlterConfigs on the BROKER resource).
  bool dynamic = false;
  // Every level that sets this key, highest precedence first (dynamic
  // per-broker, dynamic cluster default, static file/--set, built-in
  // default); the first is `value`/`source`. Empty when nothing sets it.
  std::vector<ConfigLevel> levels;
};

struct BrokerConfig {
  int32_t node_id = 0;
  std::vector<ListenerSpec> listeners;
  std::vector<ListenerSpec> advertised_listeners;  // defaults to listeners
  std::vector<std::string> log_dirs;
  bool auto_create_topics = true;
  int32_t num_partitions = 1;
  // replication.factor.policy: strict (default) refuses a replication factor
  // above 1 on this single node; accept takes any, records it with the topic
  // and keeps one durable copy. default.replication.factor is what topics
  // created without one (auto-creation, CreateTopics with -1) get.
  enum class ReplicationFactorPolicy { kStrict, kAccept };
  ReplicationFactorPolicy replication_factor_policy = ReplicationFactorPolicy::kStrict;
  int16_t default_replication_factor = 1;
  int32_t num_network_threads = 0;  // 0 = number of cores
  int32_t num_io_threads = 2;
  int32_t log_flush_threads = 4;
  bool fetch_zero_copy = true;
  int64_t socket_request_max_bytes = 100 * 1024 * 1024;
  int64_t connections_max_idle_ms = 600000;
  int32_t max_inflight_requests_per_connection = 64;
  int64_t queued_max_request_bytes = 256 * 1024 * 1024;  // -1 = unbounded
  int64_t log_retention_check_interval_ms = 300000;
  bool log_cleaner_enable = true;
  int64_t log_cleaner_backoff_ms = 15000;
  int64_t log_cleaner_dedupe_buffer_size = 128 * 1024 * 1024;
  int32_t offsets_topic_num_partitions = 50;
  int64_t offsets_retention_minutes = 10080;
  int64_t group_initial_rebalance_delay_ms = 3000;
  int64_t group_min_session_timeout_ms = 6000;
  int64_t group_max_session_timeout_ms = 1800000;
  int64_t producer_id_expiration_ms = 86400000;
  int64_t transactional_id_expiration_ms = 604800000;
  int64_t transaction_max_timeout_ms = 900000;
  int32_t transaction_state_log_num_partitions = 50;
  int64_t transaction_abort_timed_out_transaction_cleanup_interval_ms = 10000;
  std::string logger_level = "info";
  std::string cluster_id = "keel-cluster";
  // HTTP listener for /healthz, /readyz, /metrics; port -1 = off.
  std::string http_listener_host;
  int32_t http_listener_port = -1;
  int64_t shutdown_drain_ms = 10000;

  // Topic config defaults in topic-key vocabulary (segment.bytes, retention.ms, ...).
  std::map<std::string, std::string> topic_defaults;
  // Every broker key with its effective value and source, sorted by name.
  std::vector<ConfigEntry> entries;
};

// The key=value text used when keel runs without --config.
std::string_view EmbeddedDefaultConfig();

// Builds the config from a file's properties plus command-line overrides
// (overrides win). Unknown keys and bad values return InvalidArgument.
absl::StatusOr<BrokerConfig> BuildBrokerConfig(const Properties& file_props,
                                               const Properties& overrides);

// The same with the dynamic levels on top (KIP-226 precedence: dynamic
// per-broker > dynamic cluster default > overrides > file > built-in
// default). Keys in the dynamic levels must be dynamic (see
// DynamicKeyProblem); the caller checks that.
absl::StatusOr<BrokerConfig> BuildBrokerConfig(const Properties& file_props,
                                               const Properties& overrides,
                                               const Properties& dynamic_default,
                                               const Properties& dynamic_broker);

// Names of every broker key Keel accepts, sorted.
std::vector<std::string> KnownBrokerKeys();

// Why `key` cannot be set at run time (unknown, or read-only at run time),
// or nullopt when it can. The message names the key.
std::optional<std::string> DynamicKeyProblem(std::string_view key);

// True for list-typed broker keys (log.cleanup.policy), the only ones
// IncrementalAlterConfigs APPEND/SUBTRACT accept.
bool IsListBrokerKey(std::string_view key);

}  // namespace keel::config
