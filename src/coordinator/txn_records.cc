#include "keel/coordinator/txn_records.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/coordinator/versioned_record.h"
#include "keel/protocol/internal/transaction_log_key.h"
#include "keel/protocol/internal/transaction_log_value.h"

namespace keel::coordinator {
namespace {
constexpr int16_t kKeyVersion = 0;
constexpr int16_t kValueVersion = 0;

std::vector<uint8_t> EncodeKey(std::string_view id) {
  protocol::TransactionLogKey key;
  key.transactional_id = std::string(id);
  return EncodeVersioned(key, kKeyVersion);
}
}  // namespace

std::string_view TxnStateName(TxnState s) {
  switch (s) {
    case TxnState::kEmpty: return "Empty";
    case TxnState::kOngoing: return "Ongoing";
    case TxnState::kPrepareCommit: return "PrepareCommit";
    case TxnState::kPrepareAbort: return "PrepareAbort";
    case TxnState::kCompleteCommit: return "CompleteCommit";
    case TxnState::kCompleteAbort: return "CompleteAbort";
    case TxnState::kDead: return "Dead";
    case TxnState::kPrepareEpochFence: return "PrepareEpochFence";
  }
  return "Unknown";
}

std::optional<TxnState> TxnStateFromName(std::string_view name) {
  for (int8_t i = 0; i <= 7; ++i) {
    if (TxnStateName(TxnState(i)) == name) return TxnState(i);
  }
  return std::nullopt;
}

CoordinatorRecord TxnStateRecord(const TxnMetadata& meta) {
  protocol::TransactionLogValue v;
  v.producer_id = meta.producer_id;
  v.producer_epoch = meta.producer_epoch;
  v.transaction_timeout_ms = meta.timeout_ms;
  v.transaction_status = int8_t(meta.state);
  std::vector<protocol::TransactionLogValue::TransactionPartitions> parts;
  for (const auto& tp : meta.partitions) {
    if (parts.empty() || parts.back().topic != tp.topic) {
      parts.emplace_back();
      parts.back().topic = tp.topic;
    }
    parts.back().partition_ids.push_back(tp.partition.value);
  }
  v.transaction_partitions = std::move(parts);
  v.transaction_last_update_timestamp_ms = meta.last_update_ms;
  v.transaction_start_timestamp_ms = meta.start_ms;
  return CoordinatorRecord{EncodeKey(meta.transactional_id), EncodeVersioned(v, kValueVersion)};
}

CoordinatorRecord TxnTombstone(std::string_view transactional_id) {
  return CoordinatorRecord{EncodeKey(transactional_id), std::nullopt};
}

absl::StatusOr<TxnRecord> DecodeTxnRecord(std::span<const uint8_t> key,
                                          std::optional<std::span<const uint8_t>> value) {
  protocol::TransactionLogKey k;
  int16_t key_version = 0;
  if (key.size() >= 2 && int16_t(key[0] << 8 | key[1]) != kKeyVersion) {
    return absl::NotFoundError(absl::StrCat("transaction log key version ",
                                            int16_t(key[0] << 8 | key[1])));
  }
  if (auto st = DecodeVersioned(key, &k, &key_version); !st.ok()) return st;
  TxnRecord out;
  out.transactional_id = std::move(k.transactional_id);
  if (!value) return out;
  protocol::TransactionLogValue v;
  int16_t value_version = 0;
  if (auto st = DecodeVersioned(*value, &v, &value_version); !st.ok()) return st;
  if (v.transaction_status < 0 || v.transaction_status > 7) {
    return absl::DataLossError(absl::StrCat("unknown transaction status ",
                                            int(v.transaction_status)));
  }
  TxnMetadata m;
  m.transactional_id = out.transactional_id;
  m.producer_id = v.producer_id;
  m.producer_epoch = v.producer_epoch;
  m.timeout_ms = v.transaction_timeout_ms;
  m.state = TxnState(v.transaction_status);
  if (v.transaction_partitions) {
    for (const auto& t : *v.transaction_partitions)
      for (int32_t p : t.partition_ids) m.partitions.insert(TopicPartition{t.topic, PartitionId(p)});
  }
  m.last_update_ms = v.transaction_last_update_timestamp_ms;
  m.start_ms = v.transaction_start_timestamp_ms;
  out.meta = std::move(m);
  return out;
}

}  // namespace keel::coordinator
