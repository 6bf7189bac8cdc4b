// OffsetForLeaderEpoch (key 23): clients validate their position after a
// leader change (KIP-320). This node has led every partition at epoch 0 since
// its creation, so epoch 0 ends at the log end offset; a later epoch is unknown.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/offset_for_leader_epoch.h"

namespace keel::server {

struct OffsetForLeaderEpochHandler {
  using Request = protocol::OffsetForLeaderEpochRequest;
  using Response = protocol::OffsetForLeaderEpochResponse;
  static constexpr int16_t kMinVersion = 2;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
