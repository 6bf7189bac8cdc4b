// Shared fixture pieces for storage tests: a log in a temp dir with a fake
// clock, and batch helpers.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "keel/common/record_batch.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log.h"
#include "storage/counting_file_system.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage::testing {

inline std::vector<uint8_t> BatchAt(int records, int64_t timestamp, size_t value_size = 100,
                                    uint32_t seed = 1) {
  std::vector<keel::testutil::TestRecord> recs;
  for (int i = 0; i < records; ++i) {
    recs.push_back({std::string("k") + std::to_string(i),
                    std::string(value_size, char('a' + (seed + i) % 26)), {}, 0});
  }
  keel::testutil::BatchOptions o;
  o.base_timestamp = timestamp;
  return keel::testutil::BuildBatch(recs, o);
}

class LogFixture {
 public:
  LogFixture() : posix_(NewPosixFileSystem()), fs_(posix_.get()) {}

  std::string dir() const { return JoinPath(tmp_.str(), "topic-0"); }

  absl::StatusOr<std::shared_ptr<Log>> OpenLog(LogConfig config = {},
                                               std::shared_ptr<Flusher> flusher = nullptr) {
    LogOptions o;
    o.dir = dir();
    o.topic_partition = TopicPartition{"topic", PartitionId(0)};
    o.config = config;
    o.fs = &fs_;
    o.clock_ms = [this] { return now_ms.load(); };
    o.flusher = std::move(flusher);
    o.on_high_watermark = [this](const TopicPartition&, Offset hw) { last_hw_seen = hw.value; };
    return Log::Open(std::move(o));
  }

  // Appends and returns the stored (patched) bytes.
  std::vector<uint8_t> AppendOk(Log& log, std::vector<uint8_t> batch) {
    auto r = log.Append(batch);
    EXPECT_TRUE(r.ok()) << r.status();
    return batch;
  }

  absl::StatusOr<AppendResult> AppendTemp(Log& log, std::vector<uint8_t> batch) {
    return log.Append(batch);
  }

  std::vector<uint8_t> ReadAll(Log& log) {
    auto r = log.Read(log.log_start_offset(), 1 << 30, log.high_watermark());
    EXPECT_TRUE(r.ok()) << r.status();
    auto bytes = ReadBytes(r->slices);
    EXPECT_TRUE(bytes.ok());
    return *bytes;
  }

  keel::testutil::TempDir tmp_;
  std::unique_ptr<FileSystem> posix_;
  CountingFileSystem fs_;
  std::atomic<int64_t> now_ms{1700000000000};
  std::atomic<int64_t> last_hw_seen{-1};
};

}  // namespace keel::storage::testing
