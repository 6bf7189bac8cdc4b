// Tests of keel-admin's JSON writer, table renderer and byte-to-text rule.
#include "cli/output.h"

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

TEST(JsonTest, DumpsNestedValuesInInsertionOrder) {
  Json doc = Json::MakeObject();
  doc.Set("b", 1).Set("a", Json::MakeArray().Push(true).Push(Json()).Push("x")).Set("e", Json::MakeObject());
  EXPECT_EQ(doc.Dump(), "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n  \"e\": {}\n}");
}

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  Json s(std::string("a\"b\\c\n\x01"));
  EXPECT_EQ(s.Dump(), "\"a\\\"b\\\\c\\n\\u0001\"");
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
