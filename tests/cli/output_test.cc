// Tests of keel-admin's JSON printing, table renderer and byte-to-text rule.
#include "cli/output.h"

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

TEST(JsonTest, DumpsNestedValuesInInsertionOrder) {
  Json doc = {{"b", 1}, {"a", Json::array({true, nullptr, "x"})}, {"e", Json::object()}};
  doc["c"] = int64_t{-7};
  EXPECT_EQ(DumpJson(doc),
            "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n  \"e\": {},\n  \"c\": -7\n}");
}

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  Json s(std::string("a\"b\\c\n\x01"));
  EXPECT_EQ(DumpJson(s), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(JsonTest, KeepsUtf8AndReplacesInvalidBytesInsteadOfFailing) {
  EXPECT_EQ(DumpJson(Json("h\xc3\xa9")), "\"h\xc3\xa9\"");
  EXPECT_EQ(DumpJson(Json("a\xff" "b")), "\"a\xef\xbf\xbd" "b\"");
}

TEST(TableTest, PadsColumnsToTheWidestCellAndTrimsTrailingSpace) {
  Table t{{"A", "LONGER", "C"}, {{"wide-cell", "1", ""}, {"x", "22", "last"}}};
  EXPECT_EQ(t.Render(),
            "A          LONGER  C\n"
            "wide-cell  1\n"
            "x          22      last\n");
}

TEST(BytesToTextTest, KeepsUtf8AndEscapesOtherBytes) {
  const uint8_t bytes[] = {'h', 0xc3, 0xa9, 0x00, 0xff, '\t'};
  EXPECT_EQ(BytesToText(bytes, sizeof(bytes)), "h\xc3\xa9\\x00\\xff\t");
}

}  // namespace
}  // namespace keel::cli
