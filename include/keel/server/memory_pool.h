// A broker-wide byte budget for requests read but not yet answered
// (queued.max.request.bytes).
//
// A connection reserves a request's cost after reading its size prefix and
// before allocating the frame, and releases it once the response is written
// (or the connection is gone). When the pool lacks room the connection stops
// reading until enough is released; nothing blocks a thread.
//
// Two lanes, so ordinary clients keep being served while huge requests
// queue: a "small" request (charge <= capacity/16) draws on a lane of
// capacity/4, every other request on a lane of capacity. Each lane is first
// come, first served: once someone waits in a lane, newcomers of that lane
// queue behind it (a large request is not starved by a stream of others).
//
// Promises:
// - reserved() never exceeds capacity() * 5/4, except for one reservation
//   larger than the whole pool, granted only while nothing else holds the
//   large lane (so a frame allowed by socket.request.max.bytes but above the
//   pool still runs, alone, instead of waiting forever).
// - A queued reservation's callback runs exactly once, after the bytes have
//   been reserved on its behalf, on the thread calling Release() or Cancel(),
//   outside the pool's lock; or never, if Cancel() withdrew it first.
// - capacity < 0 means unbounded: every Reserve succeeds at once (reserved()
//   is still tracked for the gauge).
// Thread-safety: every method is thread-safe. Ownership: the pool must
// outlive every Reservation and queued callback (the Server owns it).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace keel::server {

class RequestMemoryPool {
 public:
  using GrantCallback = std::function<void()>;

  explicit RequestMemoryPool(int64_t capacity);
  RequestMemoryPool(const RequestMemoryPool&) = delete;
  RequestMemoryPool& operator=(const RequestMemoryPool&) = delete;

  // Reserves `bytes` (> 0) now and returns true, or queues the request,
  // stores its ticket in `*ticket`, counts a pause and returns false; then
  // `on_grant` runs once the bytes are reserved.
  bool Reserve(int64_t bytes, uint64_t* ticket, GrantCallback on_grant);
  // Withdraws a queued request. True if it was still queued (nothing was
  // reserved and its callback will not run); false if it was already
  // granted (the grantee owns the bytes and must release them).
  bool Cancel(uint64_t ticket);
  // Returns bytes reserved earlier (the same amount Reserve took), and grants
  // queued requests that now fit.
  void Release(int64_t bytes);
  // True if a reservation of `bytes` draws on the small lane.
  bool IsSmall(int64_t bytes) const { return capacity_ >= 0 && bytes * 16 <= capacity_; }

  int64_t capacity() const { return capacity_; }
  bool bounded() const { return capacity_ >= 0; }
  int64_t reserved() const;
  // Requests currently queued.
  size_t waiting() const;
  // Reserve calls that had to wait (the connection stopped reading).
  uint64_t pause_count() const;

 private:
  struct Waiter {
    uint64_t ticket;
    int64_t bytes;
    GrantCallback on_grant;
  };
  struct Lane {
    int64_t limit = 0;
    int64_t reserved = 0;
    std::deque<Waiter> waiters;
  };
  Lane& LaneFor(int64_t bytes) { return IsSmall(bytes) ? small_ : large_; }
  bool FitsLocked(const Lane& lane, int64_t bytes) const;
  // Reserves for the queued requests at the head of `lane` that now fit.
  void GrantFittingLocked(Lane& lane, std::vector<GrantCallback>& granted);

  const int64_t capacity_;
  mutable std::mutex mu_;
  Lane small_;
  Lane large_;
  uint64_t next_ticket_ = 1;
  uint64_t pauses_ = 0;
};

// What a request frame of `frame_bytes` for `api_key` is charged: the frame
// itself, times kExpandingRequestFactor for the APIs whose requests list
// topics or partitions (Produce, Fetch, ListOffsets, Metadata, offset and
// transaction APIs, topic admin...), because decoding turns every few wire
// bytes of such a list into a struct of tens of bytes (a 34 MB Produce naming
// 200k partitions decodes into hundreds of MiB). The response and other
// transient allocations are not measured; the factor is meant to cover them.
inline constexpr int64_t kExpandingRequestFactor = 8;
int64_t RequestMemoryCharge(int16_t api_key, int64_t frame_bytes);

// Owns bytes reserved from a pool and returns them when destroyed. Movable.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  MemoryReservation(RequestMemoryPool* pool, int64_t bytes) : pool_(pool), bytes_(bytes) {}
  MemoryReservation(MemoryReservation&& o) noexcept : pool_(o.pool_), bytes_(o.bytes_) {
    o.pool_ = nullptr;
    o.bytes_ = 0;
  }
  MemoryReservation& operator=(MemoryReservation&& o) noexcept {
    if (this != &o) {
      Reset();
      pool_ = o.pool_;
      bytes_ = o.bytes_;
      o.pool_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  ~MemoryReservation() { Reset(); }

  int64_t bytes() const { return bytes_; }
  void Reset() {
    if (pool_ != nullptr && bytes_ > 0) pool_->Release(bytes_);
    pool_ = nullptr;
    bytes_ = 0;
  }

 private:
  RequestMemoryPool* pool_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace keel::server
