#include "list_groups.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<ListGroupsHandler::Response>> ListGroupsHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  for (auto& g : groups->List(request.states_filter)) {
    auto& out = resp.groups.emplace_back();
    out.group_id = std::move(g.group_id);
    out.protocol_type = std::move(g.protocol_type);
    out.group_state = std::move(g.state);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
