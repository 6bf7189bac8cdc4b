#include "keel/common/crc32c.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace keel::crc32c {
namespace {

struct Vector {
  std::vector<uint8_t> data;
  uint32_t crc;
};

std::vector<Vector> KnownVectors() {
  std::vector<Vector> v;
  std::string nine = "123456789";
  v.push_back({std::vector<uint8_t>(nine.begin(), nine.end()), 0xE3069283u});
  v.push_back({std::vector<uint8_t>(32, 0x00), 0x8A9136AAu});  // RFC 3720 B.4
  v.push_back({std::vector<uint8_t>(32, 0xFF), 0x62A8AB43u});
  std::vector<uint8_t> inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = uint8_t(i);
    dec[i] = uint8_t(31 - i);
  }
  v.push_back({inc, 0x46DD794Eu});
  v.push_back({dec, 0x113FDB5Cu});
  v.push_back({{}, 0u});
  return v;
}

TEST(Crc32c, PortableMatchesKnownVectors) {
  for (const auto& v : KnownVectors())
    EXPECT_EQ(ExtendPortable(0, v.data.data(), v.data.size()), v.crc);
}

TEST(Crc32c, HardwareMatchesKnownVectors) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  for (const auto& v : KnownVectors())
    EXPECT_EQ(ExtendHardware(0, v.data.data(), v.data.size()), v.crc);
}

TEST(Crc32c, ExtendIsIncremental) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  uint32_t whole = Value(data);
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    uint32_t a = Extend(0, data.data(), split);
    EXPECT_EQ(Extend(a, data.data() + split, data.size() - split), whole) << split;
    uint32_t p = ExtendPortable(0, data.data(), split);
    EXPECT_EQ(ExtendPortable(p, data.data() + split, data.size() - split), whole) << split;
  }
}

// The hardware path joins three chains over lanes of 2048 and 256 bytes:
// every length around those block sizes, and odd starts and initial values,
// must give the portable result.
TEST(Crc32c, HardwareLanesMatchPortableAtEveryBlockBoundary) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::vector<uint8_t> data(3 * 3 * 2048 + 3 * 256 + 64);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = uint8_t(x >> 16);
  }
  std::vector<size_t> lengths;
  for (size_t base : {size_t(0), size_t(768), size_t(6144), size_t(6144 + 768), size_t(12288),
                      size_t(18432)}) {
    for (size_t d = 0; d < 24; ++d) {
      if (base + d >= 8) lengths.push_back(base + d - 8);
    }
  }
  for (size_t start : {size_t(0), size_t(1), size_t(5)}) {
    for (size_t len : lengths) {
      if (start + len > data.size()) continue;
      for (uint32_t init : {0u, 0xDEADBEEFu}) {
        ASSERT_EQ(ExtendHardware(init, data.data() + start, len),
                  ExtendPortable(init, data.data() + start, len))
            << "start " << start << " length " << len << " init " << init;
      }
    }
  }
}

}  // namespace
}  // namespace keel::crc32c
