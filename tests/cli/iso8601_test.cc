// Tests of --to-datetime parsing.
#include "cli/iso8601.h"

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

TEST(Iso8601Test, ParsesUtcWithAndWithoutZoneAndFraction) {
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:01"), 1000);
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01 00:00:01Z"), 1000);
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T09:30:00.25Z"), 1795685400250);
  EXPECT_EQ(*ParseIso8601Millis("2000-02-29T12:00:00.123456Z"), 951825600123);
  EXPECT_EQ(*ParseIso8601Millis("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(*ParseIso8601Millis("1969-12-31T23:59:59.999Z"), -1);
}

TEST(Iso8601Test, AppliesZoneOffsets) {
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T10:30:00+01:00"), *ParseIso8601Millis("2026-11-26T09:30:00Z"));
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T04:00:00-0530"), *ParseIso8601Millis("2026-11-26T09:30:00Z"));
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T04:00:00-05:30"), *ParseIso8601Millis("2026-11-26T09:30:00Z"));
}

TEST(Iso8601Test, RejectsMalformedInput) {
  for (const char* bad : {"", "2026-11-26", "2026-13-01T00:00:00Z", "2026-11-26T25:00:00Z",
                          "2026-11-26T09:30:00X", "2026-11-26T09:30:00.Z", "2026-11-26T09:30:00+1",
                          "12026-11-26T09:30:00Z", "26-11-26T09:30:00Z", "2026-11-26T09:61:00Z"}) {
    EXPECT_FALSE(ParseIso8601Millis(bad).ok()) << bad;
  }
}

// A day past the end of its month is an error, not the first days of the
// next month.
TEST(Iso8601Test, RefusesDatesThatDoNotExist) {
  for (const char* missing : {"2024-02-31T00:00:00Z", "2024-02-30T00:00:00", "2025-02-29T12:00:00Z",
                              "2026-04-31T00:00:00+02:00", "2026-11-00T00:00:00Z"}) {
    auto parsed = ParseIso8601Millis(missing);
    ASSERT_FALSE(parsed.ok()) << missing << " parsed as " << *parsed;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(missing), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace keel::cli
