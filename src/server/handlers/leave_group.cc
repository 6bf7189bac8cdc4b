#include "leave_group.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<LeaveGroupHandler::Response>> LeaveGroupHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  std::vector<coordinator::MemberIdentity> members;
  if (call.version() < 3) {
    members.push_back({request.member_id, std::nullopt});
  } else {
    for (const auto& m : request.members) members.push_back({m.member_id, m.group_instance_id});
  }
  // Leaving may empty the group, which writes a record: off the I/O thread.
  auto work = [groups, &request, &members] { return groups->Leave(request.group_id, members); };
  coordinator::LeaveResult r = co_await RunOn(call.broker.storage_pool, std::move(work));
  if (call.version() < 3) {
    // One member: its error is the response's.
    resp.error_code = WireError(r.error != coordinator::GroupError::kNone ? r.error : r.members.at(0));
  } else {
    resp.error_code = WireError(r.error);
    for (size_t i = 0; i < members.size(); ++i) {
      auto& out = resp.members.emplace_back();
      out.member_id = members[i].member_id;
      out.group_instance_id = members[i].instance_id;
      out.error_code = WireError(r.members.at(i));
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
