// Walks the RecordBatch v2 batches stored in a range of a segment file.
//
// Used by recovery (validate, find the torn tail), index rebuilds and reads
// (find batch boundaries). Reads through a chunk buffer so a scan costs one
// pread per chunk, not per batch. Stateless; safe from any thread as long as
// the scanned range is not being rewritten.
#pragma once

#include <cstdint>
#include <limits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "keel/common/record_batch.h"
#include "keel/storage/file_system.h"

namespace keel::storage {

struct ScanOptions {
  // Batches whose base offset is >= this are fully validated (CRC, counts)
  // with keel::ValidateBatch; earlier ones only have their header checked.
  int64_t verify_crc_from_offset = std::numeric_limits<int64_t>::max();
  // If >= 0, the first batch must start at or after this offset and each
  // next batch after the previous one's last offset. Gaps are allowed: log
  // compaction removes whole batches, as in Kafka.
  int64_t min_base_offset = -1;
  // Bytes per pread.
  size_t chunk_bytes = 1 << 20;
};

struct ScanResult {
  uint64_t valid_end = 0;    // position after the last good batch
  int64_t next_offset = -1;  // last good batch's last offset + 1, or -1 if none
  uint64_t batches = 0;
  // OK if the range ended exactly at a batch boundary (or the callback
  // stopped the scan); otherwise why the scan stopped early.
  absl::Status stop_reason;
  bool zero_tail = false;  // the bytes at valid_end are zeros (preallocation)
};

// Scans [start, end) of `file`. The callback sees each good batch's header and
// position and returns false to stop. I/O errors are returned as the status;
// a bad batch is not an error but ends the scan (see ScanResult).
absl::StatusOr<ScanResult> ScanBatches(
    const FileHandle& file, uint64_t start, uint64_t end, const ScanOptions& options,
    absl::FunctionRef<bool(const BatchHeader&, uint64_t position)> on_batch);

// Reads every whole batch in [start, end) of `file`, in order, through a
// chunk buffer of about `chunk_bytes`, validating each (keel::ValidateBatch:
// length, magic, CRC). The span passed to `fn` is valid only during the call.
// DataLoss if a batch is torn, corrupt, or offsets go backwards; an error
// returned by `fn` stops the walk and is returned unchanged.
absl::Status ReadBatches(
    const FileHandle& file, uint64_t start, uint64_t end, size_t chunk_bytes,
    absl::FunctionRef<absl::Status(const BatchHeader&, std::span<const uint8_t> batch)> fn);

}  // namespace keel::storage
