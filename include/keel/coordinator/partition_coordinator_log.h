// The production CoordinatorLog: the partitions of an internal coordinator
// topic (__consumer_offsets, __transaction_state) held by the
// PartitionManager, plus the start-up loaders that replay them.
//
// Open() creates the topic if it is missing (compacted, internal, with
// `partitions` partitions); if it exists its partition count wins, so keys
// keep their partition across a config change. Records are appended as one
// uncompressed RecordBatch v2 per coordinator write, with the wall-clock time
// as the batch timestamp: without a producer id, or (AppendTransactional) as
// a transactional batch of a producer, or (AppendMarker) as a COMMIT/ABORT
// control batch. Durability is the log's group-commit fsync (WaitDurable).
//
// Thread-safety: thread-safe (the logs are). The PartitionManager must
// outlive this object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/coordinator/clock.h"
#include "keel/coordinator/coordinator_log.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/partition/partition_manager.h"

namespace keel::coordinator {

class TxnCoordinator;

class PartitionCoordinatorLog final : public CoordinatorLog {
 public:
  // __consumer_offsets.
  static absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> Open(
      partition::PartitionManager& partitions, int32_t partition_count, const Clock* clock);
  // Any internal compacted topic. With `create_lazily`, a missing topic is
  // created by the first append (as Kafka creates __transaction_state on
  // first use), so brokers that never need it carry no partitions for it.
  static absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> OpenTopic(
      partition::PartitionManager& partitions, std::string topic, int32_t partition_count,
      const Clock* clock, bool create_lazily = false);

  const std::string& topic() const { return topic_; }
  int32_t partition_count() const override { return partition_count_; }
  absl::StatusOr<int64_t> Append(int32_t partition,
                                 std::span<const CoordinatorRecord> records) override;
  absl::StatusOr<int64_t> AppendTransactional(int32_t partition, int64_t producer_id,
                                              int16_t producer_epoch,
                                              std::span<const CoordinatorRecord> records) override;
  absl::StatusOr<int64_t> AppendMarker(int32_t partition, int64_t producer_id,
                                       int16_t producer_epoch, bool commit) override;
  void WaitDurable(int32_t partition, int64_t last_offset,
                   absl::AnyInvocable<void(absl::Status)> done) override;

  // Replays every record of every partition (log start to log end) into
  // `coordinator` (transactional offset commits as pending until their
  // marker), then calls FinishLoading(). Malformed records are logged and
  // skipped; read errors are returned. Returns the number of records.
  absl::StatusOr<int64_t> LoadInto(GroupCoordinator& coordinator) const;
  // The same for the transaction coordinator (FinishLoading not called: the
  // owner calls it once the group coordinator is loaded too).
  absl::StatusOr<int64_t> LoadInto(TxnCoordinator& coordinator) const;

 private:
  PartitionCoordinatorLog(partition::PartitionManager& partitions, std::string topic,
                          int32_t partition_count, std::vector<std::shared_ptr<storage::Log>> logs,
                          const Clock* clock)
      : partitions_(partitions),
        topic_(std::move(topic)),
        partition_count_(partition_count),
        logs_(std::move(logs)),
        created_(!logs_.empty()),
        clock_(clock) {}

  // Creates (or finds) the topic and fills logs_; partition_count_ stays.
  static absl::StatusOr<std::vector<std::shared_ptr<storage::Log>>> CreateOrOpen(
      partition::PartitionManager& partitions, const std::string& topic, int32_t partition_count);
  // The log of `partition`, creating the topic first if it is still missing.
  absl::StatusOr<storage::Log*> LogFor(int32_t partition);
  absl::StatusOr<int64_t> AppendBatch(int32_t partition, std::vector<uint8_t> batch);
  // Calls fn(partition, header, batch bytes) for every stored batch.
  absl::Status ForEachBatch(
      const std::function<void(int32_t, const BatchHeader&, std::span<const uint8_t>)>& fn) const;
  // Calls fn(key, value) for every keyed record of `batch`; returns how many
  // records it holds. Malformed batches are logged.
  int64_t ForEachKeyedRecord(
      int32_t partition, const BatchHeader& header, std::span<const uint8_t> batch,
      const std::function<absl::Status(std::span<const uint8_t>,
                                       std::optional<std::span<const uint8_t>>)>& fn) const;

  partition::PartitionManager& partitions_;
  const std::string topic_;
  const int32_t partition_count_;
  std::mutex create_mu_;  // serializes the lazy creation
  std::vector<std::shared_ptr<storage::Log>> logs_;  // immutable once created_
  std::atomic<bool> created_;
  const Clock* clock_;
};

}  // namespace keel::coordinator
