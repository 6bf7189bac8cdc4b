#include "keel/server/memory_pool.h"

#include <utility>
#include <vector>

namespace keel::server {

int64_t RequestMemoryCharge(int16_t api_key, int64_t frame_bytes) {
  switch (api_key) {
    case 0:   // Produce
    case 1:   // Fetch
    case 2:   // ListOffsets
    case 3:   // Metadata
    case 8:   // OffsetCommit
    case 9:   // OffsetFetch
    case 19:  // CreateTopics
    case 20:  // DeleteTopics
    case 21:  // DeleteRecords
    case 23:  // OffsetForLeaderEpoch
    case 24:  // AddPartitionsToTxn
    case 28:  // TxnOffsetCommit
    case 32:  // DescribeConfigs
    case 33:  // AlterConfigs
    case 37:  // CreatePartitions
    case 44:  // IncrementalAlterConfigs
    case 47:  // OffsetDelete
    case 61:  // DescribeProducers
      return frame_bytes * kExpandingRequestFactor;
    default:
      return frame_bytes;
  }
}

bool RequestMemoryPool::FitsLocked(int64_t bytes) const {
  if (capacity_ < 0) return true;
  // One oversized reservation may run alone; otherwise it would wait forever.
  return reserved_ == 0 || reserved_ + bytes <= capacity_;
}

void RequestMemoryPool::GrantFittingLocked(std::vector<GrantCallback>& granted) {
  while (!waiters_.empty() && FitsLocked(waiters_.front().bytes)) {
    reserved_ += waiters_.front().bytes;
    granted.push_back(std::move(waiters_.front().on_grant));
    waiters_.pop_front();
  }
}

bool RequestMemoryPool::Reserve(int64_t bytes, uint64_t* ticket, GrantCallback on_grant) {
  std::lock_guard lock(mu_);
  if (waiters_.empty() && FitsLocked(bytes)) {
    reserved_ += bytes;
    return true;
  }
  *ticket = next_ticket_++;
  ++pauses_;
  waiters_.push_back(Waiter{*ticket, bytes, std::move(on_grant)});
  return false;
}

bool RequestMemoryPool::Cancel(uint64_t ticket) {
  GrantCallback dropped;  // destroyed outside the lock (it may own a connection)
  std::vector<GrantCallback> granted;
  {
    std::lock_guard lock(mu_);
    bool found = false;
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->ticket != ticket) continue;
      dropped = std::move(it->on_grant);
      waiters_.erase(it);
      found = true;
      break;
    }
    if (!found) return false;
    // The withdrawn request may have been the head others queued behind.
    GrantFittingLocked(granted);
  }
  for (auto& g : granted) g();
  return true;
}

void RequestMemoryPool::Release(int64_t bytes) {
  std::vector<GrantCallback> granted;
  {
    std::lock_guard lock(mu_);
    reserved_ -= bytes;
    GrantFittingLocked(granted);
  }
  for (auto& g : granted) g();
}

int64_t RequestMemoryPool::reserved() const {
  std::lock_guard lock(mu_);
  return reserved_;
}

size_t RequestMemoryPool::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

uint64_t RequestMemoryPool::pause_count() const {
  std::lock_guard lock(mu_);
  return pauses_;
}

}  // namespace keel::server
