#include "gtest/gtest.h"
#include "keel/common/types.h"

namespace keel {
namespace {

TEST(Uuid, TextRoundTrip) {
  for (int i = 0; i < 100; ++i) {
    Uuid u = Uuid::Random();
    EXPECT_FALSE(u.IsZero());
    std::string s = u.ToString();
    EXPECT_EQ(s.size(), 22u);
    Uuid back;
    ASSERT_TRUE(Uuid::Parse(s, &back)) << s;
    EXPECT_EQ(back, u);
  }
}

TEST(Uuid, ZeroPrintsAsKafkaDoes) {
  EXPECT_EQ(Uuid{}.ToString(), "AAAAAAAAAAAAAAAAAAAAAA");
}

TEST(Uuid, ParseRejectsBadText) {
  Uuid u;
  EXPECT_FALSE(Uuid::Parse("short", &u));
  EXPECT_FALSE(Uuid::Parse("AAAAAAAAAAAAAAAAAAAAA*", &u));
}

}  // namespace
}  // namespace keel
