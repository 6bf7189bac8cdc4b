// Transaction markers: the control batches a transaction coordinator writes
// into every partition of a transaction to end it (Kafka's ControlRecord).
//
// A marker is a RecordBatch v2 with the transactional and control attribute
// bits, the producer's id and epoch, no sequence, and one record:
//   key   = int16 version (0), int16 type (0 = ABORT, 1 = COMMIT)
//   value = int16 version (0), int32 coordinator epoch
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace keel::coordinator {

std::vector<uint8_t> BuildTxnMarkerBatch(int64_t producer_id, int16_t producer_epoch, bool commit,
                                         int32_t coordinator_epoch, int64_t timestamp_ms);

}  // namespace keel::coordinator
