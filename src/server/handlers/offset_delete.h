// OffsetDelete (key 47), v0: deletes committed offsets of a group
// (tombstones), refusing topics a live "consumer" group subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC) and any non-empty group of another protocol
// type (NON_EMPTY_GROUP).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/offset_delete.h"

namespace keel::server {

struct OffsetDeleteHandler {
  using Request = protocol::OffsetDeleteRequest;
  using Response = protocol::OffsetDeleteResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
