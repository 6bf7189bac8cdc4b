// Where a coordinator writes its records: the partitions of an internal
// topic (__consumer_offsets, __transaction_state). An interface so unit
// tests can hold writes back and complete them by hand, and so the coordinator needs no Asio.
//
// Thread-safety: implementations must be thread-safe. Append is called with
// the coordinator's lock held and must not call back into the coordinator;
// WaitDurable is called without it and may run `done` inline.
#pragma once

#include <cstdint>
#include <span>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "keel/coordinator/group_records.h"

namespace keel::coordinator {

class CoordinatorLog {
 public:
  virtual ~CoordinatorLog() = default;
  virtual int32_t partition_count() const = 0;
  // Appends `records` (in order, one batch) to `partition`; returns the
  // offset of the last one. Errors: the partition's append error.
  virtual absl::StatusOr<int64_t> Append(int32_t partition,
                                         std::span<const CoordinatorRecord> records) = 0;
  // Appends `records` as one transactional batch of the producer (offsets
  // committed inside a transaction: they take effect only with the
  // producer's COMMIT marker in the same partition). No sequence number.
  virtual absl::StatusOr<int64_t> AppendTransactional(
      int32_t partition, int64_t producer_id, int16_t producer_epoch,
      std::span<const CoordinatorRecord> records) = 0;
  // Appends the producer's COMMIT (`commit`) or ABORT marker (a control
  // batch). Returns its offset.
  virtual absl::StatusOr<int64_t> AppendMarker(int32_t partition, int64_t producer_id,
                                               int16_t producer_epoch, bool commit) = 0;
  // Runs done(Ok) once `last_offset` of `partition` is durable (fsynced), or
  // done(error) if that can no longer happen.
  virtual void WaitDurable(int32_t partition, int64_t last_offset,
                           absl::AnyInvocable<void(absl::Status)> done) = 0;
};

}  // namespace keel::coordinator
