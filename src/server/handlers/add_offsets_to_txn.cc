#include "add_offsets_to_txn.h"

#include "join_group.h"
#include "keel/coordinator/group_records.h"
#include "txn_util.h"

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
  std::function<void(absl::AnyInvocable<void(coordinator::TxnError)>)> start =
      [txns, id = request.transactional_id, pid = request.producer_id.value,
       epoch = request.producer_epoch.value, tp](auto done) {
        txns->AddPartitions(id, pid, epoch, {tp}, std::move(done));
      };
  auto err = co_await AwaitGroupCallback<coordinator::TxnError>(call.broker.storage_pool, start);
  resp.error_code = int16_t(TxnWireError(err, call.version() < 2));
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
