// Log behaviour under injected I/O faults (SimFileSystem): EIO on fsync takes
// the log offline without acknowledging anything; ENOSPC fails the append,
// leaves what was written intact and readable, and appends resume once space
// returns.
#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "counting_file_system.h"
#include "gtest/gtest.h"
#include "keel/storage/log.h"
#include "spdlog/sinks/null_sink.h"
#include "testutil/batch_builder.h"
#include "testutil/sim_file_system.h"

namespace keel::storage {
namespace {

using keel::testing::SimFaults;
using keel::testing::SimFileSystem;

class LogFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDir("/data").ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
  }

  std::shared_ptr<Log> Open(LogConfig config = {}) {
    LogOptions o;
    o.dir = "/data/t-0";
    o.config = config;
    o.fs = &fs_;
    o.clock_ms = [this] { return now_; };
    o.logger = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
    o.on_offline = [this](const TopicPartition&, const absl::Status& s) {
      offline_notices_++;
      last_notice_ = s;
    };
    auto log = Log::Open(std::move(o));
    EXPECT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE(fs_.SyncDir("/data").ok());
    return log.ok() ? *log : nullptr;
  }

  // Appends one batch; returns its bytes as written (offsets assigned).
  absl::StatusOr<std::vector<uint8_t>> AppendBatch(Log& log, int records, size_t value_size) {
    std::vector<uint8_t> b = testutil::BuildSimpleBatch(records, value_size, uint32_t(now_));
    auto r = log.Append(b);
    if (!r.ok()) return r.status();
    return b;
  }

  static std::vector<uint8_t> ReadAll(Log& log) {
    auto r = log.Read(log.log_start_offset(), 1 << 24, log.log_end_offset());
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    auto bytes = ReadBytes(r->slices);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? *bytes : std::vector<uint8_t>{};
  }

  SimFileSystem fs_{42};
  int64_t now_ = 1700000000000;
  int offline_notices_ = 0;
  absl::Status last_notice_;
};

TEST_F(LogFaultTest, FsyncEioFailsPendingAndLaterWaitsAndAppends) {
  auto log = Open();
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(AppendBatch(*log, 2, 50).ok());
  std::optional<absl::Status> pending;
  log->WaitDurable(Offset(4), [&](absl::Status s) { pending = s; });
  ASSERT_FALSE(pending.has_value());

  fs_.FailNextDataSyncs(1);
  EXPECT_FALSE(log->FlushRound().ok());
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(absl::IsUnavailable(*pending)) << *pending;
  EXPECT_EQ(log->high_watermark(), Offset(3));  // nothing after the failed fsync is acknowledged
  EXPECT_TRUE(log->offline());
  EXPECT_EQ(offline_notices_, 1);

  // A later fsync would succeed, but the log never retries and never acks.
  std::optional<absl::Status> later;
  log->WaitDurable(Offset(4), [&](absl::Status s) { later = s; });
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(absl::IsUnavailable(*later));
  EXPECT_TRUE(absl::IsUnavailable(AppendBatch(*log, 1, 10).status()));
  EXPECT_TRUE(absl::IsUnavailable(log->Read(Offset(0), 1000, Offset(3)).status()));
  EXPECT_TRUE(absl::IsUnavailable(log->Flush()));
  EXPECT_EQ(log->high_watermark(), Offset(3));
  EXPECT_EQ(offline_notices_, 1);
}

TEST_F(LogFaultTest, FsyncEioPagesAreLostButAcknowledgedDataSurvivesPowerCut) {
  auto log = Open();
  auto first = AppendBatch(*log, 3, 50);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(AppendBatch(*log, 2, 50).ok());
  fs_.FailNextDataSyncs(1);
  EXPECT_FALSE(log->Flush().ok());
  log.reset();
  fs_.PowerCut();
  log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->offline());
  EXPECT_GE(log->log_end_offset(), Offset(3));
  std::vector<uint8_t> all = ReadAll(*log);
  ASSERT_GE(all.size(), first->size());
  EXPECT_TRUE(std::equal(first->begin(), first->end(), all.begin()));
  EXPECT_TRUE(AppendBatch(*log, 1, 10).ok());
}

// A flush round fails with EIO while Close() is already waiting to flush:
// Close must fail (and write no clean-shutdown marker) instead of finding
// nothing left to sync and declaring the lost data synced.
TEST_F(LogFaultTest, FsyncEioOfAFlushRacingCloseFailsTheClose) {
  storage::testing::CountingFileSystem counting(&fs_);
  LogOptions o;
  o.dir = "/data/t-0";
  o.fs = &counting;
  o.clock_ms = [this] { return now_; };
  o.logger = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto opened = Log::Open(std::move(o));
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<Log> log = *opened;
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());

  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<bool> first{true};
  counting.before_data_sync = [&] {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();
    }
  };
  fs_.FailNextDataSyncs(1);
  absl::Status round;
  std::thread flusher([&] { round = log->FlushRound(); });
  entered.get_future().wait();
  absl::Status closed;
  std::thread closer([&] { closed = log->Close(); });
  // Let Close() mark the log closing and queue behind the round (either
  // order must end with a failed Close).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  flusher.join();
  closer.join();
  EXPECT_FALSE(round.ok());
  EXPECT_FALSE(closed.ok()) << "Close reported success after the data's fsync failed";
  EXPECT_FALSE(fs_.Exists("/data/t-0/clean_shutdown").value_or(true));
}

