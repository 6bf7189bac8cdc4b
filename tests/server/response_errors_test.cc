#include "response_errors.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace keel::server {
namespace {

// Shapes like the generated responses: nested collections with error codes.
struct FakePartition {
  int32_t index = 0;
  int16_t error_code = 0;
};
struct FakeTopic {
  std::string name;
  int16_t error_code = 0;
  std::vector<FakePartition> partitions;
};
struct FakeResponse {
  int16_t error_code = 0;
  std::vector<FakeTopic> topics;
  std::optional<std::vector<FakeTopic>> results;
  std::vector<int32_t> members;  // not a struct: ignored
};
struct NoErrors {
  std::string text;
};

std::vector<int16_t> Codes(const auto& response) {
  std::vector<int16_t> out;
  ForEachErrorCode(response, [&](int16_t c) { out.push_back(c); });
  return out;
}

TEST(ResponseErrors, FindsTopLevelAndNestedCodes) {
  FakeResponse r;
  r.error_code = 0;
  r.topics = {FakeTopic{"a", 0, {FakePartition{0, 3}, FakePartition{1, 0}}},
              FakeTopic{"b", 17, {}}};
  EXPECT_EQ(Codes(r), (std::vector<int16_t>{0, 0, 3, 0, 17}));
}

TEST(ResponseErrors, FollowsOptionalCollections) {
  FakeResponse r;
  r.results = std::vector<FakeTopic>{FakeTopic{"c", 29, {FakePartition{0, 6}}}};
  EXPECT_EQ(Codes(r), (std::vector<int16_t>{0, 29, 6}));
}

TEST(ResponseErrors, ResponsesWithoutErrorFieldsYieldNothing) {
  EXPECT_TRUE(Codes(NoErrors{"x"}).empty());
}

}  // namespace
}  // namespace keel::server
