// Args: the command line of keel-admin as a bag of tokens that commands
// consume. Options may appear anywhere after the program name, as
// "--name value" or "--name=value"; what is left after all options are taken
// are the positional words, in order. Finish() rejects anything unconsumed.
//
// Every error is a usage error: absl::InvalidArgumentError (exit code 2).
// Thread-safety: none; plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel::cli {

class Args {
 public:
  explicit Args(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  // Removes every occurrence of the flag; true if there was one.
  bool Flag(const std::string& name);
  // The value of the last occurrence (all are removed); usage error if the
  // option is last with no value.
  absl::StatusOr<std::optional<std::string>> Value(const std::string& name);
  // Every value of a repeatable option, in order.
  absl::StatusOr<std::vector<std::string>> Values(const std::string& name);
  // An integer option with a default; usage error if not a number.
  absl::StatusOr<int64_t> Int(const std::string& name, int64_t default_value);
  // The next positional word (a token not starting with "--"), removed.
  std::optional<std::string> Positional();
  // Usage error naming the first token left, if any.
  absl::Status Finish() const;

 private:
  std::vector<std::string> tokens_;
};

absl::Status UsageError(const std::string& message);

// Parses a decimal int64; usage error naming `what` otherwise.
absl::StatusOr<int64_t> ParseInt(const std::string& text, const std::string& what);

}  // namespace keel::cli
