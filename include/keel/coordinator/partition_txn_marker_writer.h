// The production TxnMarkerWriter: appends each marker (a control batch) to
// the partition's log held by the PartitionManager and waits for its fsync;
// markers for __consumer_offsets go through the GroupCoordinator, which
// applies or drops the transaction's pending offsets once its marker is
// durable. Partitions of deleted topics are skipped.
//
// Thread-safety: thread-safe. The PartitionManager, GroupCoordinator and
// Clock must outlive it.
#pragma once

#include "keel/coordinator/clock.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/coordinator/txn_marker_writer.h"
#include "keel/partition/partition_manager.h"

namespace keel::coordinator {

class PartitionTxnMarkerWriter final : public TxnMarkerWriter {
 public:
  PartitionTxnMarkerWriter(partition::PartitionManager& partitions, GroupCoordinator* groups,
                           const Clock* clock)
      : partitions_(partitions), groups_(groups), clock_(clock) {}

  void WriteMarkers(int64_t producer_id, int16_t producer_epoch, bool commit,
                    std::vector<TopicPartition> partitions,
                    absl::AnyInvocable<void(absl::Status)> done) override;

 private:
  partition::PartitionManager& partitions_;
  GroupCoordinator* groups_;
  const Clock* clock_;
};

}  // namespace keel::coordinator
