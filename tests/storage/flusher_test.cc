#include "keel/storage/flusher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::BatchAt;

class FlusherTest : public ::testing::Test, public testing::LogFixture {
 protected:
  void SetUp() override { flusher_->Start(); }
  void TearDown() override { flusher_->Stop(); }

  absl::Status WaitFor(Log& log, Offset last) {
    std::promise<absl::Status> p;
    auto f = p.get_future();
    log.WaitDurable(last, [&p](absl::Status s) { p.set_value(s); });
    return f.get();
  }

  std::shared_ptr<Flusher> flusher_ = std::make_shared<Flusher>();
};

TEST_F(FlusherTest, WaitDurableCompletesAfterFsync) {
  auto log = *OpenLog({}, flusher_);
  int syncs_before = fs_.data_syncs;
  auto r = AppendTemp(*log, BatchAt(3, now_ms));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(WaitFor(*log, r->last_offset).ok());
  EXPECT_GT(fs_.data_syncs, syncs_before);
  EXPECT_EQ(log->high_watermark().value, 3);
  EXPECT_EQ(last_hw_seen, 3);
}

TEST_F(FlusherTest, WaitDurableOnDurableOffsetRunsInline) {
  auto log = *OpenLog({}, flusher_);
  auto r = AppendTemp(*log, BatchAt(1, now_ms));
  ASSERT_TRUE(WaitFor(*log, r->last_offset).ok());
  bool ran = false;
  log->WaitDurable(r->last_offset, [&](absl::Status s) { ran = s.ok(); });
  EXPECT_TRUE(ran);
}

