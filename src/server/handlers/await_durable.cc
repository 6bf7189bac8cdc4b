#include "await_durable.h"

#include <mutex>

namespace keel::server {

Task<absl::Status> AwaitDurable(std::shared_ptr<storage::Log> log, Offset last_offset,
                                std::chrono::steady_clock::time_point deadline) {
  struct State {
    explicit State(net::any_io_executor ex) : timer(ex) {}
    net::steady_timer timer;
    std::mutex mu;
    bool done = false;
    absl::Status status;
  };
  auto ex = co_await net::this_coro::executor;
  auto state = std::make_shared<State>(ex);
  state->timer.expires_at(deadline);
  log->WaitDurable(last_offset, [state](absl::Status st) {
    {
      std::lock_guard lock(state->mu);
      state->done = true;
      state->status = std::move(st);
    }
    net::post(state->timer.get_executor(), [state] { state->timer.cancel(); });
  });
  for (;;) {
    {
      std::lock_guard lock(state->mu);
      if (state->done) co_return state->status;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return absl::DeadlineExceededError("timed out waiting for fsync");
    }
    co_await state->timer.async_wait(use_tuple);
  }
}

}  // namespace keel::server
