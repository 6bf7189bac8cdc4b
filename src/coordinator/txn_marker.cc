#include "keel/coordinator/txn_marker.h"

#include "keel/common/coding.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"

namespace keel::coordinator {

std::vector<uint8_t> BuildTxnMarkerBatch(int64_t producer_id, int16_t producer_epoch, bool commit,
                                         int32_t coordinator_epoch, int64_t timestamp_ms) {
  uint8_t key[4];
  coding::StoreBE16(key, 0);
  coding::StoreBE16(key + 2, commit ? 1 : 0);
  uint8_t value[6];
  coding::StoreBE16(value, 0);
  coding::StoreBE32(value + 2, uint32_t(coordinator_epoch));
  RecordInput record;
  record.offset_delta = 0;
  record.key = std::span<const uint8_t>(key, sizeof key);
  record.value = std::span<const uint8_t>(value, sizeof value);
  BatchHeader header;
  header.attributes = batch_attr::kTransactional | batch_attr::kControl;
  header.base_timestamp = timestamp_ms;
  header.max_timestamp = timestamp_ms;
  header.producer_id = producer_id;
  header.producer_epoch = producer_epoch;
  header.base_sequence = -1;
  return BuildRecordBatch(header, std::span<const RecordInput>(&record, 1), Compression::kNone);
}

}  // namespace keel::coordinator
