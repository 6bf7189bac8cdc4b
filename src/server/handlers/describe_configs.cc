#include "describe_configs.h"

#include <algorithm>

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
constexpr int8_t kStaticBrokerConfig = 4;
constexpr int8_t kDefaultConfig = 5;
// Kafka's ConfigType codes.
constexpr int8_t kTypeString = 2;
constexpr int8_t kTypeInt = 3;
constexpr int8_t kTypeLong = 5;
constexpr int8_t kTypeList = 7;

// Topic key -> the broker key that sets its default.
const std::map<std::string, std::string>& BrokerSynonyms() {
  static const std::map<std::string, std::string> m = {
      {"segment.bytes", "log.segment.bytes"},
      {"segment.ms", "log.roll.ms"},
      {"retention.ms", "log.retention.ms"},
      {"retention.bytes", "log.retention.bytes"},
      {"index.interval.bytes", "log.index.interval.bytes"},
      {"flush.ms", "log.flush.interval.ms"},
      {"max.message.bytes", "message.max.bytes"},
      {"message.timestamp.type", "log.message.timestamp.type"},
      {"cleanup.policy", "log.cleanup.policy"},
      {"delete.retention.ms", "log.cleaner.delete.retention.ms"},
  };
  return m;
}

int8_t TypeOf(const std::string& key, const std::string& value) {
  if (key == "cleanup.policy") return kTypeList;
  if (key == "message.timestamp.type" || value.empty()) return kTypeString;
  bool numeric = std::all_of(value.begin(), value.end(),
                             [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (!numeric) return kTypeString;
  return key.find(".ms") != std::string::npos || key.find("bytes") != std::string::npos ? kTypeLong
                                                                                         : kTypeInt;
}

bool Wanted(const std::optional<std::vector<std::string>>& keys, const std::string& name) {
  return !keys || keys->empty() || std::find(keys->begin(), keys->end(), name) != keys->end();
}

void DescribeTopic(const BrokerContext& broker, const partition::TopicInfo& topic,
                   const protocol::DescribeConfigsRequest::DescribeConfigsResource& res,
                   bool synonyms, Result& out) {
  auto effective = broker.default_log_config.WithOverrides(topic.configs);
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
    bool overridden = topic.configs.count(key) > 0;
    const config::ConfigEntry* broker_entry = nullptr;
    auto syn = BrokerSynonyms().find(key);
    if (syn != BrokerSynonyms().end()) {
      for (const auto& be : broker.config.entries)
        if (be.name == syn->second && be.source != config::ConfigSource::kDefault) broker_entry = &be;
    }
    e.config_source = overridden ? kTopicConfig : broker_entry ? kStaticBrokerConfig : kDefaultConfig;
    if (synonyms) {
      if (overridden) e.synonyms.push_back({key, topic.configs.at(key), kTopicConfig});
      if (broker_entry)
        e.synonyms.push_back({broker_entry->name, broker_entry->value, kStaticBrokerConfig});
    }
    out.configs.push_back(std::move(e));
  }
}

void DescribeBroker(const BrokerContext& broker,
                    const protocol::DescribeConfigsRequest::DescribeConfigsResource& res,
                    bool synonyms, bool docs, Result& out) {
  for (const auto& be : broker.config.entries) {
    if (!Wanted(res.configuration_keys, be.name)) continue;
    Entry e;
    e.name = be.name;
    if (be.sensitive) e.value = std::nullopt;
    else e.value = be.value;
    e.read_only = true;  // broker configs are static until dynamic config lands
    e.is_sensitive = be.sensitive;
    bool is_default = be.source == config::ConfigSource::kDefault;
    e.config_source = is_default ? kDefaultConfig : kStaticBrokerConfig;
    e.config_type = TypeOf(be.name, be.value);
    if (be.name == "listeners" || be.name == "advertised.listeners" || be.name == "log.dirs")
      e.config_type = kTypeList;
    if (docs) e.documentation = be.doc;
    if (synonyms) e.synonyms.push_back({be.name, be.value, e.config_source});
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
      DescribeTopic(broker, *topic, res, request.include_synonyms, out);
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
