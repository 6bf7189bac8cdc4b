#include "offset_delete.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<OffsetDeleteHandler::Response>> OffsetDeleteHandler::Handle(Call& call,
                                                                       Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  std::vector<TopicPartition> partitions;
  for (const auto& t : request.topics)
    for (const auto& p : t.partitions) partitions.push_back(TopicPartition{t.name, p.partition_index});
  using Result = std::pair<coordinator::GroupError, std::vector<coordinator::GroupError>>;
  auto shared = std::make_shared<std::pair<std::string, std::vector<TopicPartition>>>(
      request.group_id, std::move(partitions));
  std::function<void(absl::AnyInvocable<void(Result)>)> start =
      [groups, shared](absl::AnyInvocable<void(Result)> cb) {
        groups->DeleteOffsets(shared->first, shared->second,
                              [cb = std::move(cb)](coordinator::GroupError top,
                                                   std::vector<coordinator::GroupError> per) mutable {
                                cb(Result{top, std::move(per)});
                              });
      };
  Result r = co_await AwaitGroupCallback<Result>(call.broker.storage_pool, start);
  resp.error_code = WireError(r.first);
  if (r.first != coordinator::GroupError::kNone) co_return Reply<Response>{std::move(resp)};
  size_t i = 0;
  for (const auto& t : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.name = t.name;
    for (const auto& p : t.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p.partition_index;
      pout.error_code = i < r.second.size() ? WireError(r.second[i]) : 0;
      ++i;
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
