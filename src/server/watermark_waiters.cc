#include "keel/server/watermark_waiters.h"

#include <algorithm>

namespace keel::server {

WatermarkWaiters::Token WatermarkWaiters::Register(const std::vector<TopicPartition>& partitions,
                                                   std::function<void()> wake) {
  std::lock_guard lock(mu_);
  Token t = next_++;
  for (const auto& tp : partitions) by_partition_[tp].push_back(t);
  waiters_.emplace(t, Waiter{std::move(wake), partitions});
  return t;
}

void WatermarkWaiters::Cancel(Token token) {
  std::lock_guard lock(mu_);
  auto it = waiters_.find(token);
  if (it == waiters_.end()) return;
  for (const auto& tp : it->second.partitions) {
    auto pit = by_partition_.find(tp);
    if (pit == by_partition_.end()) continue;
    auto& v = pit->second;
    v.erase(std::remove(v.begin(), v.end(), token), v.end());
    if (v.empty()) by_partition_.erase(pit);
  }
  waiters_.erase(it);
}

void WatermarkWaiters::Notify(const TopicPartition& tp) {
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard lock(mu_);
    auto pit = by_partition_.find(tp);
    if (pit == by_partition_.end()) return;
    std::vector<Token> tokens = std::move(pit->second);
    by_partition_.erase(pit);
    for (Token t : tokens) {
      auto it = waiters_.find(t);
      if (it == waiters_.end()) continue;
      for (const auto& other : it->second.partitions) {
        if (other == tp) continue;
        auto oit = by_partition_.find(other);
        if (oit == by_partition_.end()) continue;
        auto& v = oit->second;
        v.erase(std::remove(v.begin(), v.end(), t), v.end());
        if (v.empty()) by_partition_.erase(oit);
      }
      to_run.push_back(std::move(it->second.wake));
      waiters_.erase(it);
    }
  }
  for (auto& f : to_run) f();
}

}  // namespace keel::server
