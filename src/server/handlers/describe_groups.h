// DescribeGroups (key 15), v0-5: state, protocol and members of each group;
// member metadata and assignments only for Stable groups; unknown groups are
// reported as Dead with no error, as Kafka does.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_groups.h"

namespace keel::server {

struct DescribeGroupsHandler {
  using Request = protocol::DescribeGroupsRequest;
  using Response = protocol::DescribeGroupsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
