// ISO 8601 date-times for --to-datetime: "YYYY-MM-DDTHH:MM:SS", optional
// fraction ".sss" (milliseconds; extra digits ignored), optional zone "Z" or
// "+HH:MM" / "-HH:MM" / "+HHMM". Without a zone the time is UTC (a tool that
// depends on the host's time zone gives different answers on different hosts).
// Pure function.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace keel::cli {

// Milliseconds since the Unix epoch; InvalidArgument naming the input.
absl::StatusOr<int64_t> ParseIso8601Millis(const std::string& text);

}  // namespace keel::cli
