// The table of broker keys and the code that turns properties into a
// BrokerConfig. Each key is one row: name, default, doc, and how to apply it.
#include "keel/config/broker_config.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/common/status_macros.h"
#include "keel/common/strings.h"

namespace keel::config {
namespace {

using Apply = std::function<absl::Status(BrokerConfig&, const std::string&)>;

struct KeyDef {
  std::string name;
  std::string default_value;  // "" with has_default=false means "no default"
  std::string doc;
  Apply apply;
  bool sensitive = false;
  bool dynamic = false;  // may change at run time (KIP-226)
};

absl::Status BadValue(absl::string_view key, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("config ", key, "='", value, "': expected ", want));
}

template <typename T>
Apply IntField(T BrokerConfig::*field, int64_t min, int64_t max = std::numeric_limits<T>::max()) {
  return [field, min, max](BrokerConfig& c, const std::string& v) -> absl::Status {
    int64_t n;
    if (!absl::SimpleAtoi(v, &n) || n < min || n > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected an integer in [", min, ", ", max, "]"));
    }
    c.*field = T(n);
    return absl::OkStatus();
  };
}

Apply BoolField(bool BrokerConfig::*field) {
  return [field](BrokerConfig& c, const std::string& v) -> absl::Status {
    std::string l = absl::AsciiStrToLower(v);
    if (l == "true") c.*field = true;
    else if (l == "false") c.*field = false;
    else return absl::InvalidArgumentError("expected true or false");
    return absl::OkStatus();
  };
}

// A broker key that only sets a topic-level default, validated as an integer.
Apply TopicInt(std::string topic_key, int64_t min, int64_t scale = 1) {
  return [topic_key, min, scale](BrokerConfig& c, const std::string& v) -> absl::Status {
    int64_t n;
    if (!absl::SimpleAtoi(v, &n) || n < min) {
      return absl::InvalidArgumentError(absl::StrCat("expected an integer >= ", min));
    }
    c.topic_defaults[topic_key] = std::to_string(n < 0 ? n : n * scale);
    return absl::OkStatus();
  };
}

// A broker key that sets a topic-level default validated by LogConfig itself.
Apply TopicPassthrough(std::string topic_key) {
  return [topic_key](BrokerConfig& c, const std::string& v) -> absl::Status {
    c.topic_defaults[topic_key] = v;
    return absl::OkStatus();
  };
}

Apply TopicEnum(std::string topic_key, std::vector<std::string> allowed) {
  return [topic_key, allowed](BrokerConfig& c, const std::string& v) -> absl::Status {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected one of ", absl::StrJoin(allowed, ", ")));
    }
    c.topic_defaults[topic_key] = v;
    return absl::OkStatus();
  };
}

