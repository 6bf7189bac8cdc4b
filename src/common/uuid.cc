// Uuid text form (URL-safe base64, no padding) and random generation.
#include <random>
#include <string>

#include "keel/common/types.h"

namespace keel {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string Uuid::ToString() const {
  std::string out;
  out.reserve(22);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

bool Uuid::Parse(std::string_view text, Uuid* out) {
  if (text.size() != 22) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (char c : text) {
    int v = DecodeChar(c);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (i < 16) out->bytes[i++] = uint8_t(acc >> bits);
    }
  }
  return i == 16;
}

Uuid Uuid::Random() {
  std::random_device rd;
  Uuid u;
  do {
    for (size_t i = 0; i < 16; i += 4) {
      uint32_t r = rd();
      for (int k = 0; k < 4; ++k) u.bytes[i + k] = uint8_t(r >> (8 * k));
    }
    u.bytes[6] = (u.bytes[6] & 0x0F) | 0x40;
    u.bytes[8] = (u.bytes[8] & 0x3F) | 0x80;
  } while (u.IsZero());
  return u;
}

}  // namespace keel
