// OffsetFetch (key 9), v1-9: committed offsets of one group (v1-7) or of
// several groups (v8+); a null topic list (v2+) means every partition the
// group has committed. Partitions without a commit report offset -1.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/offset_fetch.h"

namespace keel::server {

struct OffsetFetchHandler {
  using Request = protocol::OffsetFetchRequest;
  using Response = protocol::OffsetFetchResponse;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 9;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
