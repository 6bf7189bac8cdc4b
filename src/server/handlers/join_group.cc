#include "join_group.h"

namespace keel::server {

std::string ClientHost(const Call& call) {
  const std::string& peer = call.connection.peer;
  size_t colon = peer.rfind(':');
  std::string host = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return "/" + host;
}

Task<Reply<JoinGroupHandler::Response>> JoinGroupHandler::Handle(Call& call, Request& request) {
  Response resp;
  resp.member_id = request.member_id;
  resp.generation_id = GenerationId(-1);
  if (call.version() < 7) resp.protocol_name = std::string();
  coordinator::GroupCoordinator* groups = call.broker.groups;
  if (!groups) {
    resp.error_code = int16_t(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    co_return Reply<Response>{std::move(resp)};
  }
  coordinator::JoinRequest req;
  req.group_id = request.group_id;
  req.member_id = request.member_id;
  req.instance_id = request.group_instance_id;
  req.protocol_type = request.protocol_type;
  for (auto& p : request.protocols) req.protocols.push_back({p.name, std::move(p.metadata)});
  req.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: it equals the session timeout.
  req.rebalance_timeout_ms = call.version() >= 1 ? request.rebalance_timeout_ms : -1;
  req.client_id = call.header.client_id.value_or("");
  req.client_host = ClientHost(call);
  req.require_known_member_id = call.version() >= 4;
  req.supports_skip_assignment = call.version() >= 9;

  auto shared = std::make_shared<coordinator::JoinRequest>(std::move(req));
  std::function<void(absl::AnyInvocable<void(coordinator::JoinResult)>)> start =
      [groups, shared](absl::AnyInvocable<void(coordinator::JoinResult)> cb) {
        groups->Join(*shared, std::move(cb));
      };
  coordinator::JoinResult r =
      co_await AwaitGroupCallback<coordinator::JoinResult>(call.broker.storage_pool, start);
  resp.error_code = WireError(r.error);
  resp.generation_id = GenerationId(r.generation);
  resp.member_id = r.member_id;
  resp.leader = r.leader;
  resp.skip_assignment = r.skip_assignment;
  if (call.version() >= 7) {
    resp.protocol_type = r.protocol_type;
    resp.protocol_name = r.protocol_name;
  } else {
    resp.protocol_name = r.protocol_name.value_or("");
  }
  for (auto& m : r.members) {
    auto& out = resp.members.emplace_back();
    out.member_id = std::move(m.member_id);
    out.group_instance_id = std::move(m.instance_id);
    out.metadata = std::move(m.metadata);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
