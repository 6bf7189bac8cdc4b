// JoinGroup (key 11): the classic group join, answered when the group's
// rebalance completes (or at once for errors, MEMBER_ID_REQUIRED and
// unchanged members). v4+ requires a known member id first (KIP-394);
// v5+ carries group.instance.id (static membership); v9 may tell a static
// leader to skip the assignment.
//
// Also the helpers every group handler shares: the coordinator lookup, the
// client host string and AwaitGroupCallback.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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
// I/O) and suspends the calling coroutine, without blocking a thread, until
// the coordinator invokes the callback from whichever thread completes it.
//
// `start` is passed as a named, copyable std::function (not a temporary built
// inside the co_await expression): GCC 12 mishandles the lifetime of
// non-trivial temporaries in co_await operands. Capture request data by
// shared_ptr.
template <typename T>
Task<T> AwaitGroupCallback(net::thread_pool& pool,
                           std::function<void(absl::AnyInvocable<void(T)>)> start) {
  struct State {
    explicit State(net::any_io_executor ex) : timer(ex) {}
    net::steady_timer timer;
    std::mutex mu;
    std::optional<T> result;
  };
  auto ex = co_await net::this_coro::executor;
  auto state = std::make_shared<State>(ex);
  net::post(pool, [state, start]() {
    start([state](T value) {
      {
        std::lock_guard lock(state->mu);
        state->result = std::move(value);
      }
      net::post(state->timer.get_executor(), [state] { state->timer.cancel(); });
    });
  });
  for (;;) {
    {
      std::lock_guard lock(state->mu);
      if (state->result) co_return std::move(*state->result);
    }
    // The re-check period bounds a wake-up lost to a cancel that ran before
    // the wait started.
    state->timer.expires_after(std::chrono::milliseconds(500));
    co_await state->timer.async_wait(use_tuple);
  }
}

}  // namespace keel::server
