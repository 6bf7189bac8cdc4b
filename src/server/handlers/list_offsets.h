// ListOffsets (key 2): earliest (-2), latest (-1: the high watermark, which
// is also the last stable offset until transactions exist), max timestamp
// (-3, v7+), earliest local (-4, v8+), or the first record whose timestamp is
// >= the given one (record precision: the batch found through the time index
// is scanned record by record).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/list_offsets.h"

namespace keel::server {

struct ListOffsetsHandler {
  using Request = protocol::ListOffsetsRequest;
  using Response = protocol::ListOffsetsResponse;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 8;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