const std::vector<KeyDef>& KeyTable() {
  static const std::vector<KeyDef> table = [] {
    std::vector<KeyDef> t;
    auto add = [&t](std::string name, std::string def, std::string doc, Apply apply) {
      t.push_back({std::move(name), std::move(def), std::move(doc), std::move(apply)});
    };
    // A key AlterConfigs may change at run time; every topic-level default
    // is one (topics without their own override follow it at once).
    auto add_dynamic = [&t](std::string name, std::string def, std::string doc, Apply apply) {
      t.push_back({std::move(name), std::move(def), std::move(doc), std::move(apply), false, true});
    };
    add("node.id", "0", "This broker's id, returned in Metadata.",
        IntField(&BrokerConfig::node_id, 0));
    add("broker.id", "", "Alias of node.id.", IntField(&BrokerConfig::node_id, 0));
    add("listeners", "PLAINTEXT://127.0.0.1:9092",
        "Comma-separated NAME://host:port addresses to accept clients on (port 0 = ephemeral).",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          KEEL_ASSIGN_OR_RETURN(c.listeners, ParseListeners(v));
          if (c.listeners.empty()) return absl::InvalidArgumentError("at least one listener");
          return absl::OkStatus();
        });
    add("advertised.listeners", "",
        "Addresses given to clients in Metadata (defaults to listeners; set it behind NAT or port "
        "mapping).",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          if (v.empty()) return absl::OkStatus();
          KEEL_ASSIGN_OR_RETURN(c.advertised_listeners, ParseListeners(v));
          return absl::OkStatus();
        });
    add("log.dirs", "./data", "Comma-separated directories holding partition logs.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          c.log_dirs.clear();
          for (absl::string_view d : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
            c.log_dirs.emplace_back(absl::StripAsciiWhitespace(d));
          }
          if (c.log_dirs.empty()) return absl::InvalidArgumentError("at least one directory");
          return absl::OkStatus();
        });
    add("log.dir", "", "Single log directory (used when log.dirs is not set).",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          if (!v.empty()) c.log_dirs = {v};
          return absl::OkStatus();
        });
    add("auto.create.topics.enable", "true",
        "Create a topic on first Metadata request or produce that names it.",
        BoolField(&BrokerConfig::auto_create_topics));
    add("num.partitions", "1", "Partition count of auto-created topics.",
        IntField(&BrokerConfig::num_partitions, 1, 100000));
    add("default.replication.factor", "1",
        "Replication factor of topics created without one (auto-creation, CreateTopics with "
        "-1). Above 1 needs replication.factor.policy=accept; Keel keeps one copy.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          int64_t n;
          if (!absl::SimpleAtoi(v, &n) || (n < 1 && n != -1) || n > 32767)
            return absl::InvalidArgumentError("expected an integer in [1, 32767]");
          c.default_replication_factor = int16_t(n < 1 ? 1 : n);
          return absl::OkStatus();
        });
    add("replication.factor.policy", "strict",
        "strict: a replication factor above 1 is refused (INVALID_REPLICATION_FACTOR), this "
        "single node holds one copy. accept: any replication factor is accepted and recorded "
        "with the topic, one durable copy is kept (Metadata lists this node as the only "
        "replica).",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          if (v == "strict") c.replication_factor_policy = BrokerConfig::ReplicationFactorPolicy::kStrict;
          else if (v == "accept") c.replication_factor_policy = BrokerConfig::ReplicationFactorPolicy::kAccept;
          else return absl::InvalidArgumentError("expected strict or accept");
          return absl::OkStatus();
        });
    add_dynamic("min.insync.replicas", "1",
        "Default min.insync.replicas of topics (stored and reported; the in-sync replica set "
        "is always this node, and acks=all waits for its fsync).",
        TopicInt("min.insync.replicas", 1));
    add_dynamic("compression.type", "producer",
        "Default compression.type of topics: producer keeps each batch's codec; uncompressed, "
        "gzip, snappy, lz4 or zstd recompresses every produced batch to that codec.",
        TopicEnum("compression.type",
                  {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}));
    add_dynamic("compression.gzip.level", "-1",
        "Default compression.gzip.level of topics (1-9, -1 = zlib's default).",
        TopicPassthrough("compression.gzip.level"));
    add_dynamic("compression.lz4.level", "9", "Default compression.lz4.level of topics (1-17).",
        TopicPassthrough("compression.lz4.level"));
    add_dynamic("compression.zstd.level", "3", "Default compression.zstd.level of topics (-131072-22).",
        TopicPassthrough("compression.zstd.level"));
    add("num.network.threads", "0", "Threads running network I/O (0 = number of cores).",
        IntField(&BrokerConfig::num_network_threads, 0, 256));
    add("num.io.threads", "2", "Threads doing storage reads and appends.",
        IntField(&BrokerConfig::num_io_threads, 1, 256));
    add("fetch.zero.copy", "true",
        "Send fetched record batches from the segment files with sendfile(2) (no copy "
        "through broker memory); false reads them into memory first.",
        BoolField(&BrokerConfig::fetch_zero_copy));
    add("log.flush.threads", "4",
        "Threads running group-commit fsyncs; several let the fsyncs of different partitions "
        "overlap.",
        IntField(&BrokerConfig::log_flush_threads, 1, 64));
    add("socket.request.max.bytes", "104857600",
        "Largest request frame accepted; bigger frames close the connection.",
        IntField(&BrokerConfig::socket_request_max_bytes, 1024, std::numeric_limits<int32_t>::max()));
    add("connections.max.idle.ms", "600000", "Idle connections are closed after this long.",
        IntField(&BrokerConfig::connections_max_idle_ms, 1000));
    add("queued.max.requests.per.connection", "64",
        "Requests read ahead on one connection before reading pauses (back-pressure).",
        IntField(&BrokerConfig::max_inflight_requests_per_connection, 1, 10000));
    add("queued.max.request.bytes", "268435456",
        "Bytes of requests read and not yet answered, over all connections; a connection "
        "whose next request does not fit stops reading until some are answered. Produce, "
        "Fetch and other partition-list requests count 8 times their size (their decoded "
        "form). -1 = unbounded.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          int64_t n;
          if (!absl::SimpleAtoi(v, &n) || n == 0 || n < -1)
            return absl::InvalidArgumentError("expected a positive integer or -1 (unbounded)");
          c.queued_max_request_bytes = n;
          return absl::OkStatus();
        });
    add("log.retention.check.interval.ms", "300000", "How often retention runs.",
        IntField(&BrokerConfig::log_retention_check_interval_ms, 100));
    add("offsets.topic.num.partitions", "50", "Partitions of __consumer_offsets.",
        IntField(&BrokerConfig::offsets_topic_num_partitions, 1, 1000));
    add("offsets.retention.minutes", "10080", "Committed offsets of empty groups expire after this.",
        IntField(&BrokerConfig::offsets_retention_minutes, 1));
    add("group.initial.rebalance.delay.ms", "3000",
        "Delay of the first rebalance of an empty group, to let members join.",
        IntField(&BrokerConfig::group_initial_rebalance_delay_ms, 0));
    add("group.min.session.timeout.ms", "6000", "Smallest session timeout a member may ask for.",
        IntField(&BrokerConfig::group_min_session_timeout_ms, 1));
    add("group.max.session.timeout.ms", "1800000", "Largest session timeout a member may ask for.",
        IntField(&BrokerConfig::group_max_session_timeout_ms, 1));
    add("producer.id.expiration.ms", "86400000",
        "How long a partition keeps the state of an idempotent producer that stopped writing "
        "(its retries are deduplicated until then).",
        IntField(&BrokerConfig::producer_id_expiration_ms, 1));
    add("transactional.id.expiration.ms", "604800000",
        "A transactional id without transactions for this long is forgotten.",
        IntField(&BrokerConfig::transactional_id_expiration_ms, 1));
    add("transaction.max.timeout.ms", "900000", "Largest transaction timeout a producer may ask for.",
        IntField(&BrokerConfig::transaction_max_timeout_ms, 1));
    add("transaction.state.log.num.partitions", "50", "Partitions of __transaction_state.",
        IntField(&BrokerConfig::transaction_state_log_num_partitions, 1, 1000));
    add("transaction.abort.timed.out.transaction.cleanup.interval.ms", "10000",
        "How often open transactions are checked against their timeout (and aborted).",
        IntField(&BrokerConfig::transaction_abort_timed_out_transaction_cleanup_interval_ms, 100));
    add("logger.level", "info", "Log level: trace, debug, info, warn, error, critical, off.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          static const std::vector<std::string> levels = {"trace", "debug", "info", "warn",
                                                          "error", "critical", "off"};
          if (std::find(levels.begin(), levels.end(), v) == levels.end())
            return absl::InvalidArgumentError("expected trace|debug|info|warn|error|critical|off");
          c.logger_level = v;
          return absl::OkStatus();
        });
    add("cluster.id", "keel-cluster", "Cluster id reported in Metadata.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          if (v.empty()) return absl::InvalidArgumentError("a non-empty id");
          c.cluster_id = v;
          return absl::OkStatus();
        });
    add("http.listener", "",
        "host:port of the HTTP listener serving /healthz, /readyz and /metrics (Prometheus); "
        "empty = off, port 0 = ephemeral. The embedded default (no --config) uses "
        "127.0.0.1:9644.",
        [](BrokerConfig& c, const std::string& v) -> absl::Status {
          c.http_listener_host.clear();
          c.http_listener_port = -1;
          if (v.empty()) return absl::OkStatus();
          size_t colon = v.rfind(':');
          uint32_t port;
          if (colon == std::string::npos ||
              !absl::SimpleAtoi(absl::string_view(v).substr(colon + 1), &port) || port > 65535) {
            return absl::InvalidArgumentError("expected host:port (or empty for off)");
          }
          c.http_listener_host = v.substr(0, colon);
          if (c.http_listener_host.size() >= 2 && c.http_listener_host.front() == '[' &&
              c.http_listener_host.back() == ']')
            c.http_listener_host = c.http_listener_host.substr(1, c.http_listener_host.size() - 2);
          c.http_listener_port = int32_t(port);
          return absl::OkStatus();
        });
    add("shutdown.drain.ms", "10000",
        "On SIGTERM/SIGINT: how long in-flight requests may take to finish after the listeners "
        "stop accepting, before their connections are closed.",
        IntField(&BrokerConfig::shutdown_drain_ms, 0));
    // Topic-level defaults (Kafka broker key -> topic key).
    add_dynamic("log.segment.bytes", "1073741824", "Default segment.bytes of topics.",
        TopicInt("segment.bytes", 14));
    add_dynamic("log.roll.ms", "604800000", "Default segment.ms of topics.", TopicInt("segment.ms", 1));
    add_dynamic("log.roll.hours", "", "Default segment.ms of topics, in hours.",
        TopicInt("segment.ms", 1, 3600000));
    add_dynamic("log.retention.ms", "604800000", "Default retention.ms of topics (-1 = forever).",
        TopicInt("retention.ms", -1));
    add_dynamic("log.retention.minutes", "", "Default retention in minutes.",
        TopicInt("retention.ms", -1, 60000));
    add_dynamic("log.retention.hours", "", "Default retention in hours.",
        TopicInt("retention.ms", -1, 3600000));
    add_dynamic("log.retention.bytes", "-1", "Default retention.bytes per partition (-1 = unlimited).",
        TopicInt("retention.bytes", -1));
    add_dynamic("log.index.interval.bytes", "4096", "Default index.interval.bytes of topics.",
        TopicInt("index.interval.bytes", 0));
    add_dynamic("log.flush.interval.ms", "",
        "Default flush.ms of topics. Unset: every produce with acks=all waits for fsync.",
        TopicInt("flush.ms", 0));
    add_dynamic("message.max.bytes", "1048588", "Default max.message.bytes (largest batch) of topics.",
        TopicInt("max.message.bytes", 0));
    add_dynamic("log.message.timestamp.type", "CreateTime", "Default message.timestamp.type of topics.",
        TopicEnum("message.timestamp.type", {"CreateTime", "LogAppendTime"}));
    add_dynamic("log.cleanup.policy", "delete", "Default cleanup.policy of topics.",
        TopicEnum("cleanup.policy", {"delete", "compact", "compact,delete", "delete,compact"}));
    add_dynamic("log.cleaner.delete.retention.ms", "86400000", "Default delete.retention.ms of topics.",
        TopicInt("delete.retention.ms", 0));
    add("log.cleaner.enable", "true",
        "Run the log cleaner, which compacts topics with cleanup.policy=compact "
        "(including __consumer_offsets).",
        BoolField(&BrokerConfig::log_cleaner_enable));
    add("log.cleaner.backoff.ms", "15000", "How long the cleaner sleeps when no log is due.",
        IntField(&BrokerConfig::log_cleaner_backoff_ms, 1));
    add("log.cleaner.dedupe.buffer.size", "134217728",
        "Memory bound of the key map of one compaction round (bytes).",
        IntField(&BrokerConfig::log_cleaner_dedupe_buffer_size, 1 << 20));
    add_dynamic("log.cleaner.min.cleanable.ratio", "0.5",
        "Default min.cleanable.dirty.ratio of topics: the dirty share of a log that triggers "
        "compaction.",
        TopicPassthrough("min.cleanable.dirty.ratio"));
    add_dynamic("log.cleaner.min.compaction.lag.ms", "0",
        "Default min.compaction.lag.ms of topics.", TopicInt("min.compaction.lag.ms", 0));
    add_dynamic("log.cleaner.max.compaction.lag.ms", "9223372036854775807",
        "Default max.compaction.lag.ms of topics.", TopicInt("max.compaction.lag.ms", 1));
    // Kafka's per-broker Kerberos relogin interval: 0081 and tools alter it on
    // the BROKER resource. Keel has no SASL/GSSAPI yet, so it is accepted,
    // stored and reported, and has no effect.
    add_dynamic("sasl.kerberos.min.time.before.relogin", "60000",
                "Kafka's Kerberos relogin interval (ms). Accepted, stored and reported for "
                "compatibility; no effect (Keel has no SASL/GSSAPI).",
                [](BrokerConfig&, const std::string& v) -> absl::Status {
                  int64_t n;
                  if (!absl::SimpleAtoi(v, &n) || n < 0)
                    return absl::InvalidArgumentError("expected an integer >= 0");
                  return absl::OkStatus();
                });
    std::sort(t.begin(), t.end(), [](const KeyDef& a, const KeyDef& b) { return a.name < b.name; });
    return t;
  }();
  return table;
}

}  // namespace

