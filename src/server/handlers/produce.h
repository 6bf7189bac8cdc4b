// Produce (key 0): validate each partition's batches, append them, and answer
// by acks: 0 -> no response, 1 -> after the append, -1 (all) -> after the
// batches are fsynced by group commit (or REQUEST_TIMED_OUT at timeout_ms).
//
// Versions 3+ (record batch v2). Versions 0-2 carried message format v0/v1,
// which Keel refuses, as Kafka 4 does; they are not advertised.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/produce.h"

namespace keel::server {

struct ProduceHandler {
  using Request = protocol::ProduceRequest;
  using Response = protocol::ProduceResponse;
  static constexpr int16_t kMinVersion = 3;
  static constexpr int16_t kMaxVersion = 11;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
