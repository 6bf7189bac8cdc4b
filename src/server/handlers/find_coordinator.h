// FindCoordinator (key 10), v0-5: this node coordinates every group
// (key_type 0). Transactions (key_type 1) get COORDINATOR_NOT_AVAILABLE until
// a transaction coordinator exists. v4+ batches several keys.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/find_coordinator.h"

namespace keel::server {

struct FindCoordinatorHandler {
  using Request = protocol::FindCoordinatorRequest;
  using Response = protocol::FindCoordinatorResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
