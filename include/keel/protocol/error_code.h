// Kafka protocol error codes, the int16 carried in every error_code field.
//
// Only src/server/error_mapping converts internal absl::Status values into
// these. ErrorName() returns the protocol name, e.g. "NOT_LEADER_OR_FOLLOWER".
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::protocol {

enum class ErrorCode : int16_t {
  UNKNOWN_SERVER_ERROR = -1,  // Unexpected server-side failure; nothing more specific applies.
  NONE = 0,  // Success.
  OFFSET_OUT_OF_RANGE = 1,  // Requested offset is outside the log range of the partition.
  CORRUPT_MESSAGE = 2,  // A record batch failed its CRC or format check.
  UNKNOWN_TOPIC_OR_PARTITION = 3,  // The topic or partition does not exist on this broker.
  INVALID_FETCH_SIZE = 4,  // The requested fetch size is invalid.
  LEADER_NOT_AVAILABLE = 5,  // No leader for the partition right now (e.g. during creation).
  NOT_LEADER_OR_FOLLOWER = 6,  // This broker is not the leader (or a replica) of the partition.
  REQUEST_TIMED_OUT = 7,  // The request did not complete within its timeout.
  BROKER_NOT_AVAILABLE = 8,  // The broker is not available.
  REPLICA_NOT_AVAILABLE = 9,  // The replica is not available for the partition.
  MESSAGE_TOO_LARGE = 10,  // A batch is larger than the configured maximum.
  STALE_CONTROLLER_EPOCH = 11,  // A controller request carried an old controller epoch.
  OFFSET_METADATA_TOO_LARGE = 12,  // Committed offset metadata string is too long.
  NETWORK_EXCEPTION = 13,  // The connection was lost before a response arrived.
  COORDINATOR_LOAD_IN_PROGRESS = 14,  // The coordinator is still loading its state; retry.
  COORDINATOR_NOT_AVAILABLE = 15,  // The coordinator is not available.
  NOT_COORDINATOR = 16,  // This broker is not the coordinator for the group or transaction.
  INVALID_TOPIC_EXCEPTION = 17,  // Illegal topic name, or an operation not allowed on an internal topic.
  RECORD_LIST_TOO_LARGE = 18,  // The batch list in a produce request exceeds the segment size.
  NOT_ENOUGH_REPLICAS = 19,  // Fewer in-sync replicas than required by min.insync.replicas.
  NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,  // Written, but fewer in-sync replicas than required.
  INVALID_REQUIRED_ACKS = 21,  // The acks value is not -1, 0 or 1.
  ILLEGAL_GENERATION = 22,  // The group generation id is not the current one.
  INCONSISTENT_GROUP_PROTOCOL = 23,  // The member protocol type or protocols do not match the group.
  INVALID_GROUP_ID = 24,  // The group id is empty or invalid.
  UNKNOWN_MEMBER_ID = 25,  // The member id is not part of the group.
  INVALID_SESSION_TIMEOUT = 26,  // Session timeout outside the broker-allowed range.
  REBALANCE_IN_PROGRESS = 27,  // The group is rebalancing; rejoin.
  INVALID_COMMIT_OFFSET_SIZE = 28,  // The committed offset data is too large.
  TOPIC_AUTHORIZATION_FAILED = 29,  // Not authorized for the topic.
  GROUP_AUTHORIZATION_FAILED = 30,  // Not authorized for the group.
  CLUSTER_AUTHORIZATION_FAILED = 31,  // Not authorized for the cluster operation.
  INVALID_TIMESTAMP = 32,  // A record timestamp is outside the accepted range.
  UNSUPPORTED_SASL_MECHANISM = 33,  // The SASL mechanism is not enabled on the broker.
  ILLEGAL_SASL_STATE = 34,  // The request is not valid in the current SASL state.
  UNSUPPORTED_VERSION = 35,  // The API version is not supported.
  TOPIC_ALREADY_EXISTS = 36,  // A topic with this name already exists.
  INVALID_PARTITIONS = 37,  // The partition count is invalid.
  INVALID_REPLICATION_FACTOR = 38,  // The replication factor is invalid.
  INVALID_REPLICA_ASSIGNMENT = 39,  // The manual replica assignment is invalid.
  INVALID_CONFIG = 40,  // A configuration entry is invalid.
  NOT_CONTROLLER = 41,  // This broker is not the active controller.
  INVALID_REQUEST = 42,  // The request is malformed or inconsistent (see the error message).
  UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,  // The operation needs a newer record format than the topic uses.
  POLICY_VIOLATION = 44,  // The request violates a configured policy.
  OUT_OF_ORDER_SEQUENCE_NUMBER = 45,  // An idempotent batch sequence number is not the expected next one.
  DUPLICATE_SEQUENCE_NUMBER = 46,  // An idempotent batch was already written.
  INVALID_PRODUCER_EPOCH = 47,  // The producer epoch is older than the current one (fenced).
  INVALID_TXN_STATE = 48,  // The transactional operation is invalid in the current state.
  INVALID_PRODUCER_ID_MAPPING = 49,  // The producer id does not match the transactional id.
  INVALID_TRANSACTION_TIMEOUT = 50,  // Transaction timeout exceeds the broker maximum.
  CONCURRENT_TRANSACTIONS = 51,  // Another transaction operation is in progress for this producer.
  TRANSACTION_COORDINATOR_FENCED = 52,  // A newer transaction coordinator exists.
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,  // Not authorized for the transactional id.
  SECURITY_DISABLED = 54,  // Security features are disabled.
  OPERATION_NOT_ATTEMPTED = 55,  // Not attempted because another part of the request failed.
  KAFKA_STORAGE_ERROR = 56,  // A disk error occurred on the broker.
  LOG_DIR_NOT_FOUND = 57,  // The requested log directory does not exist.
  SASL_AUTHENTICATION_FAILED = 58,  // SASL authentication failed.
  UNKNOWN_PRODUCER_ID = 59,  // The broker has no state for this producer id.
  REASSIGNMENT_IN_PROGRESS = 60,  // A partition reassignment is in progress.
  DELEGATION_TOKEN_AUTH_DISABLED = 61,  // Delegation token authentication is disabled.
  DELEGATION_TOKEN_NOT_FOUND = 62,  // No such delegation token.
  DELEGATION_TOKEN_OWNER_MISMATCH = 63,  // The principal does not own the delegation token.
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED = 64,  // Delegation token requests are not allowed on this channel.
  DELEGATION_TOKEN_AUTHORIZATION_FAILED = 65,  // Not authorized for the delegation token operation.
  DELEGATION_TOKEN_EXPIRED = 66,  // The delegation token has expired.
  INVALID_PRINCIPAL_TYPE = 67,  // The principal type is not supported.
  NON_EMPTY_GROUP = 68,  // The group still has members.
  GROUP_ID_NOT_FOUND = 69,  // The group does not exist.
  FETCH_SESSION_ID_NOT_FOUND = 70,  // The fetch session id is unknown.
  INVALID_FETCH_SESSION_EPOCH = 71,  // The fetch session epoch is wrong.
  LISTENER_NOT_FOUND = 72,  // The leader has no endpoint for the listener the request came on.
  TOPIC_DELETION_DISABLED = 73,  // Topic deletion is disabled.
  FENCED_LEADER_EPOCH = 74,  // The given leader epoch is older than the broker's.
  UNKNOWN_LEADER_EPOCH = 75,  // The given leader epoch is newer than the broker's.
  UNSUPPORTED_COMPRESSION_TYPE = 76,  // The requesting client does not support the compression type.
  STALE_BROKER_EPOCH = 77,  // The broker epoch has changed.
  OFFSET_NOT_AVAILABLE = 78,  // The leader high watermark has not caught up yet; retry.
  MEMBER_ID_REQUIRED = 79,  // The group requires a member id: rejoin with the one returned.
  PREFERRED_LEADER_NOT_AVAILABLE = 80,  // The preferred leader is not available.
  GROUP_MAX_SIZE_REACHED = 81,  // The group has reached its maximum size.
  FENCED_INSTANCE_ID = 82,  // Another member with the same group.instance.id joined.
  ELIGIBLE_LEADERS_NOT_AVAILABLE = 83,  // No eligible leader for the partition.
  ELECTION_NOT_NEEDED = 84,  // The leader election is not needed.
  NO_REASSIGNMENT_IN_PROGRESS = 85,  // No partition reassignment is in progress.
  GROUP_SUBSCRIBED_TO_TOPIC = 86,  // The group still subscribes to the topic; offsets cannot be deleted.
  INVALID_RECORD = 87,  // A record failed broker-side validation.
  UNSTABLE_OFFSET_COMMIT = 88,  // Pending transactional offset commits exist for the partition; retry.
  THROTTLING_QUOTA_EXCEEDED = 89,  // A mutation quota was exceeded.
  PRODUCER_FENCED = 90,  // A newer producer with the same transactional id exists.
  RESOURCE_NOT_FOUND = 91,  // The requested resource does not exist.
  DUPLICATE_RESOURCE = 92,  // The request names the same resource twice.
  UNACCEPTABLE_CREDENTIAL = 93,  // The credential does not satisfy the broker's requirements.
  INCONSISTENT_VOTER_SET = 94,  // The voter set of the quorum is inconsistent.
  INVALID_UPDATE_VERSION = 95,  // The update version is invalid.
  FEATURE_UPDATE_FAILED = 96,  // The feature update could not be applied.
  PRINCIPAL_DESERIALIZATION_FAILURE = 97,  // A forwarded principal could not be deserialized.
  SNAPSHOT_NOT_FOUND = 98,  // The requested snapshot does not exist.
  POSITION_OUT_OF_RANGE = 99,  // The requested position is outside the snapshot.
  UNKNOWN_TOPIC_ID = 100,  // No topic with this topic id exists.
  DUPLICATE_BROKER_REGISTRATION = 101,  // The broker id is already registered.
  BROKER_ID_NOT_REGISTERED = 102,  // The broker id is not registered.
  INCONSISTENT_TOPIC_ID = 103,  // The topic id does not match the topic name's id.
  INCONSISTENT_CLUSTER_ID = 104,  // The cluster id does not match.
  TRANSACTIONAL_ID_NOT_FOUND = 105,  // The transactional id is unknown.
  FETCH_SESSION_TOPIC_ID_ERROR = 106,  // A fetch session had a topic id problem; start a new session.
  INELIGIBLE_REPLICA = 107,  // The replica is not eligible to join the ISR.
  NEW_LEADER_ELECTED = 108,  // A new leader was elected while the request waited.
  OFFSET_MOVED_TO_TIERED_STORAGE = 109,  // The offset is only in tiered storage.
  FENCED_MEMBER_EPOCH = 110,  // The member epoch is fenced (KIP-848 groups).
  UNRELEASED_INSTANCE_ID = 111,  // The instance id is still in use by another member.
  UNSUPPORTED_ASSIGNOR = 112,  // The requested server-side assignor is not supported.
  STALE_MEMBER_EPOCH = 113,  // The member epoch is stale (KIP-848 groups).
  MISMATCHED_ENDPOINT_TYPE = 114,  // The request was sent to the wrong kind of endpoint.
  UNSUPPORTED_ENDPOINT_TYPE = 115,  // The endpoint type is not supported.
  UNKNOWN_CONTROLLER_ID = 116,  // The controller id is unknown.
  UNKNOWN_SUBSCRIPTION_ID = 117,  // The client-telemetry subscription id is unknown.
  TELEMETRY_TOO_LARGE = 118,  // The client telemetry payload is too large.
  INVALID_REGISTRATION = 119,  // The broker registration is invalid.
  TRANSACTION_ABORTABLE = 120,  // The transaction must be aborted by the client.
};

// The protocol name of `code`, or "UNKNOWN_ERROR_CODE" for a value not listed.
std::string_view ErrorName(ErrorCode code);

// The wire value.
constexpr int16_t ToWire(ErrorCode code) { return static_cast<int16_t>(code); }

}  // namespace keel::protocol
