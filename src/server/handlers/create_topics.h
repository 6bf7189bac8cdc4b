// CreateTopics (key 19): creates topics with a partition count and config
// overrides (validated as topic configs), or only validates (validate_only).
// Replication factor must be 1 or -1 (single node).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/create_topics.h"

namespace keel::server {

struct CreateTopicsHandler {
  using Request = protocol::CreateTopicsRequest;
  using Response = protocol::CreateTopicsResponse;
  static constexpr int16_t kMinVersion = 2;
  static constexpr int16_t kMaxVersion = 7;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