TEST_F(FlusherTest, GroupCommitCoversManyAppendsWithFewFsyncs) {
  auto log = *OpenLog({}, flusher_);
  // Hold the first fsync until every append below has been written, so the
  // next round must cover all of them at once.
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> first{true};
  fs_.before_data_sync = [&] {
    if (first.exchange(false)) {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return release; });
    }
  };
  int syncs_before = fs_.data_syncs;
  constexpr int kThreads = 4, kPerThread = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  std::vector<std::promise<void>> done(kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto b = BatchAt(1, now_ms, 64, uint32_t(i));
        auto r = log->Append(b);
        ASSERT_TRUE(r.ok());
        log->WaitDurable(r->last_offset, [&, idx = t * kPerThread + i](absl::Status s) {
          if (s.ok()) ok++;
          done[size_t(idx)].set_value();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  for (auto& d : done) d.get_future().wait();
  EXPECT_EQ(ok, kThreads * kPerThread);
  EXPECT_EQ(log->high_watermark().value, kThreads * kPerThread);
  EXPECT_LE(fs_.data_syncs - syncs_before, 3) << "appends were not group-committed";
}

TEST_F(FlusherTest, FsyncFailureFailsWaitersAndTakesLogOffline) {
  auto log = *OpenLog({}, flusher_);
  auto r1 = AppendTemp(*log, BatchAt(1, now_ms));
  ASSERT_TRUE(WaitFor(*log, r1->last_offset).ok());
  fs_.fail_data_sync = true;
  auto r2 = AppendTemp(*log, BatchAt(1, now_ms));
  ASSERT_TRUE(r2.ok());
  absl::Status s = WaitFor(*log, r2->last_offset);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(log->offline());
  EXPECT_EQ(log->high_watermark().value, 1);
  fs_.fail_data_sync = false;
  EXPECT_TRUE(absl::IsUnavailable(AppendTemp(*log, BatchAt(1, now_ms)).status()));
  EXPECT_FALSE(WaitFor(*log, r2->last_offset).ok());
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_EQ(log->high_watermark().value, 1);
}

TEST_F(FlusherTest, FlushMsAdvancesHighWatermarkAtWriteAndSyncsLater) {
  LogConfig c;
  c.flush_ms = 20;
  auto log = *OpenLog(c, flusher_);
  int syncs_before = fs_.data_syncs;
  auto r = AppendTemp(*log, BatchAt(2, now_ms));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(log->high_watermark().value, 2);
  EXPECT_EQ(last_hw_seen, 2);
  bool ran = false;
  log->WaitDurable(r->last_offset, [&](absl::Status s) { ran = s.ok(); });
  EXPECT_TRUE(ran);
  for (int i = 0; i < 500 && fs_.data_syncs == syncs_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(fs_.data_syncs, syncs_before);
}

TEST_F(FlusherTest, StopRunsFinalRoundForDirtyLogs) {
  auto log = *OpenLog({}, flusher_);
  std::atomic<bool> done{false};
  auto r = AppendTemp(*log, BatchAt(1, now_ms));
  log->WaitDurable(r->last_offset, [&](absl::Status s) { done = s.ok(); });
  flusher_->Stop();
  EXPECT_TRUE(done);
}

// With several threads the fsyncs of different logs run at the same time:
// each fsync below waits until all four are in progress, which one thread
// could never reach.
TEST_F(FlusherTest, SeveralThreadsOverlapFsyncsOfDifferentLogs) {
  constexpr int kLogs = 4;
  auto flusher = std::make_shared<Flusher>(nullptr, nullptr, kLogs);
  flusher->Start();
  std::vector<std::shared_ptr<Log>> logs;
  for (int i = 0; i < kLogs; ++i) {
    LogOptions o;
    o.dir = JoinPath(tmp_.str(), "t-" + std::to_string(i));
    o.topic_partition = TopicPartition{"t", PartitionId(i)};
    o.fs = &fs_;
    o.clock_ms = [this] { return now_ms.load(); };
    o.flusher = flusher;
    auto log = Log::Open(std::move(o));
    ASSERT_TRUE(log.ok()) << log.status();
    logs.push_back(*log);
  }
  std::mutex m;
  std::condition_variable cv;
  int inside = 0, most_inside = 0;
  fs_.before_data_sync = [&] {
    std::unique_lock<std::mutex> lock(m);
    most_inside = std::max(most_inside, ++inside);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return most_inside >= kLogs; });
    --inside;
  };
  std::vector<std::promise<absl::Status>> done(kLogs);
  for (int i = 0; i < kLogs; ++i) {
    auto r = AppendTemp(*logs[size_t(i)], BatchAt(2, now_ms));
    ASSERT_TRUE(r.ok());
    logs[size_t(i)]->WaitDurable(r->last_offset,
                                 [&done, i](absl::Status s) { done[size_t(i)].set_value(s); });
  }
  for (auto& d : done) EXPECT_TRUE(d.get_future().get().ok());
  EXPECT_EQ(most_inside, kLogs);
  fs_.before_data_sync = nullptr;
  flusher->Stop();
  for (auto& log : logs) EXPECT_EQ(log->high_watermark().value, 2);
}

class RecordingObserver : public FlushObserver {
 public:
  void OnLogFlushed(std::chrono::nanoseconds took, uint64_t batches) override {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GE(took.count(), 0);
    seen.push_back(batches);
  }
  std::mutex mu;
  std::vector<uint64_t> seen;
};

TEST_F(FlusherTest, ObserverSeesTheBatchesEachFlushMadeDurable) {
  RecordingObserver observer;
  auto flusher = std::make_shared<Flusher>(nullptr, &observer);
  flusher->Start();
  auto log = *OpenLog({}, flusher);
  // Hold the first fsync so the three appends below share the next one.
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool held = false;
  std::atomic<bool> first{true};
  fs_.before_data_sync = [&] {
    if (first.exchange(false)) {
      std::unique_lock<std::mutex> lock(m);
      held = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
  };
  std::vector<std::future<absl::Status>> waits;
  for (int i = 0; i < 4; ++i) {
    auto r = AppendTemp(*log, BatchAt(2, now_ms));
    ASSERT_TRUE(r.ok());
    auto p = std::make_shared<std::promise<absl::Status>>();
    waits.push_back(p->get_future());
    log->WaitDurable(r->last_offset, [p](absl::Status st) { p->set_value(st); });
    if (i == 0) {
      // The other three appends must come after the first round took its
      // batch, or that round could cover two of them.
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return held; });
    }
  }
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  for (auto& w : waits) EXPECT_TRUE(w.get().ok());
  flusher->Stop();  // the observer runs after the waiters: join before reading
  std::lock_guard<std::mutex> lock(observer.mu);
  uint64_t total = 0, most = 0;
  for (uint64_t b : observer.seen) {
    total += b;
    most = std::max(most, b);
  }
  EXPECT_EQ(total, 4u);
  EXPECT_GE(most, 3u) << "the held fsync should make the next flush cover three batches";
}

}  // namespace
}  // namespace keel::storage
