// EndTxn (key 26): commits or aborts the producer's transaction. Answered once
// the decision is durable in __transaction_state and the markers are written
// to every partition of the transaction, so read_committed consumers can see
// a committed transaction's records when the client's commit returns.
// PRODUCER_FENCED from v2 on; v5 also returns the producer id and epoch.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/end_txn.h"

namespace keel::server {

struct EndTxnHandler {
  using Request = protocol::EndTxnRequest;
  using Response = protocol::EndTxnResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
