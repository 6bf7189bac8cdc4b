// InitProducerId (key 22). Without a transactional id: a fresh producer id
// (never reused, across restarts) with epoch 0 for an idempotent producer.
// With one: the transaction coordinator bumps the id's epoch (fencing older
// instances, aborting their open transaction first: the client gets
// CONCURRENT_TRANSACTIONS and retries) or creates it. v3+ may name the
// current producer id and epoch (KIP-360); PRODUCER_FENCED from v4 on,
// INVALID_PRODUCER_EPOCH before.
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