std::string ListenerSpec::ToString() const { return absl::StrCat(name, "://", host, ":", port); }

absl::StatusOr<std::vector<ListenerSpec>> ParseListeners(std::string_view text_in) {
  absl::string_view text = ToAbsl(text_in);
  std::vector<ListenerSpec> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    size_t sep = item.find("://");
    if (sep == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("listener '", item, "' is not NAME://host:port"));
    }
    ListenerSpec l;
    l.name = std::string(item.substr(0, sep));
    absl::string_view hostport = item.substr(sep + 3);
    size_t colon = hostport.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("listener '", item, "' has no port"));
    }
    l.host = std::string(hostport.substr(0, colon));
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']')
      l.host = l.host.substr(1, l.host.size() - 2);
    uint32_t port;
    if (!absl::SimpleAtoi(hostport.substr(colon + 1), &port) || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("listener '", item, "' has a bad port"));
    }
    l.port = uint16_t(port);
    if (l.name != "PLAINTEXT") {
      return absl::InvalidArgumentError(
          absl::StrCat("listener '", item, "': only PLAINTEXT is supported so far"));
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::string_view EmbeddedDefaultConfig() {
  return "# Keel embedded default configuration (used when --config is not given).\n"
         "listeners=PLAINTEXT://127.0.0.1:9092\n"
         "log.dirs=./data\n"
         "auto.create.topics.enable=true\n"
         "http.listener=127.0.0.1:9644\n";
}

std::vector<std::string> KnownBrokerKeys() {
  std::vector<std::string> keys;
  for (const auto& k : KeyTable()) keys.push_back(k.name);
  return keys;
}

absl::StatusOr<BrokerConfig> BuildBrokerConfig(const Properties& file_props,
                                               const Properties& overrides) {
  return BuildBrokerConfig(file_props, overrides, {}, {});
}

absl::StatusOr<BrokerConfig> BuildBrokerConfig(const Properties& file_props,
                                               const Properties& overrides,
                                               const Properties& dynamic_default,
                                               const Properties& dynamic_broker) {
  // Levels, highest precedence first.
  const std::pair<const Properties*, ConfigSource> levels[] = {
      {&dynamic_broker, ConfigSource::kDynamicBroker},
      {&dynamic_default, ConfigSource::kDynamicDefault},
      {&overrides, ConfigSource::kOverride},
      {&file_props, ConfigSource::kConfigFile},
  };
  const auto& table = KeyTable();
  for (const auto& [props, source] : levels) {
    for (const auto& [k, v] : *props) {
      bool known =
          std::any_of(table.begin(), table.end(), [&](const KeyDef& d) { return d.name == k; });
      if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown config key '", k, "'"));
    }
  }

  BrokerConfig c;
  // Defaults first, then explicit values; aliases (log.dir, broker.id, *.hours)
  // are applied after their primary keys so an explicit alias wins over a default.
  for (const auto& d : table) {
    if (d.default_value.empty()) continue;
    if (auto st = d.apply(c, d.default_value); !st.ok()) {
      return absl::InternalError(absl::StrCat("bad built-in default for ", d.name, ": ", st.message()));
    }
  }
  for (const auto& d : table) {
    ConfigEntry e{d.name, d.default_value, ConfigSource::kDefault, d.sensitive, d.doc, d.dynamic, {}};
    bool static_seen = false;  // the file only counts when --set does not set the key
    for (const auto& [props, source] : levels) {
      auto it = props->find(d.name);
      if (it == props->end()) continue;
      bool is_static = source == ConfigSource::kOverride || source == ConfigSource::kConfigFile;
      if (is_static && static_seen) continue;
      static_seen = static_seen || is_static;
      e.levels.push_back({source, it->second});
    }
    if (!e.levels.empty()) {
      const ConfigLevel& top = e.levels.front();
      if (auto st = d.apply(c, top.value); !st.ok()) return BadValue(d.name, top.value, st.message());
      e.value = top.value;
      e.source = top.source;
    }
    if (!d.default_value.empty()) e.levels.push_back({ConfigSource::kDefault, d.default_value});
    c.entries.push_back(std::move(e));
  }
  if (c.advertised_listeners.empty()) c.advertised_listeners = c.listeners;
  if (c.replication_factor_policy == BrokerConfig::ReplicationFactorPolicy::kStrict &&
      c.default_replication_factor > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "default.replication.factor=", c.default_replication_factor,
        " needs replication.factor.policy=accept (a single node keeps one copy)"));
  }
  if (c.group_min_session_timeout_ms > c.group_max_session_timeout_ms) {
    return absl::InvalidArgumentError(
        "group.min.session.timeout.ms must not exceed group.max.session.timeout.ms");
  }
  return c;
}

std::optional<std::string> DynamicKeyProblem(std::string_view key) {
  const auto& table = KeyTable();
  auto it = std::find_if(table.begin(), table.end(), [&](const KeyDef& d) { return d.name == key; });
  if (it == table.end()) return absl::StrCat("Unknown broker config '", ToAbsl(key), "'");
  if (!it->dynamic) {
    return absl::StrCat("Broker config '", ToAbsl(key),
                        "' is read-only at run time: set it in the config file or with --set, "
                        "and restart");
  }
  return std::nullopt;
}

bool IsListBrokerKey(std::string_view key) { return key == "log.cleanup.policy"; }

}  // namespace keel::config
