#include "describe_configs.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/server/dynamic_broker_config.h"
#include "topic_util.h"

namespace keel::server {
namespace {

using Resp = protocol::DescribeConfigsResponse;
using Result = Resp::DescribeConfigsResult;
using Entry = Result::DescribeConfigsResourceResult;

constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;
// Kafka's ConfigSource codes.
constexpr int8_t kTopicConfig = 1;
constexpr int8_t kDynamicBrokerConfig = 2;
constexpr int8_t kDynamicDefaultBrokerConfig = 3;
constexpr int8_t kStaticBrokerConfig = 4;
constexpr int8_t kDefaultConfig = 5;
// Kafka's ConfigType codes.
constexpr int8_t kTypeBoolean = 1;
constexpr int8_t kTypeString = 2;
constexpr int8_t kTypeInt = 3;
constexpr int8_t kTypeLong = 5;
constexpr int8_t kTypeDouble = 6;
constexpr int8_t kTypeList = 7;

// A topic key's Kafka type and meaning (DescribeConfigs v3+).
struct TopicKeyInfo {
  int8_t type;
  const char* doc;
};

const std::map<std::string, TopicKeyInfo>& TopicKeys() {
  static const std::map<std::string, TopicKeyInfo> m = {
      {"cleanup.policy",
       {kTypeList,
        "What happens to old segments: \"delete\" removes them by retention.ms / "
        "retention.bytes, \"compact\" keeps the newest record per key; both may be given."}},
      {"compression.type",
       {kTypeString,
        "producer keeps the codec each batch was sent with; uncompressed, gzip, snappy, lz4 or "
        "zstd recompresses every produced batch to that codec on append."}},
      {"compression.gzip.level", {kTypeInt, "gzip level used when compression.type=gzip."}},
      {"compression.lz4.level", {kTypeInt, "lz4 level used when compression.type=lz4."}},
      {"compression.zstd.level", {kTypeInt, "zstd level used when compression.type=zstd."}},
      {"segment.jitter.ms",
       {kTypeLong, "Largest random amount subtracted from segment.ms per segment, in ms."}},
      {"message.timestamp.before.max.ms",
       {kTypeLong, "How far a CreateTime record's timestamp may lie before the broker's clock."}},
      {"message.timestamp.after.max.ms",
       {kTypeLong, "How far a CreateTime record's timestamp may lie after the broker's clock."}},
      {"message.timestamp.difference.max.ms",
       {kTypeLong, "[Deprecated] Sets both message.timestamp.before/after.max.ms."}},
      {"file.delete.delay.ms",
       {kTypeLong, "Accepted and ignored: Keel unlinks deleted segments at once (open readers "
                   "keep their file)."}},
      {"flush.messages",
       {kTypeLong, "Accepted and ignored: Keel fsyncs by flush.ms (default: before every ack)."}},
      {"follower.replication.throttled.replicas",
       {kTypeList, "Accepted and ignored: a single node has no replication traffic."}},
      {"leader.replication.throttled.replicas",
       {kTypeList, "Accepted and ignored: a single node has no replication traffic."}},
      {"local.retention.bytes",
       {kTypeLong, "Accepted and ignored: only meaningful with tiered storage."}},
      {"local.retention.ms",
       {kTypeLong, "Accepted and ignored: only meaningful with tiered storage."}},
      {"message.downconversion.enable",
       {kTypeBoolean, "Accepted and ignored: Keel serves record batch v2 only, never converts."}},
      {"message.format.version",
       {kTypeString, "Accepted and ignored, as Kafka 3.x ignores it: batches are always v2."}},
      {"remote.log.copy.disable",
       {kTypeBoolean, "Accepted and ignored: only meaningful with tiered storage."}},
      {"remote.log.delete.on.disable",
       {kTypeBoolean, "Accepted and ignored: only meaningful with tiered storage."}},
      {"remote.storage.enable",
       {kTypeBoolean, "Keel has no tiered storage: only false is accepted."}},
      {"unclean.leader.election.enable",
       {kTypeBoolean, "Accepted and ignored: one replica, no leader election."}},
      {"delete.retention.ms",
       {kTypeLong, "How long tombstones stay readable in compacted topics, in ms."}},
      {"flush.ms",
       {kTypeLong,
        "Largest delay before appended data is fsynced, in ms; -1 (Keel's default) fsyncs "
        "before acknowledging."}},
      {"index.interval.bytes",
       {kTypeInt, "Bytes of log between two entries of the sparse offset index."}},
      {"max.compaction.lag.ms",
       {kTypeLong, "Longest time a record may stay uncompacted in a compacted topic, in ms."}},
      {"max.message.bytes", {kTypeInt, "Largest record batch accepted, in bytes."}},
      {"message.timestamp.type",
       {kTypeString,
        "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's clock."}},
      {"min.cleanable.dirty.ratio",
       {kTypeDouble, "Share of uncompacted log that makes a compacted topic due for cleaning."}},
      {"min.compaction.lag.ms",
       {kTypeLong, "Shortest time a record stays uncompacted in a compacted topic, in ms."}},
      {"min.insync.replicas",
       {kTypeInt, "Stored for compatibility; a single node is always the whole ISR."}},
      {"preallocate", {kTypeBoolean, "Reserve the whole segment on disk when it is created."}},
      {"retention.bytes",
       {kTypeLong, "Largest size a partition may keep before old segments go; -1 = no limit."}},
      {"retention.ms",
       {kTypeLong, "How long segments are kept before deletion, in ms; -1 = forever."}},
      {"segment.bytes", {kTypeInt, "Size at which a partition's active segment is rolled."}},
      {"segment.index.bytes", {kTypeInt, "Size limit of a segment's offset index."}},
      {"segment.ms", {kTypeLong, "Age at which the active segment is rolled, in ms."}},
  };
  return m;
}

// Topic key -> the broker keys that set its default, in Kafka's precedence
// order (the first one set wins).
const std::map<std::string, std::vector<std::string>>& BrokerSynonyms() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"segment.bytes", {"log.segment.bytes"}},
      {"segment.ms", {"log.roll.ms", "log.roll.hours"}},
      {"retention.ms", {"log.retention.ms", "log.retention.minutes", "log.retention.hours"}},
      {"retention.bytes", {"log.retention.bytes"}},
      {"index.interval.bytes", {"log.index.interval.bytes"}},
      {"flush.ms", {"log.flush.interval.ms"}},
      {"max.message.bytes", {"message.max.bytes"}},
      {"message.timestamp.type", {"log.message.timestamp.type"}},
      {"cleanup.policy", {"log.cleanup.policy"}},
      {"delete.retention.ms", {"log.cleaner.delete.retention.ms"}},
      {"min.cleanable.dirty.ratio", {"log.cleaner.min.cleanable.ratio"}},
      {"min.compaction.lag.ms", {"log.cleaner.min.compaction.lag.ms"}},
      {"max.compaction.lag.ms", {"log.cleaner.max.compaction.lag.ms"}},
      {"compression.type", {"compression.type"}},
      {"compression.gzip.level", {"compression.gzip.level"}},
      {"compression.lz4.level", {"compression.lz4.level"}},
      {"compression.zstd.level", {"compression.zstd.level"}},
      {"min.insync.replicas", {"min.insync.replicas"}},
  };
  return m;
}

