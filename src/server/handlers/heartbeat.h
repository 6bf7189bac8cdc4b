// Heartbeat (key 12): keeps a member's session alive; REBALANCE_IN_PROGRESS
// tells it to rejoin. In-memory only (no record is written).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/heartbeat.h"

namespace keel::server {

struct HeartbeatHandler {
  using Request = protocol::HeartbeatRequest;
  using Response = protocol::HeartbeatResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
