// The log cleaner: a background thread that compacts the logs whose
// cleanup.policy includes compact, dirtiest first (Kafka's LogCleaner).
//
// Each pass asks `list_logs` for the current logs, keeps those whose
// CompactionState() is due (dirty ratio >= min.cleanable.dirty.ratio, dirty
// data older than max.compaction.lag.ms, or a kept tombstone whose
// delete.retention.ms passed) and runs Log::Compact on them in order of
// decreasing dirty ratio. Between passes it sleeps `backoff_ms` or until
// Wake(). A failed round is logged and retried on a later pass; a log that
// went offline is skipped by Log::Compact itself.
//
// Thread-safety: Start/Stop/Wake/RunPass may be called from any thread;
// RunPass is serialized with the background thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "keel/storage/log.h"
#include "spdlog/logger.h"

namespace keel::storage {

struct LogCleanerOptions {
  int64_t backoff_ms = 15000;                        // log.cleaner.backoff.ms
  size_t dedupe_buffer_bytes = size_t{128} << 20;    // log.cleaner.dedupe.buffer.size
  std::function<int64_t()> clock_ms;                 // wall clock ms
  std::function<std::vector<std::shared_ptr<Log>>()> list_logs;
  std::shared_ptr<spdlog::logger> logger;            // defaults to the storage logger
};

struct CleanerPassStats {
  int logs_compacted = 0;
  int logs_failed = 0;
  int64_t records_removed = 0;
  uint64_t bytes_reclaimed = 0;
};

class LogCleaner {
 public:
  explicit LogCleaner(LogCleanerOptions options);
  ~LogCleaner();  // Stop()

  LogCleaner(const LogCleaner&) = delete;
  LogCleaner& operator=(const LogCleaner&) = delete;

  void Start();
  // Cancels a running round at its next batch and joins the thread.
  void Stop();
  // Starts a pass now instead of after the backoff.
  void Wake();
  // One synchronous pass over the due logs (tests, admin).
  CleanerPassStats RunPass();

 private:
  void Run();

  LogCleanerOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex pass_mu_;  // serializes passes
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace keel::storage
