// ListOffsets (key 2): earliest (-2), latest (-1: the high watermark, or the
// last stable offset for read_committed), max timestamp (-3, v7+), earliest
// local (-4, v8+), or the first record whose timestamp is >= the given one
// (record precision: the batch found through the time index is scanned
// record by record). v0 (removed in Kafka 4, still asked for by tools such as
// Burrow 1.2) answers the same offset as a one-element old_style_offsets list
// (empty when max_num_offsets is 0 or nothing matched).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/list_offsets.h"

namespace keel::server {

struct ListOffsetsHandler {
  using Request = protocol::ListOffsetsRequest;
  using Response = protocol::ListOffsetsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
