// ISO 8601 / RFC 3339 date-times for --to-datetime: "YYYY-MM-DDTHH:MM:SS"
// (a space may stand for the T), optional fraction ".sss" (any number of
// digits; below a millisecond truncated), optional zone "Z" or "+HH:MM" /
// "-HH:MM" / "+HHMM" / "+HH". Without a zone the time is UTC (a tool that
// depends on the host's time zone gives different answers on different
// hosts). Dates that do not exist (2024-02-31, 2025-02-29) are refused, not
// rolled into the next month. Parsing is absl::ParseTime's.
// Pure function.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace keel::cli {

// Milliseconds since the Unix epoch; InvalidArgument naming the input.
absl::StatusOr<int64_t> ParseIso8601Millis(const std::string& text);

}  // namespace keel::cli
