// What every keel-admin command shares: the global options, the (lazily
// opened) client, output in the chosen format, and the conversion of Kafka
// error codes into errors that name them.
//
// Exit codes: 0 success, 1 an error (Kafka error, I/O, damage found), 2 a
// usage error (absl::InvalidArgumentError from parsing).
// Thread-safety: none; one per process.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/output.h"
#include "keel/client/client.h"

namespace keel::cli {

struct GlobalOptions {
  std::string bootstrap = "127.0.0.1:9092";
  bool json = false;
  int64_t timeout_ms = 30000;
};

class Context {
 public:
  explicit Context(GlobalOptions options) : options_(std::move(options)) {}

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }

  // Connects on first use.
  absl::StatusOr<client::Client*> Client();

  // Prints `doc` (with --json) or `text` to stdout.
  void Emit(const Json& doc, const std::string& text) const;

 private:
  GlobalOptions options_;
  std::unique_ptr<client::Client> client_;
};

// OK for code 0; otherwise FailedPrecondition "<what>: <KAFKA_ERROR_NAME>"
// plus the broker's message when it sent one.
absl::Status KafkaError(const std::string& what, int16_t code,
                        const std::optional<std::string>& message = std::nullopt);

// "UNKNOWN_TOPIC_OR_PARTITION" for 3.
std::string KafkaErrorName(int16_t code);

// A usage error (exit code 2) found after parsing, e.g. a malformed k=v.
absl::Status UsageError(const std::string& message);

}  // namespace keel::cli
