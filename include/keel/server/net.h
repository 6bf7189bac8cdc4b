// Asio vocabulary shared by the network front end.
//
// Coroutines use `as_tuple(use_awaitable)` as their default token, so
// operations return (error_code, result...) tuples instead of throwing.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace keel::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
template <typename T>
using Task = net::awaitable<T>;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

namespace detail {

// The state one AwaitCallback shares between the callback it hands out and,
// with a deadline, its timer. The first Complete() wins; later ones are
// ignored. `timer` is only touched on the waiting coroutine's executor, and
// is gone once the coroutine resumes; the rest may outlive the coroutine (a
// late callback copy still holds it).
template <typename R, typename Handler>
struct CallbackWait {
  explicit CallbackWait(Handler h) : handler(std::move(h)) {}

  // Thread-safe. Resumes the coroutine with `value` by posting to its
  // executor (never inline on the calling thread), unless it was resumed
  // already.
  static void Complete(const std::shared_ptr<CallbackWait>& self, R value) {
    std::optional<Handler> h;
    {
      std::lock_guard lock(self->mu);
      if (!self->handler) return;
      h.emplace(std::move(*self->handler));
      self->handler.reset();
    }
    auto ex = net::get_associated_executor(*h);
    net::post(ex, [self, h = std::move(*h), value = std::move(value)]() mutable {
      // Destroying the timer cancels a pending wait; it goes before the
      // coroutine resumes, so it never outlives the coroutine's executor.
      self->timer.reset();
      std::move(h)(std::move(value));
    });
  }

  std::mutex mu;
  std::optional<Handler> handler;  // empty once completed
  std::optional<net::steady_timer> timer;
};

// Starts the wait shared by AwaitCallback and AwaitCallbackUntil: the
// coroutine resumes with the callback's T, or, with a deadline, with
// optional<T> (nullopt once the deadline passes first).
template <typename T, bool kWithDeadline, typename Start>
auto InitiateCallbackWait(Start&& start, std::chrono::steady_clock::time_point deadline) {
  static_assert(!std::is_same_v<std::decay_t<T>, std::exception_ptr> &&
                    !std::is_same_v<std::decay_t<T>, boost::system::error_code> &&
                    !std::is_same_v<std::decay_t<T>, std::error_code>,
                "use_awaitable would treat the value as an error");
  using R = std::conditional_t<kWithDeadline, std::optional<T>, T>;
  return net::async_initiate<decltype(net::use_awaitable), void(R)>(
      [](auto handler, std::decay_t<Start> start, std::chrono::steady_clock::time_point deadline) {
        using Wait = CallbackWait<R, decltype(handler)>;
        auto wait = std::make_shared<Wait>(std::move(handler));
        if constexpr (kWithDeadline) {
          // Initiation runs on the coroutine's executor, where the timer lives.
          wait->timer.emplace(net::get_associated_executor(*wait->handler), deadline);
          wait->timer->async_wait([wait](const boost::system::error_code& ec) {
            if (!ec) Wait::Complete(wait, R(std::nullopt));
          });
        }
        auto callback = [wait](T value) { Wait::Complete(wait, R(std::move(value))); };
        std::move(start)(std::move(callback));
      },
      net::use_awaitable, std::forward<Start>(start), deadline);
}

}  // namespace detail

// Bridges a callback API into a coroutine: `co_await AwaitCallback<T>(start)`
// calls `start(callback)` on the coroutine's executor once the coroutine has
// suspended, and resumes it with the T that `callback(T)` receives. The
// callback is copyable and may run on any thread, or inline inside `start`;
// the coroutine always resumes by a post to its own executor (a connection's
// strand), never on the callback's thread. Only the first call counts.
// If every copy of the callback is destroyed uncalled, the coroutine is
// abandoned (Asio destroys its frame on its executor), as with any Asio
// operation whose handler is dropped.
//
// Pass a named callable moved in (`AwaitCallback<T>(std::move(start))`), not
// a lambda written inside the co_await expression: GCC 12 destroys such
// temporaries twice.
// REQUIRES: T is not an error_code or exception_ptr (use_awaitable would
// treat it as an error).
template <typename T, typename Start>
auto AwaitCallback(Start&& start) {
  return detail::InitiateCallbackWait<T, false>(std::forward<Start>(start), {});
}

// AwaitCallback with a deadline: resumes with the callback's value, or with
// nullopt once `deadline` passes first (a later call of the callback is then
// ignored). A deadline already past still resumes with the value if the
// callback runs inline in `start`.
template <typename T, typename Start>
auto AwaitCallbackUntil(std::chrono::steady_clock::time_point deadline, Start&& start) {
  return detail::InitiateCallbackWait<T, true>(std::forward<Start>(start), deadline);
}

// Runs `fn` on `pool` and resumes the calling coroutine on its own executor
// (by post, never inline on the pool thread) with fn's result. For blocking
// storage work that must stay off I/O threads.
// Pass a named callable (not a temporary lambda): GCC 12 mishandles
// temporaries with destructors inside co_await expressions.
template <typename Fn>
auto RunOn(net::thread_pool& pool, Fn&& fn) {
  using R = std::invoke_result_t<std::decay_t<Fn>&>;
  auto on_pool = [&pool, work = std::decay_t<Fn>(std::forward<Fn>(fn))](auto done) mutable {
    net::post(pool, [work = std::move(work), done = std::move(done)]() mutable { done(work()); });
  };
  return AwaitCallback<R>(std::move(on_pool));
}

}  // namespace keel::server
