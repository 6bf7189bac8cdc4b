#include "init_producer_id.h"

#include "keel/common/logging.h"
#include "keel/server/producer_id_allocator.h"

namespace keel::server {

Task<Reply<InitProducerIdHandler::Response>> InitProducerIdHandler::Handle(Call& call,
                                                                           Request& request) {
  Response resp;
  resp.producer_id = ProducerId(-1);
  resp.producer_epoch = ProducerEpoch(-1);
  if (request.transactional_id.has_value()) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
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
