// Produce (key 0): validate each partition's batches, append them, and answer
// by acks: 0 -> no response, 1 -> after the append, -1 (all) -> after the
// batches are fsynced by group commit (or REQUEST_TIMED_OUT at timeout_ms).
//
// Versions 3+ carry record batch v2. Versions 0-2 (message format v0/v1) are
// advertised but refused per partition with UNSUPPORTED_VERSION, as Kafka 4
// does: librdkafka before 2.11.1 turns gzip/snappy off unless the broker's
// Produce range starts at 0 (KAFKA-18659).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/produce.h"

namespace keel::server {

struct ProduceHandler {
  using Request = protocol::ProduceRequest;
  using Response = protocol::ProduceResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 11;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
