#include "txn_offset_commit.h"

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
  for (auto& topic : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.name = topic.name;
    auto info = call.broker.partitions.FindTopic(topic.name);
    for (auto& p : topic.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p.partition_index;
      if (all != ErrorCode::NONE) {
        pout.error_code = int16_t(all);
      } else if (!info || p.partition_index.value < 0 ||
                 p.partition_index.value >= info->partitions) {
        pout.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        req.partitions.push_back({TopicPartition{topic.name, p.partition_index},
                                  p.committed_offset, p.committed_leader_epoch,
                                  p.committed_metadata});
      }
    }
  }
  if (req.partitions.empty()) co_return Reply<Response>{std::move(resp)};
  std::vector<int16_t*> slots;
  for (auto& t : resp.topics)
    for (auto& p : t.partitions)
      if (p.error_code == 0) slots.push_back(&p.error_code);
  auto shared = std::make_shared<coordinator::TxnOffsetCommitRequest>(std::move(req));
  std::function<void(absl::AnyInvocable<void(std::vector<coordinator::GroupError>)>)> start =
      [groups, shared](auto done) { groups->CommitTxnOffsets(*shared, std::move(done)); };
  auto errors = co_await AwaitGroupCallback<std::vector<coordinator::GroupError>>(
      call.broker.storage_pool, start);
  for (size_t i = 0; i < slots.size() && i < errors.size(); ++i) *slots[i] = WireError(errors[i]);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