// The built-in default of every broker key (what it is when nothing sets it).
const std::map<std::string, std::string>& BrokerDefaults() {
  static const std::map<std::string, std::string> m = [] {
    std::map<std::string, std::string> out;
    auto defaults = config::BuildBrokerConfig({}, {});
    if (defaults.ok())
      for (const auto& e : defaults->entries) out.emplace(e.name, e.value);
    return out;
  }();
  return m;
}

int8_t TypeOf(const std::string& key, const std::string& value) {
  if (auto it = TopicKeys().find(key); it != TopicKeys().end()) return it->second.type;
  if (value == "true" || value == "false") return kTypeBoolean;
  if (value.empty()) return kTypeString;
  bool numeric = std::all_of(value.begin(), value.end(),
                             [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (!numeric) {
    bool decimal = std::all_of(value.begin(), value.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
    return decimal && std::count(value.begin(), value.end(), '.') == 1 ? kTypeDouble
                                                                         : kTypeString;
  }
  return key.find(".ms") != std::string::npos || key.find("bytes") != std::string::npos ? kTypeLong
                                                                                         : kTypeInt;
}

bool Wanted(const std::optional<std::vector<std::string>>& keys, const std::string& name) {
  return !keys || keys->empty() || std::find(keys->begin(), keys->end(), name) != keys->end();
}

int8_t SourceCode(config::ConfigSource source) {
  switch (source) {
    case config::ConfigSource::kDynamicBroker: return kDynamicBrokerConfig;
    case config::ConfigSource::kDynamicDefault: return kDynamicDefaultBrokerConfig;
    case config::ConfigSource::kConfigFile:
    case config::ConfigSource::kOverride: return kStaticBrokerConfig;
    case config::ConfigSource::kDefault: break;
  }
  return kDefaultConfig;
}

// The broker config in effect: with its dynamic levels when they are wired.
std::shared_ptr<const config::BrokerConfig> EffectiveBrokerConfig(const BrokerContext& broker) {
  if (broker.dynamic_config) return broker.dynamic_config->current();
  return std::shared_ptr<const config::BrokerConfig>(&broker.config, [](const auto*) {});
}

void DescribeTopic(const BrokerContext& broker, const partition::TopicInfo& topic,
                   const protocol::DescribeConfigsRequest::DescribeConfigsResource& res,
                   bool synonyms, bool docs, Result& out) {
  auto effective = broker.partitions.default_config().WithOverrides(topic.configs);
  std::shared_ptr<const config::BrokerConfig> broker_config = EffectiveBrokerConfig(broker);
  if (!effective.ok()) {
    out.error_code = int16_t(ErrorCode::INVALID_CONFIG);
    out.error_message = std::string(effective.status().message());
    return;
  }
  for (const auto& [key, value] : effective->Describe()) {
    if (!Wanted(res.configuration_keys, key)) continue;
    Entry e;
    e.name = key;
    e.value = value;
    e.read_only = false;
    e.is_sensitive = false;
    e.config_type = TypeOf(key, value);
    if (docs) {
      auto info = TopicKeys().find(key);
      e.documentation = info != TopicKeys().end() ? info->second.doc : "";
    }
    // Kafka's synonyms, highest precedence first: the topic override, the
    // broker keys set at each level (dynamic per-broker, dynamic cluster
    // default, static), then the built-in default.
    std::vector<Entry::DescribeConfigsSynonym> chain;
    if (auto o = topic.configs.find(key); o != topic.configs.end())
      chain.push_back({key, o->second, kTopicConfig});
    auto syn = BrokerSynonyms().find(key);
    if (syn != BrokerSynonyms().end()) {
      for (config::ConfigSource level :
           {config::ConfigSource::kDynamicBroker, config::ConfigSource::kDynamicDefault,
            config::ConfigSource::kOverride, config::ConfigSource::kConfigFile}) {
        for (const std::string& broker_key : syn->second) {
          for (const auto& be : broker_config->entries) {
            if (be.name != broker_key) continue;
            for (const auto& l : be.levels)
              if (l.source == level) chain.push_back({be.name, l.value, SourceCode(level)});
          }
        }
      }
      for (const std::string& broker_key : syn->second) {
        auto d = BrokerDefaults().find(broker_key);
        if (d != BrokerDefaults().end() && !d->second.empty()) {
          chain.push_back({broker_key, d->second, kDefaultConfig});
          break;
        }
      }
    }
    e.config_source = chain.empty() ? kDefaultConfig : chain.front().source;
    if (synonyms) e.synonyms = std::move(chain);
    out.configs.push_back(std::move(e));
  }
}

void DescribeBroker(const BrokerContext& broker,
                    const protocol::DescribeConfigsRequest::DescribeConfigsResource& res,
                    bool synonyms, bool docs, Result& out) {
  std::shared_ptr<const config::BrokerConfig> effective = EffectiveBrokerConfig(broker);
  // An empty name is the cluster-wide default resource: as Kafka, it lists
  // only the keys set at that dynamic level.
  const bool cluster_default = res.resource_name.empty();
  for (const auto& be : effective->entries) {
    if (!Wanted(res.configuration_keys, be.name)) continue;
    std::vector<Entry::DescribeConfigsSynonym> chain;
    for (const auto& l : be.levels) {
      if (cluster_default && l.source == config::ConfigSource::kDynamicBroker) continue;
      std::optional<std::string> v;
      if (!be.sensitive) v = l.value;
      chain.push_back({be.name, std::move(v), SourceCode(l.source)});
    }
    if (cluster_default &&
        (chain.empty() || chain.front().source != kDynamicDefaultBrokerConfig))
      continue;
    Entry e;
    e.name = be.name;
    if (be.sensitive) e.value = std::nullopt;
    else if (cluster_default) e.value = chain.front().value;
    else e.value = be.value;
    e.read_only = !be.dynamic;
    e.is_sensitive = be.sensitive;
    e.config_source = chain.empty() ? kDefaultConfig : chain.front().source;
    e.config_type = TypeOf(be.name, be.value);
    if (be.name == "listeners" || be.name == "advertised.listeners" || be.name == "log.dirs" ||
        be.name == "log.cleanup.policy")
      e.config_type = kTypeList;
    if (docs) e.documentation = be.doc;
    if (synonyms) e.synonyms = std::move(chain);
    out.configs.push_back(std::move(e));
  }
}

}  // namespace

Task<Reply<DescribeConfigsHandler::Response>> DescribeConfigsHandler::Handle(Call& call,
                                                                             Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  for (const auto& res : request.resources) {
    Result& out = resp.results.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    out.error_code = int16_t(ErrorCode::NONE);
    if (res.resource_type == kTopicResource) {
      auto topic = broker.partitions.FindTopic(res.resource_name);
      if (!topic) {
        out.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        out.error_message = "unknown topic " + res.resource_name;
        continue;
      }
      DescribeTopic(broker, *topic, res, request.include_synonyms,
                    request.include_documentation, out);
    } else if (res.resource_type == kBrokerResource) {
      if (!res.resource_name.empty() && res.resource_name != std::to_string(broker.config.node_id)) {
        out.error_code = int16_t(ErrorCode::INVALID_REQUEST);
        out.error_message = "unknown broker " + res.resource_name;
        continue;
      }
      DescribeBroker(broker, res, request.include_synonyms, request.include_documentation, out);
    } else {
      out.error_code = int16_t(ErrorCode::INVALID_REQUEST);
      out.error_message = "unsupported resource type " + std::to_string(res.resource_type);
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
