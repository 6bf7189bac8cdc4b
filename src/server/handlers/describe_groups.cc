#include "describe_groups.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<DescribeGroupsHandler::Response>> DescribeGroupsHandler::Handle(Call& call,
                                                                           Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  for (const auto& id : request.groups) {
    auto& out = resp.groups.emplace_back();
    out.group_id = id;
    if (!groups) {
      out.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      continue;
    }
    coordinator::GroupDescription d = groups->Describe(id);
    out.error_code = WireError(d.error);
    out.group_state = d.state;
    out.protocol_type = d.protocol_type;
    out.protocol_data = d.protocol;
    for (auto& m : d.members) {
      auto& mo = out.members.emplace_back();
      mo.member_id = m.member_id;
      mo.group_instance_id = m.instance_id;
      mo.client_id = m.client_id;
      mo.client_host = m.client_host;
      mo.member_metadata = std::move(m.metadata);
      mo.member_assignment = std::move(m.assignment);
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
