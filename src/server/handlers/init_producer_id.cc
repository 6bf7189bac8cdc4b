#include "init_producer_id.h"

#include "join_group.h"
#include "keel/common/logging.h"
#include "keel/server/producer_id_allocator.h"
#include "txn_util.h"

namespace keel::server {

Task<Reply<InitProducerIdHandler::Response>> InitProducerIdHandler::Handle(Call& call,
                                                                           Request& request) {
  Response resp;
  resp.producer_id = ProducerId(-1);
  resp.producer_epoch = ProducerEpoch(-1);
  if (request.transactional_id.has_value()) {
    coordinator::TxnCoordinator* txns = call.broker.txns;
    if (!txns) {
      resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      co_return Reply<Response>{std::move(resp)};
    }
    std::function<void(absl::AnyInvocable<void(coordinator::InitProducerIdResult)>)> start =
        [txns, id = *request.transactional_id, timeout = request.transaction_timeout_ms,
         pid = request.producer_id.value, epoch = request.producer_epoch.value](auto done) {
          txns->InitProducerId(id, timeout, pid, epoch, std::move(done));
        };
    auto r = co_await AwaitGroupCallback<coordinator::InitProducerIdResult>(
        call.broker.storage_pool, start);
    resp.error_code = int16_t(TxnWireError(r.error, call.version() < 4));
    if (r.error == coordinator::TxnError::kNone) {
      resp.producer_id = ProducerId(r.producer_id);
      resp.producer_epoch = ProducerEpoch(r.producer_epoch);
    }
    co_return Reply<Response>{std::move(resp)};
  }
  auto work = [&call] { return call.broker.producer_ids.Next(); };
  auto id = co_await RunOn(call.broker.storage_pool, std::move(work));
  if (!id.ok()) {
    ModuleLogger("broker")->error("cannot reserve producer ids: {}", id.status().ToString());
    resp.error_code = int16_t(ErrorCode::KAFKA_STORAGE_ERROR);
    co_return Reply<Response>{std::move(resp)};
  }
  resp.error_code = int16_t(ErrorCode::NONE);
  resp.producer_id = ProducerId(*id);
  resp.producer_epoch = ProducerEpoch(0);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
