// Tests of keel-admin's token handling.
#include "cli/args.h"

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

TEST(ArgsTest, TakesOptionsAnywhereThenPositionalsInOrder) {
  Args args({"topics", "--json", "create", "--partitions=3", "t", "--config", "a=1", "--config", "b=2"});
  EXPECT_TRUE(args.Flag("--json"));
  EXPECT_FALSE(args.Flag("--json"));
  EXPECT_EQ(*args.Int("--partitions", -1), 3);
  EXPECT_EQ(*args.Values("--config"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(args.Positional(), "topics");
  EXPECT_EQ(args.Positional(), "create");
  EXPECT_EQ(args.Positional(), "t");
  EXPECT_EQ(args.Positional(), std::nullopt);
  EXPECT_TRUE(args.Finish().ok());
}

TEST(ArgsTest, NegativeNumbersAreValuesNotOptions) {
  Args args({"--shift-by", "-5"});
  EXPECT_EQ(*args.Int("--shift-by", 0), -5);
  EXPECT_TRUE(args.Finish().ok());
}

TEST(ArgsTest, UsageErrorsAreInvalidArgument) {
  Args missing({"--partitions"});
  EXPECT_EQ(missing.Value("--partitions").status().code(), absl::StatusCode::kInvalidArgument);
  Args bad({"--partitions", "three"});
  EXPECT_EQ(bad.Int("--partitions", 1).status().code(), absl::StatusCode::kInvalidArgument);
  Args left({"--unknown"});
  EXPECT_EQ(left.Finish().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel::cli
