#include "offset_commit.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<OffsetCommitHandler::Response>> OffsetCommitHandler::Handle(Call& call,
                                                                       Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  // Error slots of the partitions sent to the coordinator, in its order.
  std::vector<int16_t*> slots;
  coordinator::OffsetCommitRequest req;
  req.group_id = request.group_id;
  req.generation = request.generation_id_or_member_epoch;
  req.member_id = request.member_id;
  req.instance_id = request.group_instance_id;
  if (call.version() <= 4) req.retention_ms = request.retention_time_ms;
  for (auto& topic : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.name = topic.name;
    auto info = call.broker.partitions.FindTopic(topic.name);
    for (auto& p : topic.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p.partition_index;
      if (!groups) {
        pout.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        continue;
      }
      if (!info || p.partition_index.value < 0 || p.partition_index.value >= info->partitions) {
        pout.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      req.partitions.push_back({TopicPartition{topic.name, p.partition_index}, p.committed_offset,
                                p.committed_leader_epoch.value, p.committed_metadata});
    }
  }
  // Pointers into resp are taken after it stops growing.
  for (auto& t : resp.topics)
    for (auto& p : t.partitions)
      if (p.error_code == 0) slots.push_back(&p.error_code);
  if (!req.partitions.empty()) {
    auto shared = std::make_shared<coordinator::OffsetCommitRequest>(std::move(req));
    std::function<void(absl::AnyInvocable<void(std::vector<coordinator::GroupError>)>)> start =
        [groups, shared](absl::AnyInvocable<void(std::vector<coordinator::GroupError>)> cb) {
          groups->CommitOffsets(*shared, std::move(cb));
        };
    auto errors = co_await AwaitGroupCallback<std::vector<coordinator::GroupError>>(
        call.broker.storage_pool, start);
    for (size_t i = 0; i < slots.size() && i < errors.size(); ++i) *slots[i] = WireError(errors[i]);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
