// Background log cleaner (see log_cleaner.h).
#include "keel/storage/log_cleaner.h"

#include <algorithm>
#include <chrono>

#include "keel/storage/logger.h"

namespace keel::storage {

LogCleaner::LogCleaner(LogCleanerOptions options)
    : options_(std::move(options)),
      logger_(options_.logger ? options_.logger : StorageLogger()) {}

LogCleaner::~LogCleaner() { Stop(); }

void LogCleaner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void LogCleaner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogCleaner::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

CleanerPassStats LogCleaner::RunPass() {
  std::lock_guard<std::mutex> pass_lock(pass_mu_);
  CleanerPassStats stats;
  const int64_t now = options_.clock_ms();
  struct Due {
    std::shared_ptr<Log> log;
    double ratio;
  };
  std::vector<Due> due;
  for (auto& log : options_.list_logs()) {
    CompactionCandidate c = log->CompactionState(now);
    if (c.due()) due.push_back({std::move(log), c.dirty_ratio()});
  }
  std::stable_sort(due.begin(), due.end(), [](const Due& a, const Due& b) { return a.ratio > b.ratio; });
  CompactionOptions copts;
  copts.dedupe_buffer_bytes = options_.dedupe_buffer_bytes;
  copts.cancelled = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  };
  for (const Due& d : due) {
    if (copts.cancelled()) break;
    absl::StatusOr<CompactionStats> r = d.log->Compact(copts);
    if (!r.ok()) {
      if (!absl::IsCancelled(r.status())) {
        logger_->warn("compaction of {} failed: {}", d.log->dir(), r.status().ToString());
        stats.logs_failed++;
      }
      continue;
    }
    if (!r->ran) continue;
    stats.logs_compacted++;
    stats.records_removed += r->records_removed;
    if (r->bytes_in > r->bytes_out) stats.bytes_reclaimed += r->bytes_in - r->bytes_out;
  }
  return stats;
}

void LogCleaner::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.backoff_ms),
                 [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    RunPass();
    lock.lock();
  }
}

}  // namespace keel::storage
