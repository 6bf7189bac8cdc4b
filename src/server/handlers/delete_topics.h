// DeleteTopics (key 20): by name (v1-5) or by name or topic id (v6+).
// Internal topics cannot be deleted.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/delete_topics.h"

namespace keel::server {

struct DeleteTopicsHandler {
  using Request = protocol::DeleteTopicsRequest;
  using Response = protocol::DeleteTopicsResponse;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 6;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
