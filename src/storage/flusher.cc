// Group-commit flusher thread (see flusher.h).
#include "keel/storage/flusher.h"

#include <algorithm>

#include "keel/storage/log.h"
#include "keel/storage/logger.h"

namespace keel::storage {

Flusher::Flusher(std::shared_ptr<spdlog::logger> logger, FlushObserver* observer, int threads)
    : logger_(logger ? std::move(logger) : StorageLogger()),
      observer_(observer),
      thread_count_(std::max(1, threads)) {}

Flusher::~Flusher() { Stop(); }

void Flusher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
}

void Flusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Flusher::MarkDirty(std::weak_ptr<Log> log) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    dirty_.push_back(std::move(log));
  }
  cv_.notify_one();
}

void Flusher::ScheduleFlush(std::weak_ptr<Log> log, std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    scheduled_.emplace(when, std::move(log));
  }
  cv_.notify_one();
}

uint64_t Flusher::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rounds_;
}

void Flusher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    auto due = [&] {
      return !scheduled_.empty() &&
             (stopping_ || scheduled_.begin()->first <= std::chrono::steady_clock::now());
    };
    while (!stopping_ && dirty_.empty() && !due()) {
      if (scheduled_.empty()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, scheduled_.begin()->first);
      }
    }
    std::weak_ptr<Log> weak;
    if (!dirty_.empty()) {
      weak = std::move(dirty_.front());
      dirty_.pop_front();
    } else if (due()) {
      weak = std::move(scheduled_.begin()->second);
      scheduled_.erase(scheduled_.begin());
    } else {
      break;  // stopping, and nothing left to flush
    }
    // More work queued: let another thread take it while this one syncs.
    if (!dirty_.empty() || due()) cv_.notify_one();
    lock.unlock();
    if (auto log = weak.lock()) {
      auto started = std::chrono::steady_clock::now();
      uint64_t batches = 0;
      absl::Status s = log->FlushRound(&batches);
      if (!s.ok()) logger_->error("flush of {} failed: {}", log->dir(), s.ToString());
      if (observer_ && s.ok()) observer_->OnLogFlushed(std::chrono::steady_clock::now() - started, batches);
    }
    lock.lock();
    rounds_++;
  }
}

}  // namespace keel::storage
