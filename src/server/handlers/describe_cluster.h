// DescribeCluster (key 60, KIP-700): the cluster id, this node as the only
// broker (at the advertised address of the listener asked) and as the
// controller. Cluster authorized operations follow Kafka without an
// authorizer: INT32_MIN unless requested, then every operation Kafka supports
// on a CLUSTER resource. v1 endpoint type: Keel is a broker endpoint, so
// asking for controllers (2) is MISMATCHED_ENDPOINT_TYPE and any other value
// UNSUPPORTED_ENDPOINT_TYPE. v2 fenced brokers: this node is never fenced.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_cluster.h"

namespace keel::server {

struct DescribeClusterHandler {
  using Request = protocol::DescribeClusterRequest;
  using Response = protocol::DescribeClusterResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
