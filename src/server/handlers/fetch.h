// Fetch (key 1): serves stored batches verbatim, up to the high watermark
// (only fsynced data is ever visible), with long polling.
//
// Size limits follow KIP-74 (see ReadAll in fetch.cc): at most max_bytes of
// records per response and partition_max_bytes per partition, except one
// oversized batch of the first partition with data.
//
// Versions 4+ (record batch v2); v13+ names topics by id. Fetch sessions
// (KIP-227) are answered sessionless (session_id 0), which clients accept.
// The work is split: fetch_planner decides what to read for each partition,
// this file runs the read / wait loop and builds the response.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/fetch.h"

namespace keel::server {

struct FetchHandler {
  using Request = protocol::FetchRequest;
  using Response = protocol::FetchResponse;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 15;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
