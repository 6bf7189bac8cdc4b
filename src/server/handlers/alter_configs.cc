#include "alter_configs.h"

#include "config_alter.h"

namespace keel::server {

Task<Reply<AlterConfigsHandler::Response>> AlterConfigsHandler::Handle(Call& call,
                                                                       Request& request) {
  std::vector<ConfigAlteration> alterations;
  for (const auto& res : request.resources) {
    ConfigAlteration& alt = alterations.emplace_back();
    alt.resource_type = res.resource_type;
    alt.resource_name = res.resource_name;
    for (const auto& c : res.configs)
      alt.ops.push_back(ConfigOpEntry{c.name, int8_t(ConfigOp::kSet), c.value});
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
