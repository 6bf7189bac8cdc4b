// InitProducerId (key 22): a fresh producer id (never reused, across restarts)
// with epoch 0 for idempotent producers. Transactional ids need the
// transaction coordinator, which is not built yet: they get
// COORDINATOR_NOT_AVAILABLE.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/init_producer_id.h"

namespace keel::server {

struct InitProducerIdHandler {
  using Request = protocol::InitProducerIdRequest;
  using Response = protocol::InitProducerIdResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
