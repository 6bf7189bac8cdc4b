// Tests of --to-datetime parsing.
#include "cli/iso8601.h"

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

TEST(Iso8601Test, ParsesUtcWithAndWithoutZoneAndFraction) {
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:01"), 1000);
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T09:30:00.25Z"), 1795685400250);
  EXPECT_EQ(*ParseIso8601Millis("2000-02-29T12:00:00.123456Z"), 951825600123);
}

TEST(Iso8601Test, AppliesZoneOffsets) {
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T10:30:00+01:00"), *ParseIso8601Millis("2026-11-26T09:30:00Z"));
  EXPECT_EQ(*ParseIso8601Millis("2026-11-26T04:00:00-0530"), *ParseIso8601Millis("2026-11-26T09:30:00Z"));
}

TEST(Iso8601Test, RejectsMalformedInput) {
  for (const char* bad : {"", "2026-11-26", "2026-13-01T00:00:00Z", "2026-11-26T25:00:00Z",
                          "2026-11-26T09:30:00X", "2026-11-26T09:30:00.Z", "2026-11-26T09:30:00+1"}) {
    EXPECT_FALSE(ParseIso8601Millis(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace keel::cli
