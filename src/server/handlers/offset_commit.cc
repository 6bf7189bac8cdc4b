#include "offset_commit.h"

#include "commit_partitions.h"
#include "join_group.h"

namespace keel::server {

Task<Reply<OffsetCommitHandler::Response>> OffsetCommitHandler::Handle(Call& call,
                                                                       Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  coordinator::OffsetCommitRequest req;
  req.group_id = request.group_id;
  req.generation = request.generation_id_or_member_epoch;
  req.member_id = request.member_id;
  req.instance_id = request.group_instance_id;
  if (call.version() <= 4) req.retention_ms = request.retention_time_ms;
  CollectCommitPartitions(
      call, request.topics, resp.topics,
      groups ? ErrorCode::NONE : ErrorCode::COORDINATOR_NOT_AVAILABLE,
      [&req](const std::string& topic, const auto& p) {
        req.partitions.push_back({TopicPartition{topic, p.partition_index}, p.committed_offset,
                                  p.committed_leader_epoch.value, p.committed_metadata});
      });
  if (!req.partitions.empty()) {
    auto shared = std::make_shared<coordinator::OffsetCommitRequest>(std::move(req));
    const GroupCommitCall start = [groups, shared](auto done) {
      groups->CommitOffsets(*shared, std::move(done));
    };
    co_await AnswerCommitPartitions(call, resp.topics, start);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
