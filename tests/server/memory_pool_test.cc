#include "keel/server/memory_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace keel::server {
namespace {

TEST(RequestMemoryPoolTest, ReservesWhileThereIsRoomThenQueues) {
  RequestMemoryPool pool(100);
  uint64_t ticket = 0;
  bool granted = false;
  EXPECT_TRUE(pool.Reserve(60, &ticket, [] { FAIL() << "granted at once, no callback"; }));
  EXPECT_TRUE(pool.Reserve(40, &ticket, [] { FAIL() << "granted at once, no callback"; }));
  EXPECT_EQ(pool.reserved(), 100);
  EXPECT_FALSE(pool.Reserve(1, &ticket, [&] { granted = true; }));
  EXPECT_EQ(pool.waiting(), 1u);
  EXPECT_EQ(pool.pause_count(), 1u);
  EXPECT_FALSE(granted);
  pool.Release(40);
  EXPECT_TRUE(granted) << "the release made room: the waiter is granted";
  EXPECT_EQ(pool.reserved(), 61) << "the grant is charged on the waiter's behalf";
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST(RequestMemoryPoolTest, FrameLargerThanThePoolRunsAloneOnly) {
  RequestMemoryPool pool(100);
  uint64_t ticket = 0;
  EXPECT_TRUE(pool.Reserve(500, &ticket, [] {})) << "an empty pool takes an oversized request";
  EXPECT_EQ(pool.reserved(), 500);
  bool small_granted = false;
  EXPECT_FALSE(pool.Reserve(1, &ticket, [&] { small_granted = true; }));
  pool.Release(500);
  EXPECT_TRUE(small_granted);

  bool big_granted = false;
  EXPECT_FALSE(pool.Reserve(500, &ticket, [&] { big_granted = true; }))
      << "an oversized request waits while anything else is reserved";
  pool.Release(1);
  EXPECT_TRUE(big_granted) << "and runs once the pool is empty";
  EXPECT_EQ(pool.reserved(), 500);
}

TEST(RequestMemoryPoolTest, WaitersAreServedInOrderAndNewcomersQueueBehindThem) {
  RequestMemoryPool pool(100);
  uint64_t ticket = 0;
  ASSERT_TRUE(pool.Reserve(100, &ticket, [] {}));
  std::vector<int> order;
  EXPECT_FALSE(pool.Reserve(80, &ticket, [&] { order.push_back(1); }));
  EXPECT_FALSE(pool.Reserve(10, &ticket, [&] { order.push_back(2); }));
  // Room for 10 but not for the 80 at the head: nobody jumps the queue.
  pool.Release(10);
  EXPECT_TRUE(order.empty());
  EXPECT_FALSE(pool.Reserve(5, &ticket, [&] { order.push_back(3); }))
      << "a newcomer queues behind the waiters even when it would fit";
  pool.Release(90);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(pool.reserved(), 95);
}

TEST(RequestMemoryPoolTest, CancelWithdrawsAQueuedRequestAndUnblocksThoseBehind) {
  RequestMemoryPool pool(100);
  uint64_t ticket = 0;
  ASSERT_TRUE(pool.Reserve(50, &ticket, [] {}));
  uint64_t big = 0, small = 0;
  bool big_granted = false, small_granted = false;
  EXPECT_FALSE(pool.Reserve(90, &big, [&] { big_granted = true; }));
  EXPECT_FALSE(pool.Reserve(20, &small, [&] { small_granted = true; }));
  EXPECT_TRUE(pool.Cancel(big));
  EXPECT_FALSE(big_granted);
  EXPECT_TRUE(small_granted) << "the head's withdrawal lets the next one in";
  EXPECT_EQ(pool.reserved(), 70);
  EXPECT_FALSE(pool.Cancel(small)) << "already granted: the grantee owns the bytes";
  EXPECT_FALSE(pool.Cancel(12345));
}

TEST(RequestMemoryPoolTest, UnboundedPoolNeverWaitsButCountsReservedBytes) {
  RequestMemoryPool pool(-1);
  uint64_t ticket = 0;
  EXPECT_TRUE(pool.Reserve(int64_t(1) << 40, &ticket, [] {}));
  EXPECT_TRUE(pool.Reserve(int64_t(1) << 40, &ticket, [] {}));
  EXPECT_EQ(pool.reserved(), int64_t(2) << 40);
  EXPECT_EQ(pool.pause_count(), 0u);
}

TEST(RequestMemoryPoolTest, ReservationReturnsItsBytesOnceWhenDestroyedOrMoved) {
  RequestMemoryPool pool(100);
  uint64_t ticket = 0;
  {
    ASSERT_TRUE(pool.Reserve(30, &ticket, [] {}));
    MemoryReservation a(&pool, 30);
    MemoryReservation b = std::move(a);
    EXPECT_EQ(pool.reserved(), 30);
    MemoryReservation c;
    c = std::move(b);
    EXPECT_EQ(pool.reserved(), 30);
  }
  EXPECT_EQ(pool.reserved(), 0);
}

TEST(RequestMemoryPoolTest, PartitionListRequestsAreChargedTheirDecodedSize) {
  EXPECT_EQ(RequestMemoryCharge(0, 1000), 1000 * kExpandingRequestFactor);  // Produce
  EXPECT_EQ(RequestMemoryCharge(1, 1000), 1000 * kExpandingRequestFactor);  // Fetch
  EXPECT_EQ(RequestMemoryCharge(18, 1000), 1000);                           // ApiVersions
  EXPECT_EQ(RequestMemoryCharge(-7, 1000), 1000);                           // unknown
}

TEST(RequestMemoryPoolTest, ConcurrentReserveAndReleaseNeverExceedTheBound) {
  RequestMemoryPool pool(1000);
  std::atomic<int64_t> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        uint64_t ticket = 0;
        std::atomic<bool> granted{false};
        if (!pool.Reserve(300, &ticket, [&] { granted = true; })) {
          while (!granted.load()) std::this_thread::yield();
        }
        int64_t now = pool.reserved();
        int64_t p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        pool.Release(300);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), 1000);
  EXPECT_EQ(pool.reserved(), 0);
  EXPECT_EQ(pool.waiting(), 0u);
}

}  // namespace
}  // namespace keel::server
