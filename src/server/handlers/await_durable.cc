#include "await_durable.h"

#include <optional>
#include <utility>

namespace keel::server {

Task<absl::Status> AwaitDurable(std::shared_ptr<storage::Log> log, Offset last_offset,
                                std::chrono::steady_clock::time_point deadline) {
  auto start = [log, last_offset](auto done) { log->WaitDurable(last_offset, std::move(done)); };
  std::optional<absl::Status> status =
      co_await AwaitCallbackUntil<absl::Status>(deadline, std::move(start));
  if (!status) co_return absl::DeadlineExceededError("timed out waiting for fsync");
  co_return std::move(*status);
}

}  // namespace keel::server
