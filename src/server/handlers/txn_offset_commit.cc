#include "txn_offset_commit.h"

#include "commit_partitions.h"
#include "join_group.h"
#include "keel/coordinator/group_records.h"
#include "txn_util.h"

namespace keel::server {

Task<Reply<TxnOffsetCommitHandler::Response>> TxnOffsetCommitHandler::Handle(Call& call,
                                                                             Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  coordinator::TxnCoordinator* txns = call.broker.txns;
  // Answer slots are filled first; the ones still NONE go to the coordinator.
  ErrorCode all = ErrorCode::NONE;
  if (!groups || !txns) {
    all = ErrorCode::COORDINATOR_NOT_AVAILABLE;
  } else if (request.group_id.empty()) {
    all = ErrorCode::INVALID_GROUP_ID;
  } else {
    TopicPartition offsets_tp{std::string(coordinator::kConsumerOffsetsTopic),
                              PartitionId(groups->PartitionFor(request.group_id))};
    all = TxnWireError(txns->VerifyPartition(request.transactional_id, request.producer_id.value,
                                             request.producer_epoch.value, offsets_tp),
                       call.version() < 2);
  }
  coordinator::TxnOffsetCommitRequest req;
  req.group_id = request.group_id;
  req.producer_id = request.producer_id.value;
  req.producer_epoch = request.producer_epoch.value;
  req.generation = request.generation_id;
  req.member_id = request.member_id;
  req.instance_id = request.group_instance_id;
  CollectCommitPartitions(call, request.topics, resp.topics, all,
                          [&req](const std::string& topic, const auto& p) {
                            req.partitions.push_back({TopicPartition{topic, p.partition_index},
                                                      p.committed_offset, p.committed_leader_epoch,
                                                      p.committed_metadata});
                          });
  if (req.partitions.empty()) co_return Reply<Response>{std::move(resp)};
  auto shared = std::make_shared<coordinator::TxnOffsetCommitRequest>(std::move(req));
  const GroupCommitCall start = [groups, shared](auto done) {
    groups->CommitTxnOffsets(*shared, std::move(done));
  };
  co_await AnswerCommitPartitions(call, resp.topics, start);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
