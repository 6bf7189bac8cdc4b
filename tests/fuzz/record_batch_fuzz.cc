// libFuzzer target: RecordBatch v2 header parsing and validation over
// arbitrary bytes (keel::ParseBatchHeader, ValidateBatch, NextBatchSize).
// Must never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "keel/common/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  absl::StatusOr<keel::BatchHeader> header = keel::ParseBatchHeader(bytes);
  absl::StatusOr<keel::BatchHeader> valid = keel::ValidateBatch(bytes);
  if (valid.ok()) {
    // A valid batch has a parseable header that agrees on the size.
    if (!header.ok() || header->total_size() != size) std::abort();
  }
  // Walk the buffer as a sequence of batches, as storage recovery does.
  while (!bytes.empty()) {
    absl::StatusOr<size_t> next = keel::NextBatchSize(bytes);
    if (!next.ok() || *next == 0) break;
    if (*next > bytes.size()) std::abort();
    (void)keel::ValidateBatch(bytes.first(*next));
    bytes = bytes.subspan(*next);
  }
  return 0;
}
