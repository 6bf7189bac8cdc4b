// The production CoordinatorLog: the partitions of __consumer_offsets held by
// the PartitionManager, plus the start-up loader that replays them.
//
// Open() creates the topic if it is missing (compacted, internal, with
// `partitions` partitions); if it exists its partition count wins, so groups
// keep their partition across a config change. Records are appended as one
// uncompressed RecordBatch v2 per coordinator write (no producer id), with
// the wall-clock time as the batch timestamp; durability is the log's
// group-commit fsync (WaitDurable).
//
// Thread-safety: thread-safe (the logs are). The PartitionManager must
// outlive this object.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/coordinator/clock.h"
#include "keel/coordinator/coordinator_log.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/partition/partition_manager.h"

namespace keel::coordinator {

class PartitionCoordinatorLog final : public CoordinatorLog {
 public:
  static absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> Open(
      partition::PartitionManager& partitions, int32_t partition_count, const Clock* clock);

  int32_t partition_count() const override { return int32_t(logs_.size()); }
  absl::StatusOr<int64_t> Append(int32_t partition,
                                 std::span<const CoordinatorRecord> records) override;
  void WaitDurable(int32_t partition, int64_t last_offset,
                   absl::AnyInvocable<void(absl::Status)> done) override;

  // Replays every record of every partition (log start to log end) into
  // `coordinator`, then calls FinishLoading(). Malformed records are logged
  // and skipped; read errors are returned. Returns the number of records.
  absl::StatusOr<int64_t> LoadInto(GroupCoordinator& coordinator) const;

 private:
  PartitionCoordinatorLog(std::vector<std::shared_ptr<storage::Log>> logs, const Clock* clock)
      : logs_(std::move(logs)), clock_(clock) {}

  std::vector<std::shared_ptr<storage::Log>> logs_;
  const Clock* clock_;
};

}  // namespace keel::coordinator
