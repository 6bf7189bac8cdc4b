// Where the transaction coordinator sends its decisions: the COMMIT/ABORT
// markers for every partition of a transaction. An interface so unit tests
// can record, delay or fail marker writes.
//
// Thread-safety: implementations must be thread-safe. WriteMarkers is never
// called with the coordinator's lock held; `done` may run inline or on any
// thread.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "keel/common/types.h"

namespace keel::coordinator {

class TxnMarkerWriter {
 public:
  virtual ~TxnMarkerWriter() = default;
  // Writes the producer's marker into every partition of `partitions` and
  // calls done(Ok) once all of them are durable (partitions that no longer
  // exist are skipped), or done(error) if any could not be written.
  // Writing a marker twice is harmless: a marker for a producer without an
  // open transaction ends nothing.
  virtual void WriteMarkers(int64_t producer_id, int16_t producer_epoch, bool commit,
                            std::vector<TopicPartition> partitions,
                            absl::AnyInvocable<void(absl::Status)> done) = 0;
};

}  // namespace keel::coordinator
