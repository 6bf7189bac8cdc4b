// CRC-32C: slicing-by-8 tables computed at compile time, plus the SSE4.2 path.
//
// The crc32 instruction has a latency of about three cycles but can start one
// per cycle, so one dependent chain uses a third of it. The hardware path
// therefore runs three independent chains over three adjacent lanes of a
// block and joins them: CRC is linear, so the state after lanes A then B is
// Shift(state after A, |B|) xor (CRC of B from a zero state), where Shift
// advances a state over |B| zero bytes. Shift by a fixed lane size is a
// 32x32 bit matrix, applied with four 256-entry tables built at compile time.
#include "keel/common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace keel::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr auto kTables = MakeTables();

bool DetectHardware() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_SSE4_2) != 0;
#else
  return false;
#endif
}

const bool kHaveHardware = DetectHardware();

// Advances a (non-inverted) CRC state over `n` zero bytes, one byte at a time.
constexpr uint32_t OverZeros(uint32_t c, size_t n) {
  for (size_t i = 0; i < n; ++i) c = (c >> 8) ^ kTables[0][c & 0xFF];
  return c;
}

// The linear map "advance over kBytes zero bytes", split by input byte.
struct ZeroShift {
  std::array<std::array<uint32_t, 256>, 4> t;

  uint32_t Apply(uint32_t c) const {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
  }
};

constexpr ZeroShift MakeZeroShift(size_t n) {
  std::array<uint32_t, 32> basis{};
  for (int i = 0; i < 32; ++i) basis[i] = OverZeros(uint32_t(1) << i, n);
  ZeroShift z{};
  for (int k = 0; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t v = 0;
      for (int i = 0; i < 8; ++i) {
        if ((b >> i) & 1) v ^= basis[8 * k + i];
      }
      z.t[k][b] = v;
    }
  }
  return z;
}

// Lane sizes of the three-chain loop: long lanes for big batches, short ones
// for what is left (and for batches of a few hundred bytes).
constexpr size_t kLongLane = 2048;
constexpr size_t kShortLane = 256;
constexpr ZeroShift kLongShift = MakeZeroShift(kLongLane);
constexpr ZeroShift kShortShift = MakeZeroShift(kShortLane);

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
        kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)
namespace {

// Consumes whole blocks of three `lane`-byte lanes from p/n, each lane on
// its own crc32 chain, and returns the state after them.
__attribute__((target("sse4.2"))) uint64_t ThreeLanes(uint64_t c, const uint8_t*& p, size_t& n,
                                                      size_t lane, const ZeroShift& shift) {
  while (n >= 3 * lane) {
    uint64_t c0 = c, c1 = 0, c2 = 0;
    for (size_t i = 0; i < lane; i += 8) {
      uint64_t v0, v1, v2;
      std::memcpy(&v0, p + i, 8);
      std::memcpy(&v1, p + lane + i, 8);
      std::memcpy(&v2, p + 2 * lane + i, 8);
      c0 = _mm_crc32_u64(c0, v0);
      c1 = _mm_crc32_u64(c1, v1);
      c2 = _mm_crc32_u64(c2, v2);
    }
    c = shift.Apply(shift.Apply(uint32_t(c0)) ^ uint32_t(c1)) ^ uint32_t(c2);
    p += 3 * lane;
    n -= 3 * lane;
  }
  return c;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const uint8_t* p,
                                                          size_t n) {
  uint64_t c = ~crc;
  c = ThreeLanes(c, p, n, kLongLane, kLongShift);
  c = ThreeLanes(c, p, n, kShortLane, kShortShift);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = uint32_t(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#else
uint32_t ExtendHardware(uint32_t crc, const uint8_t* p, size_t n) {
  return ExtendPortable(crc, p, n);
}
#endif

bool HardwareAvailable() { return kHaveHardware; }

uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n) {
  return kHaveHardware ? ExtendHardware(crc, data, n) : ExtendPortable(crc, data, n);
}

}  // namespace keel::crc32c
