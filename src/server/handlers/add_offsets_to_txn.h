// AddOffsetsToTxn (key 25): adds the group's partition of __consumer_offsets
// to the producer's transaction, so a later TxnOffsetCommit's offsets are
// committed or dropped with the transaction. PRODUCER_FENCED from v2 on.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/add_offsets_to_txn.h"

namespace keel::server {

struct AddOffsetsToTxnHandler {
  using Request = protocol::AddOffsetsToTxnRequest;
  using Response = protocol::AddOffsetsToTxnResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
