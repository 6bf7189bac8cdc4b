// AlterConfigs (key 33): replaces a topic's whole set of config overrides
// (keys not named fall back to the broker defaults). Rules shared with
// IncrementalAlterConfigs are in config_alter.h. librdkafka 2.0.2 sends v0,
// kafka-python v1, the Java client v2.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/alter_configs.h"

namespace keel::server {

struct AlterConfigsHandler {
  using Request = protocol::AlterConfigsRequest;
  using Response = protocol::AlterConfigsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
