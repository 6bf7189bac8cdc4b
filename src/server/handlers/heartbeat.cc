#include "heartbeat.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<HeartbeatHandler::Response>> HeartbeatHandler::Handle(Call& call, Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  resp.error_code = groups ? WireError(groups->Heartbeat(request.group_id, request.generation_id.value,
                                                         request.member_id,
                                                         request.group_instance_id))
                           : int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
