// ListTransactions (key 66, KIP-664): the transactional ids of this
// coordinator, filtered by state names and producer ids; v1 also by a
// minimum running time (KIP-994). Unknown state names are returned in
// unknown_state_filters (and match nothing).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/list_transactions.h"

namespace keel::server {

struct ListTransactionsHandler {
  using Request = protocol::ListTransactionsRequest;
  using Response = protocol::ListTransactionsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
