// LeaveGroup (key 13): members leave (v0-2: one member id; v3+: a batch of
// member ids and/or group.instance.ids, each with its own error).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/leave_group.h"

namespace keel::server {

struct LeaveGroupHandler {
  using Request = protocol::LeaveGroupRequest;
  using Response = protocol::LeaveGroupResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
