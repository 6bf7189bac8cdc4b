#include "describe_transactions.h"

#include "keel/coordinator/txn_coordinator.h"

namespace keel::server {

Task<Reply<DescribeTransactionsHandler::Response>> DescribeTransactionsHandler::Handle(
    Call& call, Request& request) {
  Response resp;
  for (const auto& id : request.transactional_ids) {
    auto& out = resp.transaction_states.emplace_back();
    out.transactional_id = id;
    if (!call.broker.txns) {
      out.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      continue;
    }
    auto meta = call.broker.txns->Describe(id);
    if (!meta) {
      out.error_code = int16_t(ErrorCode::TRANSACTIONAL_ID_NOT_FOUND);
      continue;
    }
    out.transaction_state = std::string(coordinator::TxnStateName(meta->state));
    out.transaction_timeout_ms = meta->timeout_ms;
    out.transaction_start_time_ms = meta->start_ms;
    out.producer_id = meta->producer_id;
    out.producer_epoch = meta->producer_epoch;
    for (const auto& tp : meta->partitions) {
      if (out.topics.empty() || out.topics.back().topic != tp.topic) {
        out.topics.emplace_back();
        out.topics.back().topic = tp.topic;
      }
      out.topics.back().partitions.push_back(tp.partition.value);
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
