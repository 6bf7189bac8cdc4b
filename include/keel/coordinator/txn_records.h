// The state of a transactional id and its records in __transaction_state,
// laid out as Kafka lays them out:
//   key   int16 version 0, TransactionLogKey   {transactional_id}
//   value int16 version 0, TransactionLogValue {producer id, epoch, timeout,
//         status, partitions, last update, start}; Keel reads v0 and v1
// A null value (tombstone) forgets the id. The id lives in partition
// PartitionForGroup(id, n): Kafka's hash, as for groups. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "keel/common/types.h"
#include "keel/coordinator/group_records.h"

namespace keel::coordinator {

inline constexpr std::string_view kTransactionStateTopic = "__transaction_state";

// Kafka's TransactionState ids.
enum class TxnState : int8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
  kDead = 6,
  kPrepareEpochFence = 7,
};
// "Empty", "Ongoing", ... as Kafka's admin APIs name them.
std::string_view TxnStateName(TxnState s);
std::optional<TxnState> TxnStateFromName(std::string_view name);

struct TxnMetadata {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 0;
  TxnState state = TxnState::kEmpty;
  std::set<TopicPartition> partitions;
  int64_t last_update_ms = -1;
  int64_t start_ms = -1;  // -1 unless a transaction is open or ending
  bool operator==(const TxnMetadata&) const = default;
};

CoordinatorRecord TxnStateRecord(const TxnMetadata& meta);
CoordinatorRecord TxnTombstone(std::string_view transactional_id);

// A decoded record; `meta` nullopt is a tombstone.
struct TxnRecord {
  std::string transactional_id;
  std::optional<TxnMetadata> meta;
};
// DataLoss for a malformed key/value or unknown status; NotFound for a key
// version Keel does not know.
absl::StatusOr<TxnRecord> DecodeTxnRecord(std::span<const uint8_t> key,
                                          std::optional<std::span<const uint8_t>> value);

}  // namespace keel::coordinator
