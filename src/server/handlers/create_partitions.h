// CreatePartitions (key 37): grows a topic's partition count.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/create_partitions.h"

namespace keel::server {

struct CreatePartitionsHandler {
  using Request = protocol::CreatePartitionsRequest;
  using Response = protocol::CreatePartitionsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
