// SyncGroup (key 14): members fetch their assignment; the leader's request
// carries everyone's. Answered once the leader's assignment is persisted to
// __consumer_offsets (or at once for errors and for a Stable group).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/sync_group.h"

namespace keel::server {

struct SyncGroupHandler {
  using Request = protocol::SyncGroupRequest;
  using Response = protocol::SyncGroupResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
