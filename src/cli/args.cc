// Command-line token handling (see args.h).
#include "cli/args.h"

#include "absl/strings/numbers.h"
#include "fmt/format.h"

namespace keel::cli {

absl::Status UsageError(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::StatusOr<int64_t> ParseInt(const std::string& text, const std::string& what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return UsageError(fmt::format("{} must be an integer, got '{}'", what, text));
  }
  return v;
}

bool Args::Flag(const std::string& name) {
  bool found = false;
  for (size_t i = 0; i < tokens_.size();) {
    if (tokens_[i] == name) {
      tokens_.erase(tokens_.begin() + long(i));
      found = true;
    } else {
      ++i;
    }
  }
  return found;
}

absl::StatusOr<std::vector<std::string>> Args::Values(const std::string& name) {
  std::vector<std::string> values;
  for (size_t i = 0; i < tokens_.size();) {
    const std::string& t = tokens_[i];
    if (t == name) {
      if (i + 1 >= tokens_.size()) return UsageError(fmt::format("{} needs a value", name));
      values.push_back(tokens_[i + 1]);
      tokens_.erase(tokens_.begin() + long(i), tokens_.begin() + long(i) + 2);
    } else if (t.size() > name.size() && t.compare(0, name.size(), name) == 0 &&
               t[name.size()] == '=') {
      values.push_back(t.substr(name.size() + 1));
      tokens_.erase(tokens_.begin() + long(i));
    } else {
      ++i;
    }
  }
  return values;
}

absl::StatusOr<std::optional<std::string>> Args::Value(const std::string& name) {
  auto values = Values(name);
  if (!values.ok()) return values.status();
  if (values->empty()) return std::optional<std::string>();
  return std::optional<std::string>(values->back());
}

absl::StatusOr<int64_t> Args::Int(const std::string& name, int64_t default_value) {
  auto v = Value(name);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return default_value;
  return ParseInt(**v, name);
}

std::optional<std::string> Args::Positional() {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].rfind("--", 0) != 0) {
      std::string word = tokens_[i];
      tokens_.erase(tokens_.begin() + long(i));
      return word;
    }
  }
  return std::nullopt;
}

absl::Status Args::Finish() const {
  if (tokens_.empty()) return absl::OkStatus();
  return UsageError(fmt::format("unexpected argument '{}'", tokens_.front()));
}

}  // namespace keel::cli
