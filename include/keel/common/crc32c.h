// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
// start-up) and a portable slicing-by-8 table otherwise. Both paths produce
// identical results; tests check them against published vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace keel::crc32c {

// Extends `crc` (the result of a previous call, or 0 to start) over `data`.
uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n);

inline uint32_t Value(std::span<const uint8_t> data) {
  return Extend(0, data.data(), data.size());
}

// The two implementations, exposed for tests and benchmarks.
uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t n);
uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t n);
bool HardwareAvailable();

}  // namespace keel::crc32c