// Opens /data/t-0 through `counting` (so a test can hold a data sync).
std::shared_ptr<Log> OpenCounting(storage::testing::CountingFileSystem& counting, int64_t* now) {
  LogOptions o;
  o.dir = "/data/t-0";
  o.fs = &counting;
  o.clock_ms = [now] { return *now; };
  o.logger = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto opened = Log::Open(std::move(o));
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *opened : nullptr;
}

// Holds the first data sync made through `counting` until Release().
class HeldSync {
 public:
  explicit HeldSync(storage::testing::CountingFileSystem& counting) {
    counting.before_data_sync = [this] {
      if (first_.exchange(false)) {
        entered_.set_value();
        released_.wait();
      }
    };
  }
  void WaitEntered() { entered_.get_future().wait(); }
  void Release() { release_.set_value(); }

 private:
  std::promise<void> entered_, release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::atomic<bool> first_{true};
};

// Another path (here a checkpoint's directory fsync) fails while a flush
// round is in its fsync. The round's fsync then succeeds, but after any I/O
// error Linux may report success over lost pages (the error goes to one
// fsync only): the round must not advance the high watermark.
TEST_F(LogFaultTest, FlushRoundAcknowledgesNothingAfterAnErrorDuringIt) {
  storage::testing::CountingFileSystem counting(&fs_);
  std::shared_ptr<Log> log = OpenCounting(counting, &now_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(AppendBatch(*log, 2, 50).ok());
  std::optional<absl::Status> waiter;
  log->WaitDurable(Offset(4), [&](absl::Status s) { waiter = s; });

  HeldSync held(counting);
  absl::Status round;
  std::thread flusher([&] { round = log->FlushRound(); });
  held.WaitEntered();
  fs_.FailNextDirSyncs(1);
  EXPECT_FALSE(log->DeleteRecordsBefore(Offset(1)).ok());
  EXPECT_TRUE(log->offline());
  held.Release();
  flusher.join();

  EXPECT_FALSE(round.ok()) << "a flush round trusted an fsync made after an I/O error";
  EXPECT_EQ(log->high_watermark(), Offset(3));
  ASSERT_TRUE(waiter.has_value());
  EXPECT_FALSE(waiter->ok());
}

// A checkpoint's directory fsync fails, and its thread has not yet reacted
// when a flush round's fsyncs succeed (Linux reports the error to the failed
// fsync only). The round must wait for that report and acknowledge nothing.
TEST_F(LogFaultTest, FlushRoundWaitsForAnUnreportedSideFsync) {
  storage::testing::CountingFileSystem counting(&fs_);
  std::shared_ptr<Log> log = OpenCounting(counting, &now_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(AppendBatch(*log, 2, 50).ok());
  std::optional<absl::Status> waiter;
  log->WaitDurable(Offset(4), [&](absl::Status s) { waiter = s; });

  std::promise<void> failed_entered, release;
  auto released = release.get_future().share();
  std::atomic<bool> first{true};
  counting.after_sync_dir = [&](const absl::Status& s) {
    if (!s.ok() && first.exchange(false)) {
      failed_entered.set_value();
      released.wait();
    }
  };
  fs_.FailNextDirSyncs(1);
  absl::StatusOr<Offset> deleted;
  std::thread side([&] { deleted = log->DeleteRecordsBefore(Offset(1)); });
  failed_entered.get_future().wait();  // failed in the "kernel", not yet reported
  std::atomic<bool> round_done{false};
  absl::Status round;
  std::thread flusher([&] {
    round = log->FlushRound();
    round_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(round_done.load()) << "the round recorded its result before the side fsync reported";
  release.set_value();
  side.join();
  flusher.join();

  EXPECT_FALSE(deleted.ok());
  EXPECT_TRUE(log->offline());
  EXPECT_FALSE(round.ok());
  EXPECT_EQ(log->high_watermark(), Offset(3));
  ASSERT_TRUE(waiter.has_value());
  EXPECT_FALSE(waiter->ok());
}

// A roll waits for a flush round that is syncing the old segment instead of
// fsyncing it alongside: if the round's fsync fails, the roll must not go on
// (a new segment after lost data would leave a hole after a power cut).
TEST_F(LogFaultTest, RollWaitsForAnInFlightFlushOfTheOldSegment) {
  storage::testing::CountingFileSystem counting(&fs_);
  std::shared_ptr<Log> log = OpenCounting(counting, &now_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());

  HeldSync held(counting);
  absl::Status round;
  std::thread flusher([&] { round = log->FlushRound(); });
  held.WaitEntered();
  std::atomic<bool> rolled{false};
  absl::Status roll;
  std::thread roller([&] {
    roll = log->Roll();
    rolled = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(rolled.load()) << "the roll did not wait for the in-flight flush round";
  fs_.FailNextDataSyncs(1, ".log");  // the round's fsync of the segment fails
  held.Release();
  flusher.join();
  roller.join();

  EXPECT_FALSE(round.ok());
  EXPECT_FALSE(roll.ok()) << "rolled after the old segment's fsync failed";
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->high_watermark(), Offset(0));
  EXPECT_FALSE(fs_.Exists("/data/t-0/00000000000000000003.log").value_or(true));
}

TEST_F(LogFaultTest, DirectoryFsyncEioOnCheckpointTakesLogOffline) {
  auto log = Open();
  ASSERT_TRUE(AppendBatch(*log, 3, 50).ok());
  ASSERT_TRUE(log->Flush().ok());
  // The failed directory fsync may have dropped any unsynced entry of the
  // directory (a new segment's, say): nothing can be trusted any more.
  fs_.FailNextDirSyncs(1);
  EXPECT_FALSE(log->DeleteRecordsBefore(Offset(1)).ok());
  EXPECT_TRUE(log->offline());
  EXPECT_EQ(offline_notices_, 1);
  EXPECT_TRUE(absl::IsUnavailable(AppendBatch(*log, 1, 10).status()));
}

TEST_F(LogFaultTest, TakeOfflineFailsAppendsAndReadsWithoutNotice) {
  auto log = Open();
  ASSERT_TRUE(AppendBatch(*log, 1, 10).ok());
  log->TakeOffline(absl::InternalError("sibling failed"));
  EXPECT_TRUE(log->offline());
  EXPECT_TRUE(absl::IsUnavailable(AppendBatch(*log, 1, 10).status()));
  EXPECT_TRUE(absl::IsUnavailable(log->Read(Offset(0), 100, Offset(1)).status()));
  EXPECT_EQ(offline_notices_, 0);
}

TEST_F(LogFaultTest, EnospcFailsAppendKeepsLogReadableAndResumes) {
  auto log = Open();
  auto first = AppendBatch(*log, 5, 100);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(log->Flush().ok());
  uint64_t size_before = log->size_bytes();

  SimFaults f;
  f.capacity_bytes = fs_.used_bytes() + 200;  // room for part of the next batch only
  fs_.SetFaults(f);
  auto full = AppendBatch(*log, 10, 100);
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  EXPECT_FALSE(log->offline());
  EXPECT_EQ(offline_notices_, 0);
  EXPECT_EQ(log->log_end_offset(), Offset(5));
  EXPECT_EQ(log->size_bytes(), size_before);
  EXPECT_EQ(ReadAll(*log), *first);  // the partial tail is gone, earlier data intact

  fs_.SetFaults({});
  auto second = AppendBatch(*log, 10, 100);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->high_watermark(), Offset(15));

  log.reset();
  fs_.PowerCut();
  log = Open();
  std::vector<uint8_t> want = *first;
  want.insert(want.end(), second->begin(), second->end());
  EXPECT_EQ(ReadAll(*log), want);
}

TEST_F(LogFaultTest, EnospcOnSegmentRollKeepsLogOnline) {
  LogConfig config;
  config.segment_bytes = 2048;
  config.preallocate_bytes = 2048;
  auto log = Open(config);
  std::vector<uint8_t> want;
  while (log->segment_count() == 1) {
    auto b = AppendBatch(*log, 4, 100);
    ASSERT_TRUE(b.ok());
    want.insert(want.end(), b->begin(), b->end());
    if (log->size_bytes() + b->size() > 2048) break;  // the next such batch rolls
  }
  ASSERT_TRUE(log->Flush().ok());
  SimFaults f;
  f.capacity_bytes = fs_.used_bytes();  // the next segment cannot be preallocated
  fs_.SetFaults(f);
  auto full = AppendBatch(*log, 4, 100);
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  EXPECT_FALSE(log->offline());
  EXPECT_EQ(ReadAll(*log), want);

  fs_.SetFaults({});
  auto next = AppendBatch(*log, 4, 100);
  ASSERT_TRUE(next.ok()) << next.status();
  want.insert(want.end(), next->begin(), next->end());
  EXPECT_EQ(log->segment_count(), 2u);
  ASSERT_TRUE(log->Flush().ok());
  log.reset();
  fs_.PowerCut();
  log = Open(config);
  EXPECT_EQ(ReadAll(*log), want);
}

}  // namespace
}  // namespace keel::storage
