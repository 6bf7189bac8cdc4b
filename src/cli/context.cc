// Context: client, output and Kafka error naming (see context.h).
#include "cli/context.h"

#include <cstdio>

#include "fmt/format.h"
#include "keel/protocol/error_code.h"

namespace keel::cli {

absl::StatusOr<client::Client*> Context::Client() {
  if (!client_) {
    client::ConnectionOptions options;
    options.timeout = std::chrono::milliseconds(options_.timeout_ms);
    auto c = client::Client::Connect(options_.bootstrap, options);
    if (!c.ok()) {
      if (c.status().code() == absl::StatusCode::kInvalidArgument) return c.status();
      return absl::UnavailableError(
          fmt::format("cannot reach {}: {}", options_.bootstrap, c.status().ToString()));
    }
    client_ = std::move(*c);
  }
  return client_.get();
}

void Context::Emit(const Json& doc, const std::string& text) const {
  if (options_.json) {
    std::string out = DumpJson(doc);
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
}

absl::Status UsageError(const std::string& message) { return absl::InvalidArgumentError(message); }

std::string KafkaErrorName(int16_t code) {
  return std::string(protocol::ErrorName(protocol::ErrorCode(code)));
}

absl::Status KafkaError(const std::string& what, int16_t code,
                        const std::optional<std::string>& message) {
  if (code == 0) return absl::OkStatus();
  std::string text = fmt::format("{}: {} (Kafka error {})", what, KafkaErrorName(code), code);
  if (message && !message->empty()) text += fmt::format(": {}", *message);
  return absl::FailedPreconditionError(text);
}

}  // namespace keel::cli
