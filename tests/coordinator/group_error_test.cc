// GroupError values are Kafka's error codes: the server converts with a cast.
#include "keel/coordinator/group_error.h"

#include <gtest/gtest.h>

#include "keel/protocol/error_code.h"

namespace keel::coordinator {
namespace {

using protocol::ErrorCode;

TEST(GroupErrorTest, ValuesMatchKafkaErrorCodes) {
  struct Row {
    GroupError g;
    ErrorCode k;
  };
  const Row rows[] = {
      {GroupError::kUnknownServerError, ErrorCode::UNKNOWN_SERVER_ERROR},
      {GroupError::kNone, ErrorCode::NONE},
      {GroupError::kUnknownTopicOrPartition, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION},
      {GroupError::kOffsetMetadataTooLarge, ErrorCode::OFFSET_METADATA_TOO_LARGE},
      {GroupError::kCoordinatorLoadInProgress, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS},
      {GroupError::kCoordinatorNotAvailable, ErrorCode::COORDINATOR_NOT_AVAILABLE},
      {GroupError::kNotCoordinator, ErrorCode::NOT_COORDINATOR},
      {GroupError::kIllegalGeneration, ErrorCode::ILLEGAL_GENERATION},
      {GroupError::kInconsistentGroupProtocol, ErrorCode::INCONSISTENT_GROUP_PROTOCOL},
      {GroupError::kInvalidGroupId, ErrorCode::INVALID_GROUP_ID},
      {GroupError::kUnknownMemberId, ErrorCode::UNKNOWN_MEMBER_ID},
      {GroupError::kInvalidSessionTimeout, ErrorCode::INVALID_SESSION_TIMEOUT},
      {GroupError::kRebalanceInProgress, ErrorCode::REBALANCE_IN_PROGRESS},
      {GroupError::kInvalidCommitOffsetSize, ErrorCode::INVALID_COMMIT_OFFSET_SIZE},
      {GroupError::kNonEmptyGroup, ErrorCode::NON_EMPTY_GROUP},
      {GroupError::kGroupIdNotFound, ErrorCode::GROUP_ID_NOT_FOUND},
      {GroupError::kMemberIdRequired, ErrorCode::MEMBER_ID_REQUIRED},
      {GroupError::kFencedInstanceId, ErrorCode::FENCED_INSTANCE_ID},
      {GroupError::kGroupSubscribedToTopic, ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC},
      {GroupError::kUnstableOffsetCommit, ErrorCode::UNSTABLE_OFFSET_COMMIT},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(int16_t(r.g), int16_t(r.k)) << GroupErrorName(r.g);
    EXPECT_EQ(GroupErrorName(r.g), protocol::ErrorName(r.k));
  }
}

}  // namespace
}  // namespace keel::coordinator
