// The results the group coordinator reports per group, member or partition.
//
// The enumerators carry the numeric values of the Kafka error codes they
// stand for, so the server boundary converts them with a cast; a test checks
// every value against protocol::ErrorCode. The coordinator itself never sees
// protocol types. Stateless.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::coordinator {

enum class GroupError : int16_t {
  kUnknownServerError = -1,       // an append failed for a reason with no better code
  kNone = 0,
  kUnknownTopicOrPartition = 3,   // commit for a partition that does not exist
  kOffsetMetadataTooLarge = 12,   // commit metadata over offset.metadata.max.bytes
  kCoordinatorLoadInProgress = 14,
  kCoordinatorNotAvailable = 15,  // group is Dead (being deleted), or the log is offline
  kNotCoordinator = 16,
  kIllegalGeneration = 22,        // stale generation id
  kInconsistentGroupProtocol = 23,  // protocol type/names do not match the group
  kInvalidGroupId = 24,           // empty group id
  kUnknownMemberId = 25,          // member id not in the group
  kInvalidSessionTimeout = 26,    // outside group.{min,max}.session.timeout.ms
  kRebalanceInProgress = 27,      // rejoin needed
  kInvalidCommitOffsetSize = 28,  // the commit's records are too large to append
  kNonEmptyGroup = 68,            // delete of a group that still has members
  kGroupIdNotFound = 69,
  kMemberIdRequired = 79,         // JoinGroup v4+: rejoin with the returned member id
  kFencedInstanceId = 82,         // another member owns this group.instance.id now
  kGroupSubscribedToTopic = 86,   // OffsetDelete of a topic the group consumes
  kUnstableOffsetCommit = 88,     // require_stable fetch while a transaction holds offsets
};

std::string_view GroupErrorName(GroupError e);

}  // namespace keel::coordinator
