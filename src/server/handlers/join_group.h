// JoinGroup (key 11): the classic group join, answered when the group's
// rebalance completes (or at once for errors, MEMBER_ID_REQUIRED and
// unchanged members). v4+ requires a known member id first (KIP-394);
// v5+ carries group.instance.id (static membership); v9 may tell a static
// leader to skip the assignment.
//
// Also the helpers every group handler shares: the coordinator lookup, the
// client host string and AwaitGroupCallback.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "handler.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/protocol/messages/join_group.h"

namespace keel::server {

struct JoinGroupHandler {
  using Request = protocol::JoinGroupRequest;
  using Response = protocol::JoinGroupResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 9;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

// The group coordinator result as a wire error code (same numbers).
inline int16_t WireError(coordinator::GroupError e) { return int16_t(e); }

// "/ip" of the connection's peer, as Kafka reports client hosts.
std::string ClientHost(const Call& call);

// Runs `start(callback)` on the storage pool (coordinator writes do file
// I/O), or on a strand of it (`pool` is the pool or a strand), and suspends the calling coroutine, without blocking a thread, until
// the coordinator invokes the callback from whichever thread completes it
// (see AwaitCallback in keel/server/net.h).
//
// Pass `start` as a named std::function (not a lambda built inside the
// co_await expression): GCC 12 mishandles the lifetime of non-trivial
// temporaries in co_await operands. It is copied; capture request data by
// shared_ptr.
template <typename T, typename Where>
auto AwaitGroupCallback(Where& pool,
                        const std::function<void(absl::AnyInvocable<void(T)>)>& start) {
  auto on_pool = [&pool, start](auto done) {
    net::post(pool, [start, done = std::move(done)]() mutable {
      start(absl::AnyInvocable<void(T)>(std::move(done)));
    });
  };
  return AwaitCallback<T>(std::move(on_pool));
}

}  // namespace keel::server
