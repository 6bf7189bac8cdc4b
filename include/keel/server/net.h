// Asio vocabulary shared by the network front end.
//
// Coroutines use `as_tuple(use_awaitable)` as their default token, so
// operations return (error_code, result...) tuples instead of throwing.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace keel::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
template <typename T>
using Task = net::awaitable<T>;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Runs `fn` on `pool` and resumes the calling coroutine on its own executor
// (by post, never inline on the pool thread) with fn's result. For blocking
// storage work that must stay off I/O threads.
// Pass a named callable (not a temporary lambda): GCC 12 mishandles
// temporaries with destructors inside co_await expressions.
template <typename Fn>
auto RunOn(net::thread_pool& pool, Fn&& fn) {
  using R = std::invoke_result_t<std::decay_t<Fn>&>;
  return net::async_initiate<decltype(net::use_awaitable), void(R)>(
      [&pool](auto handler, std::decay_t<Fn> work) {
        net::post(pool, [work = std::move(work), handler = std::move(handler)]() mutable {
          R result = work();
          auto ex = net::get_associated_executor(handler);
          net::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      net::use_awaitable, std::forward<Fn>(fn));
}

}  // namespace keel::server
