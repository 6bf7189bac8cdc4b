// AddPartitionsToTxn (key 24): adds partitions to the producer's open
// transaction (starting one if none is open). v0-3 (clients) name one
// transaction; every partition gets the same answer, except that unknown
// topics/partitions fail with UNKNOWN_TOPIC_OR_PARTITION and then the others
// with OPERATION_NOT_ATTEMPTED, nothing added. v4+ (KIP-890, sent by brokers)
// batch several transactions and may only verify membership (verify_only).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/add_partitions_to_txn.h"

namespace keel::server {

struct AddPartitionsToTxnHandler {
  using Request = protocol::AddPartitionsToTxnRequest;
  using Response = protocol::AddPartitionsToTxnResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
