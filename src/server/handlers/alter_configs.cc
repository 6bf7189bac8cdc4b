#include "alter_configs.h"

#include <map>
#include <string>

#include "config_alter.h"

namespace keel::server {

Task<Reply<AlterConfigsHandler::Response>> AlterConfigsHandler::Handle(Call& call,
                                                                       Request& request) {
  std::vector<ConfigAlteration> alterations;
  for (const auto& res : request.resources) {
    ConfigAlteration& alt = alterations.emplace_back();
    alt.resource_type = res.resource_type;
    alt.resource_name = res.resource_name;
    // A key named twice takes its last value, as Kafka's AlterConfigs does
    // (it collects the entries into a map); librdkafka's test helper sends
    // every described entry back plus the ones it changes. Only
    // IncrementalAlterConfigs refuses duplicate keys.
    std::map<std::string, size_t> at;
    for (const auto& c : res.configs) {
      auto [it, fresh] = at.emplace(c.name, alt.ops.size());
      if (fresh) alt.ops.push_back(ConfigOpEntry{c.name, int8_t(ConfigOp::kSet), c.value});
      else alt.ops[it->second].value = c.value;
    }
  }
  std::vector<ConfigAlterResult> results = co_await AlterConfigResources(
      call.broker, alterations, AlterMode::kReplace, request.validate_only);
  Response resp;
  for (size_t i = 0; i < results.size(); ++i) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = alterations[i].resource_type;
    out.resource_name = alterations[i].resource_name;
    out.error_code = int16_t(results[i].error);
    out.error_message = results[i].message;
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
