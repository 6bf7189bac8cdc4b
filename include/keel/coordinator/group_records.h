// The records of the internal topic __consumer_offsets, laid out byte for byte
// as Kafka lays them out (lag tools and MirrorMaker read them directly).
//
// Every record key and value is an int16 schema version followed by the
// schema in proto/internal/ at that version; which key and value versions
// exist and which ones Keel writes is in docs/storage-format.md,
// "Coordinator topics". A null value is a tombstone: the offset or the group
// is deleted. Values of a version newer than Keel knows fail to decode.
//
// A group lives in partition PartitionForGroup(group, n) of the topic, the
// same mapping Kafka uses. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/types.h"
#include "keel/protocol/internal/group_metadata_value.h"
#include "keel/protocol/internal/offset_commit_value.h"

namespace keel::coordinator {

inline constexpr std::string_view kConsumerOffsetsTopic = "__consumer_offsets";

// One record to append: key bytes and value bytes (nullopt = tombstone).
struct CoordinatorRecord {
  std::vector<uint8_t> key;
  std::optional<std::vector<uint8_t>> value;
  bool operator==(const CoordinatorRecord&) const = default;
};

// Kafka's partition choice: abs(String.hashCode(group)) % partitions, where
// hashCode runs over the UTF-16 code units of the id and abs(INT_MIN) is 0.
// REQUIRES: partitions > 0.
int32_t PartitionForGroup(std::string_view group_id, int32_t partitions);
// Java's String.hashCode of a UTF-8 string (invalid bytes count as U+FFFD).
int32_t JavaStringHashCode(std::string_view utf8);

// A committed offset as stored (OffsetCommitValue fields).
struct CommittedOffset {
  Offset offset{-1};
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  int64_t expire_timestamp_ms = -1;  // -1 unless the commit set a retention time
  bool operator==(const CommittedOffset&) const = default;
};

CoordinatorRecord OffsetCommitRecord(std::string_view group, const TopicPartition& tp,
                                     const CommittedOffset& value);
CoordinatorRecord OffsetTombstone(std::string_view group, const TopicPartition& tp);
CoordinatorRecord GroupMetadataRecord(std::string_view group,
                                      const protocol::GroupMetadataValue& value);
CoordinatorRecord GroupTombstone(std::string_view group);

// A decoded record. value == nullopt is a tombstone.
struct OffsetRecord {
  std::string group;
  TopicPartition tp;
  std::optional<CommittedOffset> value;
};
struct GroupRecord {
  std::string group;
  std::optional<protocol::GroupMetadataValue> value;
};
using DecodedRecord = std::variant<OffsetRecord, GroupRecord>;

// DataLoss for a malformed key or value; NotFound for a key version Keel does
// not know (records of newer Kafka group types, to be skipped by the loader).
absl::StatusOr<DecodedRecord> DecodeRecord(std::span<const uint8_t> key,
                                           std::optional<std::span<const uint8_t>> value);

}  // namespace keel::coordinator
