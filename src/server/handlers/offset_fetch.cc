#include "offset_fetch.h"

#include <map>

#include "join_group.h"

namespace keel::server {
namespace {

// Offsets grouped by topic, in the order the coordinator returned them.
template <typename TopicT>
void FillTopics(const coordinator::OffsetFetchResult& r, std::vector<TopicT>& out) {
  std::map<std::string, size_t> index;
  for (const auto& f : r.offsets) {
    auto [it, inserted] = index.emplace(f.tp.topic, out.size());
    if (inserted) out.emplace_back().name = f.tp.topic;
    auto& p = out[it->second].partitions.emplace_back();
    p.partition_index = f.tp.partition;
    p.committed_offset = f.offset;
    p.committed_leader_epoch = LeaderEpoch(f.leader_epoch);
    p.metadata = f.metadata;
    p.error_code = WireError(f.error);
  }
}

template <typename TopicsT>
std::optional<std::vector<TopicPartition>> Wanted(const std::optional<TopicsT>& topics) {
  if (!topics) return std::nullopt;
  std::vector<TopicPartition> out;
  for (const auto& t : *topics)
    for (int32_t p : t.partition_indexes) out.push_back(TopicPartition{t.name, PartitionId(p)});
  return out;
}

}  // namespace

Task<Reply<OffsetFetchHandler::Response>> OffsetFetchHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (call.version() >= 8) {
    for (const auto& g : request.groups) {
      auto& gout = resp.groups.emplace_back();
      gout.group_id = g.group_id;
      if (!groups) {
        gout.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        continue;
      }
      auto r = groups->FetchOffsets(g.group_id, Wanted(g.topics), request.require_stable);
      gout.error_code = WireError(r.error);
      FillTopics(r, gout.topics);
    }
    co_return Reply<Response>{std::move(resp)};
  }
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  // v1 has no null topic list; an empty one asks for nothing.
  auto r = groups->FetchOffsets(request.group_id, Wanted(request.topics),
                                call.version() >= 7 && request.require_stable);
  resp.error_code = WireError(r.error);
  FillTopics(r, resp.topics);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
