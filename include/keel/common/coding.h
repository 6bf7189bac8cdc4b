// Big-endian fixed-width integer load/store, as used by Kafka's wire format and
// RecordBatch headers. REQUIRES: the pointer has room for the width.
#pragma once

#include <cstdint>
#include <cstring>

namespace keel::coding {

inline uint16_t LoadBE16(const uint8_t* p) { return uint16_t(p[0]) << 8 | p[1]; }
inline uint32_t LoadBE32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t LoadBE64(const uint8_t* p) {
  return uint64_t(LoadBE32(p)) << 32 | LoadBE32(p + 4);
}
inline void StoreBE16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void StoreBE32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline void StoreBE64(uint8_t* p, uint64_t v) {
  StoreBE32(p, uint32_t(v >> 32));
  StoreBE32(p + 4, uint32_t(v));
}

}  // namespace keel::coding
