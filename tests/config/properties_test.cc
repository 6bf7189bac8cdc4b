#include "keel/config/properties.h"

#include "gtest/gtest.h"

namespace keel::config {
namespace {

TEST(Properties, ParsesKeyValueCommentsAndContinuations) {
  auto p = ParseProperties(
      "# comment\n! also comment\n\n a = 1 \nb:2\nc=x\\\n  y\nd=\n", "test");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->at("a"), "1");
  EXPECT_EQ(p->at("b"), "2");
  EXPECT_EQ(p->at("c"), "xy");
  EXPECT_EQ(p->at("d"), "");
  EXPECT_EQ(p->size(), 4u);
}

TEST(Properties, LastDuplicateWins) {
  auto p = ParseProperties("a=1\na=2\n", "test");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("a"), "2");
}

TEST(Properties, LineWithoutSeparatorIsAnErrorWithLineNumber) {
  auto p = ParseProperties("a=1\nbogus\n", "file.properties");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("file.properties:2"), std::string::npos);
}

TEST(Properties, OverrideNeedsEquals) {
  EXPECT_FALSE(ParseOverride("novalue").ok());
  auto kv = ParseOverride("log.dirs=/tmp/x=y");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "log.dirs");
  EXPECT_EQ(kv->second, "/tmp/x=y");
}

TEST(Properties, MissingFileIsNotFound) {
  EXPECT_EQ(LoadPropertiesFile("/nonexistent/keel.properties").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace keel::config
