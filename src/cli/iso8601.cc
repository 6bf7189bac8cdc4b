// ISO 8601 parsing (see iso8601.h).
#include "cli/iso8601.h"

#include <cctype>
#include <ctime>

#include "fmt/format.h"

namespace keel::cli {
namespace {

bool Digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

absl::StatusOr<int64_t> ParseIso8601Millis(const std::string& text) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM])", text));
  };
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, &year) || text.size() < 19 || text[4] != '-' || !Digits(text, 5, 2, &month) ||
      text[7] != '-' || !Digits(text, 8, 2, &day) || (text[10] != 'T' && text[10] != ' ') ||
      !Digits(text, 11, 2, &hour) || text[13] != ':' || !Digits(text, 14, 2, &minute) ||
      text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int sign = text[pos] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Digits(text, pos + 1, 2, &oh)) return bad();
      size_t mpos = pos + 3;
      if (mpos < text.size() && text[mpos] == ':') ++mpos;
      if (!Digits(text, mpos, 2, &om) || mpos + 2 != text.size() || oh > 23 || om > 59) return bad();
      offset_minutes = sign * (oh * 60 + om);
      pos = text.size();
    } else {
      return bad();
    }
  }
  int64_t days = DaysFromCivil(year, month, day);
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace keel::cli
