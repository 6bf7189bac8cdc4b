#include "sync_group.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<SyncGroupHandler::Response>> SyncGroupHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  coordinator::SyncRequest req;
  req.group_id = request.group_id;
  req.generation = request.generation_id.value;
  req.member_id = request.member_id;
  req.instance_id = request.group_instance_id;
  req.protocol_type = request.protocol_type;  // v5+
  req.protocol_name = request.protocol_name;
  for (auto& a : request.assignments) req.assignments.emplace_back(a.member_id, std::move(a.assignment));
  auto shared = std::make_shared<coordinator::SyncRequest>(std::move(req));
  std::function<void(absl::AnyInvocable<void(coordinator::SyncResult)>)> start =
      [groups, shared](absl::AnyInvocable<void(coordinator::SyncResult)> cb) {
        groups->Sync(*shared, std::move(cb));
      };
  coordinator::SyncResult r =
      co_await AwaitGroupCallback<coordinator::SyncResult>(call.broker.storage_pool, start);
  resp.error_code = WireError(r.error);
  resp.protocol_type = r.protocol_type;
  resp.protocol_name = r.protocol_name;
  resp.assignment = std::move(r.assignment);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
