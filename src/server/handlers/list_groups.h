// ListGroups (key 16), v0-4: every group this node coordinates; v4 filters
// by state (case-insensitive).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/list_groups.h"

namespace keel::server {

struct ListGroupsHandler {
  using Request = protocol::ListGroupsRequest;
  using Response = protocol::ListGroupsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
