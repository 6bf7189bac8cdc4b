// Suspends a coroutine until a log has made an offset durable (its high
// watermark passed it), the log failed, or a deadline passed.
//
// The storage flusher completes waiters on its own thread; this re-posts the
// result to the waiting coroutine's executor, so no thread blocks per waiter.
#pragma once

#include <chrono>
#include <memory>

#include "absl/status/status.h"
#include "keel/server/net.h"
#include "keel/storage/log.h"

namespace keel::server {

// Ok once durable; the log's error if it failed; DeadlineExceeded at `deadline`.
Task<absl::Status> AwaitDurable(std::shared_ptr<storage::Log> log, Offset last_offset,
                                std::chrono::steady_clock::time_point deadline);

}  // namespace keel::server
