#include "describe_cluster.h"

#include "metadata.h"

namespace keel::server {
namespace {

constexpr int8_t kBrokerEndpoint = 1;
constexpr int8_t kControllerEndpoint = 2;
constexpr int32_t kAuthorizedOpsNotRequested = INT32_MIN;
// Kafka's AclOperation codes a CLUSTER resource supports: CREATE(5) ALTER(7)
// DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11)
// IDEMPOTENT_WRITE(12). Without an authorizer Kafka grants all of them.
constexpr int32_t kAllClusterOps =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

}  // namespace

Task<Reply<DescribeClusterHandler::Response>> DescribeClusterHandler::Handle(Call& call,
                                                                             Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  resp.endpoint_type = kBrokerEndpoint;
  // v0 has no endpoint type on the wire: the default (brokers) applies.
  if (request.endpoint_type != kBrokerEndpoint) {
    // Kafka answers INVALID_REQUEST at v0 (unreachable here) and the
    // endpoint-specific codes from v1.
    bool known = request.endpoint_type == kControllerEndpoint;
    resp.error_code = int16_t(known ? ErrorCode::MISMATCHED_ENDPOINT_TYPE
                                    : ErrorCode::UNSUPPORTED_ENDPOINT_TYPE);
    resp.error_message =
        known ? std::string("The request was sent to an endpoint of type BROKER, but we wanted an "
                            "endpoint of type CONTROLLER")
              : "Unsupported endpoint type " + std::to_string(request.endpoint_type);
    resp.cluster_id = "";
    co_return Reply<Response>{std::move(resp)};
  }
  resp.error_code = int16_t(ErrorCode::NONE);
  resp.cluster_id = broker.config.cluster_id;
  resp.controller_id = NodeId(broker.config.node_id);
  const auto& adv = AdvertisedFor(broker, call.connection.listener);
  auto& self = resp.brokers.emplace_back();
  self.broker_id = NodeId(broker.config.node_id);
  self.host = adv.host;
  self.port = adv.port;
  self.rack = std::nullopt;
  self.is_fenced = false;
  resp.cluster_authorized_operations =
      request.include_cluster_authorized_operations ? kAllClusterOps : kAuthorizedOpsNotRequested;
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
