// IncrementalAlterConfigs (key 44, KIP-339): per-key SET / DELETE / APPEND /
// SUBTRACT merged against a topic's current overrides; keys not named keep
// their overrides. Rules shared with AlterConfigs are in config_alter.h. The
// Java client's kafka-configs.sh and kafka-ui use it.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/incremental_alter_configs.h"

namespace keel::server {

struct IncrementalAlterConfigsHandler {
  using Request = protocol::IncrementalAlterConfigsRequest;
  using Response = protocol::IncrementalAlterConfigsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
