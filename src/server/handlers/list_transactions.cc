#include "list_transactions.h"

#include "keel/coordinator/txn_coordinator.h"

namespace keel::server {

Task<Reply<ListTransactionsHandler::Response>> ListTransactionsHandler::Handle(Call& call,
                                                                               Request& request) {
  Response resp;
  if (!call.broker.txns) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  std::vector<coordinator::TxnState> states;
  for (const auto& name : request.state_filters) {
    if (auto s = coordinator::TxnStateFromName(name)) {
      states.push_back(*s);
    } else {
      resp.unknown_state_filters.push_back(name);
    }
  }
  // Only unknown names were given: nothing can match.
  if (states.empty() && !request.state_filters.empty()) co_return Reply<Response>{std::move(resp)};
  const int64_t min_duration = call.version() >= 1 ? request.duration_filter : -1;
  for (const auto& l : call.broker.txns->List(states, request.producer_id_filters, min_duration)) {
    auto& out = resp.transaction_states.emplace_back();
    out.transactional_id = l.transactional_id;
    out.producer_id = l.producer_id;
    out.transaction_state = std::string(coordinator::TxnStateName(l.state));
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
