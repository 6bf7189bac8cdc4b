// ISO 8601 parsing (see iso8601.h), by absl::ParseTime with RFC 3339 formats.
#include "cli/iso8601.h"

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "fmt/format.h"

namespace keel::cli {

absl::StatusOr<int64_t> ParseIso8601Millis(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM]): {}", text, why));
  };
  // %Y takes any number of digits and a sign; the documented form has four.
  if (text.size() < 5 || !absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[1])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[2])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[3])) || text[4] != '-') {
    return bad("the year must have four digits");
  }
  // %ET matches 'T' or 't', %E*S seconds with an optional fraction of any
  // length, %Ez "Z" or a numeric offset; a space in a format matches spaces.
  // Formats without a zone are read as UTC.
  static constexpr const char* kFormats[] = {
      "%Y-%m-%d%ET%H:%M:%E*S%Ez",
      "%Y-%m-%d%ET%H:%M:%E*S",
      "%Y-%m-%d %H:%M:%E*S%Ez",
      "%Y-%m-%d %H:%M:%E*S",
  };
  std::string first_error;
  for (const char* format : kFormats) {
    absl::Time t;
    std::string error;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &t, &error)) return absl::ToUnixMillis(t);
    if (first_error.empty()) first_error = error;
  }
  return bad(first_error);
}

}  // namespace keel::cli
