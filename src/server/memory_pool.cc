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

RequestMemoryPool::RequestMemoryPool(int64_t capacity) : capacity_(capacity) {
  small_.limit = capacity / 4;
  large_.limit = capacity;
}

bool RequestMemoryPool::FitsLocked(const Lane& lane, int64_t bytes) const {
  if (capacity_ < 0) return true;
  // One oversized reservation may run alone; otherwise it would wait forever.
  return lane.reserved == 0 || lane.reserved + bytes <= lane.limit;
}

void RequestMemoryPool::GrantFittingLocked(Lane& lane, std::vector<GrantCallback>& granted) {
  while (!lane.waiters.empty() && FitsLocked(lane, lane.waiters.front().bytes)) {
    lane.reserved += lane.waiters.front().bytes;
    granted.push_back(std::move(lane.waiters.front().on_grant));
    lane.waiters.pop_front();
  }
}

bool RequestMemoryPool::Reserve(int64_t bytes, uint64_t* ticket, GrantCallback on_grant) {
  std::lock_guard lock(mu_);
  Lane& lane = LaneFor(bytes);
  if (lane.waiters.empty() && FitsLocked(lane, bytes)) {
    lane.reserved += bytes;
    return true;
  }
  *ticket = next_ticket_++;
  ++pauses_;
  lane.waiters.push_back(Waiter{*ticket, bytes, std::move(on_grant)});
  return false;
}

bool RequestMemoryPool::Cancel(uint64_t ticket) {
  GrantCallback dropped;  // destroyed outside the lock (it may own a connection)
  std::vector<GrantCallback> granted;
  {
    std::lock_guard lock(mu_);
    Lane* found = nullptr;
    for (Lane* lane : {&small_, &large_}) {
      for (auto it = lane->waiters.begin(); it != lane->waiters.end(); ++it) {
        if (it->ticket != ticket) continue;
        dropped = std::move(it->on_grant);
        lane->waiters.erase(it);
        found = lane;
        break;
      }
      if (found) break;
    }
    if (!found) return false;
    // The withdrawn request may have been the head others queued behind.
    GrantFittingLocked(*found, granted);
  }
  for (auto& g : granted) g();
  return true;
}

void RequestMemoryPool::Release(int64_t bytes) {
  std::vector<GrantCallback> granted;
  {
    std::lock_guard lock(mu_);
    Lane& lane = LaneFor(bytes);
    lane.reserved -= bytes;
    GrantFittingLocked(lane, granted);
  }
  for (auto& g : granted) g();
}

int64_t RequestMemoryPool::reserved() const {
  std::lock_guard lock(mu_);
  return small_.reserved + large_.reserved;
}

size_t RequestMemoryPool::waiting() const {
  std::lock_guard lock(mu_);
  return small_.waiters.size() + large_.waiters.size();
}

uint64_t RequestMemoryPool::pause_count() const {
  std::lock_guard lock(mu_);
  return pauses_;
}

}  // namespace keel::server
