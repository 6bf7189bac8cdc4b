#include "end_txn.h"

#include "await_txn_answer.h"

namespace keel::server {

Task<Reply<EndTxnHandler::Response>> EndTxnHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::TxnCoordinator* txns = call.broker.txns;
  if (!txns) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  const TxnCall start = [txns, id = request.transactional_id, pid = request.producer_id.value,
                        epoch = request.producer_epoch.value,
                        commit = request.committed](auto done) {
    txns->EndTxn(id, pid, epoch, commit, std::move(done));
  };
  const ErrorCode err = co_await AwaitTxnAnswer(call, start);
  resp.error_code = int16_t(err);
  resp.producer_id = request.producer_id;
  resp.producer_epoch = request.producer_epoch;
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
