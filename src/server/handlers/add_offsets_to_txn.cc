#include "add_offsets_to_txn.h"

#include "await_txn_answer.h"
#include "keel/coordinator/group_records.h"

namespace keel::server {

Task<Reply<AddOffsetsToTxnHandler::Response>> AddOffsetsToTxnHandler::Handle(Call& call,
                                                                             Request& request) {
  Response resp;
  coordinator::TxnCoordinator* txns = call.broker.txns;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!txns || !groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  if (request.group_id.empty()) {
    resp.error_code = int16_t(ErrorCode::INVALID_GROUP_ID);
    co_return Reply<Response>{std::move(resp)};
  }
  TopicPartition tp{std::string(coordinator::kConsumerOffsetsTopic),
                    PartitionId(groups->PartitionFor(request.group_id))};
  const TxnCall start = [txns, id = request.transactional_id, pid = request.producer_id.value,
                        epoch = request.producer_epoch.value, tp](auto done) {
    txns->AddPartitions(id, pid, epoch, {tp}, std::move(done));
  };
  const ErrorCode err = co_await AwaitTxnAnswer(call, start);
  resp.error_code = int16_t(err);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
