// The group-commit flusher: a few threads that share a queue of dirty logs;
// each takes one log at a time and calls Log::FlushRound() on it (fdatasync
// of every unsynced segment, HW advance, waiter completion).
//
// Several threads let the fdatasyncs of different partitions overlap: the
// file system then joins them into fewer journal commits and device flushes,
// instead of paying one full fsync latency per partition in turn. Rounds of
// one log never overlap (Log::FlushRound serializes them).
//
// Logs with fsync-before-ack call MarkDirty() on their first append after a
// round; the thread wakes immediately, so a burst of appends that arrives
// while an fsync is running is covered by the next single fsync. Logs with
// flush.ms call ScheduleFlush() with a deadline.
//
// Thread-safety: all methods are thread-safe. Logs are held weakly; a log
// destroyed before its round is skipped. Stop() runs a final round for
// everything already dirty, then joins; later requests are ignored.
//
// An optional FlushObserver (not owned; must outlive the Flusher) is told
// about each log flushed, on the flusher thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "spdlog/logger.h"

namespace keel::storage {

class Log;

// Sees every log flush of a round (for metrics). Called on the flusher
// thread; must be cheap and must not call back into the Flusher or the Log.
class FlushObserver {
 public:
  virtual ~FlushObserver() = default;
  // One Log::FlushRound: how long it took (fsyncs included) and how many
  // appended batches it made durable (0 for a round with nothing appended,
  // e.g. only a roll or a checkpoint).
  virtual void OnLogFlushed(std::chrono::nanoseconds took, uint64_t batches) = 0;
};

class Flusher {
 public:
  // `threads` (at least 1) flusher threads are started by Start().
  explicit Flusher(std::shared_ptr<spdlog::logger> logger = nullptr,
                   FlushObserver* observer = nullptr, int threads = 1);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void Start();
  void Stop();

  void MarkDirty(std::weak_ptr<Log> log);
  void ScheduleFlush(std::weak_ptr<Log> log, std::chrono::steady_clock::time_point when);

  // Completed log flushes (one Log::FlushRound each; for tests and metrics).
  uint64_t rounds() const;

 private:
  void Run();

  std::shared_ptr<spdlog::logger> logger_;
  FlushObserver* const observer_;
  const int thread_count_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<Log>> dirty_;
  std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<Log>> scheduled_;
  bool stopping_ = false;
  bool started_ = false;
  uint64_t rounds_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace keel::storage
