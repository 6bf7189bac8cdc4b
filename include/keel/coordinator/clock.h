// The time source of the coordinator: wall-clock milliseconds, injected so
// tests drive time by hand. Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace keel::coordinator {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// std::chrono::system_clock in ms (record timestamps are wall-clock).
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace keel::coordinator
