// DescribeConfigs (key 32): topic configs (effective value, source: topic
// override / broker config / default) and broker configs (read-only: Keel has
// no dynamic broker configs). With include_synonyms, each entry lists its
// synonyms in Kafka's precedence order: the topic override, broker keys set
// in the config, the built-in default (sensitive values are null). v3+ carry
// Kafka's config type per key and, when asked, documentation.
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
