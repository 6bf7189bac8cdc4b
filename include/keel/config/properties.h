// Kafka-style .properties parsing: `key=value` or `key: value` lines, `#` and
// `!` comments, blank lines ignored, trailing `\` continues a line.
//
// Parsing is purely syntactic; BrokerConfig (broker_config.h) gives the keys
// meaning. Duplicate keys: the last one wins, as in Java's Properties.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace keel::config {

using Properties = std::map<std::string, std::string>;

// Parses properties text. `source` names the input in error messages.
absl::StatusOr<Properties> ParseProperties(std::string_view text, std::string_view source);

// Reads and parses a file. NotFound if it cannot be opened.
absl::StatusOr<Properties> LoadPropertiesFile(const std::string& path);

// Parses a `key=value` command-line override. InvalidArgument without '='.
absl::StatusOr<std::pair<std::string, std::string>> ParseOverride(std::string_view kv);

}  // namespace keel::config
