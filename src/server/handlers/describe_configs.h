// DescribeConfigs (key 32): topic configs (effective value, source: topic
// override / broker config / default, with synonyms) and broker configs.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_configs.h"

namespace keel::server {

struct DescribeConfigsHandler {
  using Request = protocol::DescribeConfigsRequest;
  using Response = protocol::DescribeConfigsResponse;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
