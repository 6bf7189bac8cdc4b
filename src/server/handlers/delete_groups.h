// DeleteGroups (key 42), v0-2: deletes empty groups and their offsets
// (tombstones in __consumer_offsets), answered once those are fsynced.
// Groups with members get NON_EMPTY_GROUP, unknown ones GROUP_ID_NOT_FOUND.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/delete_groups.h"

namespace keel::server {

struct DeleteGroupsHandler {
  using Request = protocol::DeleteGroupsRequest;
  using Response = protocol::DeleteGroupsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
