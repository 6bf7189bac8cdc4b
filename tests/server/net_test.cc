// AwaitCallback, AwaitCallbackUntil and RunOn: the bridge from a callback
// fired on another thread back into a coroutine on its strand.
#include "keel/server/net.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "gtest/gtest.h"

namespace keel::server {
namespace {

using namespace std::chrono_literals;

// Runs `body` as a coroutine on a strand of a one-thread io_context and
// returns when the context has no work left (the coroutine finished and no
// timer is pending).
void RunOnStrand(std::function<Task<void>(net::strand<net::io_context::executor_type>)> body) {
  net::io_context io;
  auto strand = net::make_strand(io);
  bool finished = false;
  std::exception_ptr error;
  net::co_spawn(strand, body(strand), [&](std::exception_ptr e) {
    finished = true;
    error = e;
  });
  io.run();
  ASSERT_TRUE(finished);
  if (error) std::rethrow_exception(error);
}

TEST(AwaitCallbackTest, ForeignThreadCallbackResumesOnTheStrand) {
  std::thread foreign;
  RunOnStrand([&](auto strand) -> Task<void> {
    auto start = [&foreign](auto done) {
      foreign = std::thread([done]() mutable { done(42); });
    };
    int v = co_await AwaitCallback<int>(std::move(start));
    EXPECT_EQ(v, 42);
    EXPECT_TRUE(strand.running_in_this_thread());
    EXPECT_NE(std::this_thread::get_id(), foreign.get_id());
  });
  foreign.join();
}

TEST(AwaitCallbackTest, InlineCallbackResumesOnlyAfterStartReturns) {
  RunOnStrand([](auto strand) -> Task<void> {
    bool start_returned = false;
    auto start = [&start_returned](auto done) {
      done(std::string("now"));
      start_returned = true;
    };
    std::string v = co_await AwaitCallback<std::string>(std::move(start));
    EXPECT_EQ(v, "now");
    EXPECT_TRUE(start_returned);
    EXPECT_TRUE(strand.running_in_this_thread());
  });
}

TEST(AwaitCallbackTest, OnlyTheFirstCallCounts) {
  RunOnStrand([](auto) -> Task<void> {
    auto start = [](auto done) {
      done(1);
      done(2);
    };
    int v = co_await AwaitCallback<int>(std::move(start));
    EXPECT_EQ(v, 1);
  });
}

TEST(AwaitCallbackUntilTest, DeadlineFirstGivesNulloptAndALateCallIsIgnored) {
  std::function<void(int)> kept;
  RunOnStrand([&kept](auto) -> Task<void> {
    auto start = [&kept](auto done) { kept = done; };
    auto t0 = std::chrono::steady_clock::now();
    std::optional<int> v = co_await AwaitCallbackUntil<int>(t0 + 20ms, std::move(start));
    EXPECT_FALSE(v.has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  });
  ASSERT_TRUE(kept);
  kept(7);  // the coroutine is gone: nothing to resume, nothing posted
}

TEST(AwaitCallbackUntilTest, CallbackFirstCancelsTheTimer) {
  std::thread foreign;
  auto t0 = std::chrono::steady_clock::now();
  // io.run() returns only once the timer is gone: a leftover timer would keep
  // it running for the hour.
  RunOnStrand([&](auto strand) -> Task<void> {
    auto start = [&foreign](auto done) {
      foreign = std::thread([done]() mutable {
        std::this_thread::sleep_for(10ms);
        done(5);
      });
    };
    std::optional<int> v = co_await AwaitCallbackUntil<int>(t0 + 1h, std::move(start));
    EXPECT_EQ(v, 5);
    EXPECT_TRUE(strand.running_in_this_thread());
  });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  foreign.join();
}

TEST(AwaitCallbackUntilTest, PastDeadlineStillTakesAnInlineValue) {
  RunOnStrand([](auto) -> Task<void> {
    auto start = [](auto done) { done(3); };
    std::optional<int> v = co_await AwaitCallbackUntil<int>(
        std::chrono::steady_clock::now() - 1s, std::move(start));
    EXPECT_EQ(v, 3);
  });
}

TEST(RunOnTest, RunsOnThePoolAndResumesOnTheStrand) {
  net::thread_pool pool(1);
  RunOnStrand([&pool](auto strand) -> Task<void> {
    std::thread::id io_thread = std::this_thread::get_id();
    auto work = [io_thread] {
      EXPECT_NE(std::this_thread::get_id(), io_thread);
      return std::make_unique<int>(9);  // move-only results are fine
    };
    std::unique_ptr<int> v = co_await RunOn(pool, std::move(work));
    EXPECT_TRUE(v != nullptr && *v == 9);
    EXPECT_EQ(std::this_thread::get_id(), io_thread);
    EXPECT_TRUE(strand.running_in_this_thread());
  });
  pool.join();
}

}  // namespace
}  // namespace keel::server
