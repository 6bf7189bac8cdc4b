// ElectLeaders (key 43): on a single node every partition is already led by
// its preferred (and only) replica, so each named partition that exists gets
// ELECTION_NOT_NEEDED, for preferred (0) and unclean (1, v1+) elections alike,
// and unknown ones UNKNOWN_TOPIC_OR_PARTITION, as Kafka's controller answers.
// A null partition list means every partition; Kafka then leaves out the
// partitions whose election was not needed, so each topic comes back with an
// empty result list. An unknown election type is INVALID_REQUEST.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/elect_leaders.h"

namespace keel::server {

struct ElectLeadersHandler {
  using Request = protocol::ElectLeadersRequest;
  using Response = protocol::ElectLeadersResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
