// Builds valid Kafka RecordBatch v2 bytes (uncompressed) for tests and
// benchmarks, the way a producer would: offsets from 0, CRC-32C filled in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace keel::testutil {

struct TestRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_delta = 0;
};

struct BatchOptions {
  int64_t base_timestamp = 1700000000000;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int16_t attributes = 0;  // codec bits must stay 0: records are not compressed
};

// Returns one complete batch with the given records.
std::vector<uint8_t> BuildBatch(const std::vector<TestRecord>& records,
                                const BatchOptions& options = {});

// Convenience: `count` records whose values are `value_size` bytes derived
// from `seed`, keys "k<i>".
std::vector<uint8_t> BuildSimpleBatch(int count, size_t value_size, uint32_t seed = 0);

}  // namespace keel::testutil
