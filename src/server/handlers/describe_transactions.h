// DescribeTransactions (key 65, KIP-664): state, producer id and epoch,
// timeout, start time and partitions of transactional ids. Unknown ids get
// TRANSACTIONAL_ID_NOT_FOUND.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_transactions.h"

namespace keel::server {

struct DescribeTransactionsHandler {
  using Request = protocol::DescribeTransactionsRequest;
  using Response = protocol::DescribeTransactionsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
