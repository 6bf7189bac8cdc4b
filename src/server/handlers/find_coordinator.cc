#include "find_coordinator.h"

#include "join_group.h"
#include "metadata.h"

namespace keel::server {
namespace {

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

struct Answer {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

Answer Resolve(const Call& call, int8_t key_type, const std::string& key) {
  Answer a;
  const bool group = key_type == kGroupKey;
  if (!group && key_type != kTransactionKey) {
    a.error = ErrorCode::INVALID_REQUEST;
    a.message = "unknown key type";
  } else if (group ? !call.broker.groups : !call.broker.txns) {
    a.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
  } else if (key.empty()) {
    a.error = ErrorCode::INVALID_REQUEST;
    a.message = group ? "empty group id" : "empty transactional id";
  } else {
    const auto& adv = AdvertisedFor(call.broker, call.connection.listener);
    a.node_id = call.broker.config.node_id;
    a.host = adv.host;
    a.port = adv.port;
  }
  return a;
}

}  // namespace

Task<Reply<FindCoordinatorHandler::Response>> FindCoordinatorHandler::Handle(Call& call,
                                                                             Request& request) {
  Response resp;
  if (call.version() >= 4) {
    for (const auto& key : request.coordinator_keys) {
      Answer a = Resolve(call, request.key_type, key);
      auto& c = resp.coordinators.emplace_back();
      c.key = key;
      c.node_id = NodeId(a.node_id);
      c.host = a.host;
      c.port = a.port;
      c.error_code = int16_t(a.error);
      c.error_message = a.message;
    }
    co_return Reply<Response>{std::move(resp)};
  }
  Answer a = Resolve(call, call.version() >= 1 ? request.key_type : kGroupKey, request.key);
  resp.error_code = int16_t(a.error);
  if (call.version() >= 1) resp.error_message = a.message;
  resp.node_id = NodeId(a.node_id);
  resp.host = a.host;
  resp.port = a.port;
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
