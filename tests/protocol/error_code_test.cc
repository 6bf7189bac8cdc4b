#include "keel/protocol/error_code.h"

#include "gtest/gtest.h"

namespace keel::protocol {
namespace {

TEST(ErrorCodeTest, WireValuesMatchTheProtocol) {
  EXPECT_EQ(ToWire(ErrorCode::NONE), 0);
  EXPECT_EQ(ToWire(ErrorCode::UNKNOWN_SERVER_ERROR), -1);
  EXPECT_EQ(ToWire(ErrorCode::OFFSET_OUT_OF_RANGE), 1);
  EXPECT_EQ(ToWire(ErrorCode::NOT_LEADER_OR_FOLLOWER), 6);
  EXPECT_EQ(ToWire(ErrorCode::UNSUPPORTED_VERSION), 35);
  EXPECT_EQ(ToWire(ErrorCode::MEMBER_ID_REQUIRED), 79);
  EXPECT_EQ(ToWire(ErrorCode::UNKNOWN_TOPIC_ID), 100);
  EXPECT_EQ(ToWire(ErrorCode::FENCED_MEMBER_EPOCH), 110);
}

TEST(ErrorCodeTest, NamesEveryCodeFromMinusOneTo120) {
  for (int code = -1; code <= 120; ++code) {
    std::string_view name = ErrorName(static_cast<ErrorCode>(code));
    EXPECT_NE(name, "UNKNOWN_ERROR_CODE") << code;
  }
  EXPECT_EQ(ErrorName(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS), "COORDINATOR_LOAD_IN_PROGRESS");
  EXPECT_EQ(ErrorName(static_cast<ErrorCode>(5000)), "UNKNOWN_ERROR_CODE");
}

}  // namespace
}  // namespace keel::protocol
