#include "keel/server/memory_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace keel::server {
namespace {

// Capacity 1600: requests up to 100 bytes are small (lane of 400), others
// draw on the large lane of 1600.
constexpr int64_t kCapacity = 1600;

TEST(RequestMemoryPoolTest, ReservesWhileThereIsRoomThenQueues) {
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  bool granted = false;
  EXPECT_TRUE(pool.Reserve(1000, &ticket, [] { FAIL() << "granted at once, no callback"; }));
  EXPECT_TRUE(pool.Reserve(600, &ticket, [] { FAIL() << "granted at once, no callback"; }));
  EXPECT_EQ(pool.reserved(), 1600);
  EXPECT_FALSE(pool.Reserve(200, &ticket, [&] { granted = true; }));
  EXPECT_EQ(pool.waiting(), 1u);
  EXPECT_EQ(pool.pause_count(), 1u);
  EXPECT_FALSE(granted);
  pool.Release(600);
  EXPECT_TRUE(granted) << "the release made room: the waiter is granted";
  EXPECT_EQ(pool.reserved(), 1200) << "the grant is charged on the waiter's behalf";
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST(RequestMemoryPoolTest, SmallRequestsHaveTheirOwnLaneWhileLargeOnesWait) {
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  ASSERT_TRUE(pool.Reserve(5000, &ticket, [] {}));  // oversized, running alone
  bool large_granted = false;
  EXPECT_FALSE(pool.Reserve(200, &ticket, [&] { large_granted = true; }));
  // An ordinary small request is served meanwhile, up to the small lane.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(pool.Reserve(100, &ticket, [] {})) << i;
  bool small_granted = false;
  EXPECT_FALSE(pool.Reserve(100, &ticket, [&] { small_granted = true; }))
      << "the small lane is bounded too (capacity/4)";
  pool.Release(100);
  EXPECT_TRUE(small_granted);
  EXPECT_FALSE(large_granted);
  pool.Release(5000);
  EXPECT_TRUE(large_granted);
  EXPECT_EQ(pool.reserved(), 400 + 200);
}

TEST(RequestMemoryPoolTest, FrameLargerThanThePoolRunsAloneOnly) {
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  EXPECT_TRUE(pool.Reserve(5000, &ticket, [] {})) << "an empty pool takes an oversized request";
  EXPECT_EQ(pool.reserved(), 5000);
  bool other_granted = false;
  EXPECT_FALSE(pool.Reserve(200, &ticket, [&] { other_granted = true; }));
  pool.Release(5000);
  EXPECT_TRUE(other_granted);

  bool big_granted = false;
  EXPECT_FALSE(pool.Reserve(5000, &ticket, [&] { big_granted = true; }))
      << "an oversized request waits while anything else holds the large lane";
  pool.Release(200);
  EXPECT_TRUE(big_granted) << "and runs once the lane is empty";
  EXPECT_EQ(pool.reserved(), 5000);
}

TEST(RequestMemoryPoolTest, WaitersAreServedInOrderAndNewcomersQueueBehindThem) {
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  ASSERT_TRUE(pool.Reserve(1600, &ticket, [] {}));
  std::vector<int> order;
  EXPECT_FALSE(pool.Reserve(1200, &ticket, [&] { order.push_back(1); }));
  EXPECT_FALSE(pool.Reserve(200, &ticket, [&] { order.push_back(2); }));
  // Room for 200 but not for the 1200 at the head: nobody jumps the queue.
  pool.Release(200);
  ASSERT_TRUE(pool.Reserve(200, &ticket, [] {}) == false);  // newcomer queues too
  EXPECT_TRUE(order.empty());
  pool.Release(1400);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(RequestMemoryPoolTest, CancelWithdrawsAQueuedRequestAndUnblocksThoseBehind) {
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  ASSERT_TRUE(pool.Reserve(800, &ticket, [] {}));
  uint64_t big = 0, other = 0;
  bool big_granted = false, other_granted = false;
  EXPECT_FALSE(pool.Reserve(1500, &big, [&] { big_granted = true; }));
  EXPECT_FALSE(pool.Reserve(300, &other, [&] { other_granted = true; }));
  EXPECT_TRUE(pool.Cancel(big));
  EXPECT_FALSE(big_granted);
  EXPECT_TRUE(other_granted) << "the head's withdrawal lets the next one in";
  EXPECT_EQ(pool.reserved(), 1100);
  EXPECT_FALSE(pool.Cancel(other)) << "already granted: the grantee owns the bytes";
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
  RequestMemoryPool pool(kCapacity);
  uint64_t ticket = 0;
  {
    ASSERT_TRUE(pool.Reserve(300, &ticket, [] {}));
    MemoryReservation a(&pool, 300);
    MemoryReservation b = std::move(a);
    EXPECT_EQ(pool.reserved(), 300);
    MemoryReservation c;
    c = std::move(b);
    EXPECT_EQ(pool.reserved(), 300);
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
  EXPECT_LE(peak.load(), 1000) << "300-byte requests all draw on the large lane";
  EXPECT_EQ(pool.reserved(), 0);
  EXPECT_EQ(pool.waiting(), 0u);
}

}  // namespace
}  // namespace keel::server
