// Wakes long-polling fetches when a partition's high watermark advances.
//
// A fetch that has too little data registers a wake-up callback for the
// partitions it reads, then sleeps on a timer until max_wait_ms. Notify() (called
// from the storage flusher whenever a high watermark moves) runs and forgets
// every callback registered for that partition. Callbacks must be cheap and
// thread-safe (they post to the waiting coroutine's executor).
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "keel/common/types.h"

namespace keel::server {

class WatermarkWaiters {
 public:
  using Token = uint64_t;

  // Registers `wake` for every partition in `partitions`; returns a token for
  // Cancel(). `wake` runs at most once.
  Token Register(const std::vector<TopicPartition>& partitions, std::function<void()> wake);
  // Forgets a registration (the fetch finished by itself).
  void Cancel(Token token);
  // Runs and forgets every callback waiting on `tp`.
  void Notify(const TopicPartition& tp);

 private:
  struct Waiter {
    std::function<void()> wake;
    std::vector<TopicPartition> partitions;
  };
  std::mutex mu_;
  Token next_ = 1;
  absl::flat_hash_map<Token, Waiter> waiters_;
  absl::flat_hash_map<TopicPartition, std::vector<Token>> by_partition_;
};

}  // namespace keel::server
