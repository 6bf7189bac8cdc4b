#include "keel/common/compression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "keel/common/coding.h"

namespace keel {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = uint8_t(rng());
  return out;
}

// Text-like data: words from a small vocabulary, so every codec shrinks it.
Bytes CompressibleBytes(size_t n) {
  static constexpr std::string_view kWords[] = {"keel ", "kafka ", "record ", "batch ",
                                                "offset ", "partition ", "topic ", "\n"};
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < n) s += kWords[rng() % 8];
  s.resize(n);
  return ToBytes(s);
}

// The payload of the frames below: "Keel says hello to Kafka clients. " x 3.
Bytes HelloPayload() {
  std::string s;
  for (int i = 0; i < 3; ++i) s += "Keel says hello to Kafka clients. ";
  return ToBytes(s);
}

// `printf ... | gzip -9 -n -c` (gzip 1.12).
const Bytes kGzipCliFrame = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x4e, 0x4d, 0xcd, 0x51,
    0x28, 0x4e, 0xac, 0x2c, 0x56, 0xc8, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x28, 0xc9, 0x57, 0xf0,
    0x4e, 0x4c, 0xcb, 0x4e, 0x54, 0x48, 0xce, 0xc9, 0x4c, 0xcd, 0x2b, 0x29, 0xd6, 0x53, 0xf0,
    0xa6, 0x82, 0x0a, 0x00, 0x39, 0x2e, 0x72, 0x06, 0x66, 0x00, 0x00, 0x00};

// `printf ... | zstd -c`: read from a pipe, so the frame has NO content size
// (frame header descriptor 0x04: checksum only), like the Java client's.
const Bytes kZstdCliFrame = {
    0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x55, 0x01, 0x00, 0x24, 0x02, 0x4b, 0x65, 0x65,
    0x6c, 0x20, 0x73, 0x61, 0x79, 0x73, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x74,
    0x6f, 0x20, 0x4b, 0x61, 0x66, 0x6b, 0x61, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
    0x73, 0x2e, 0x20, 0x01, 0x00, 0x8a, 0x82, 0xaa, 0x27, 0x16, 0x91, 0x22, 0x6d};

// `printf ... | lz4 -c`: independent blocks with a content checksum
// (FLG 0x64), settings the Java client does not use but must be accepted.
const Bytes kLz4CliFrame = {
    0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x2d, 0x00, 0x00, 0x00, 0xff, 0x13,
    0x4b, 0x65, 0x65, 0x6c, 0x20, 0x73, 0x61, 0x79, 0x73, 0x20, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x20, 0x74, 0x6f, 0x20, 0x4b, 0x61, 0x66, 0x6b, 0x61, 0x20, 0x63,
    0x6c, 0x69, 0x65, 0x6e, 0x74, 0x73, 0x2e, 0x20, 0x22, 0x00, 0x2c, 0x50, 0x6e,
    0x74, 0x73, 0x2e, 0x20, 0x00, 0x00, 0x00, 0x00, 0x82, 0x32, 0x5c, 0x06};

// One raw snappy block (python-snappy `snappy.compress`).
const Bytes kRawSnappyBlock = {
    0x66, 0x88, 0x4b, 0x65, 0x65, 0x6c, 0x20, 0x73, 0x61, 0x79, 0x73, 0x20, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0x20, 0x74, 0x6f, 0x20, 0x4b, 0x61, 0x66, 0x6b, 0x61, 0x20, 0x63,
    0x6c, 0x69, 0x65, 0x6e, 0x74, 0x73, 0x2e, 0x20, 0x4b, 0xee, 0x22, 0x00, 0x0d, 0x22};

// The snappy-java stream header: magic, version 1, compatible version 1.
const Bytes kXerialHeader = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                             0,    0,   0,   1,   0,   0,   0,   1};

// Header + one [BE length][raw block] chunk; the same bytes kafka-python's
// snappy_encode(xerial_compatible=True) writes for this payload.
Bytes XerialFrame(const std::vector<Bytes>& blocks) {
  Bytes out = kXerialHeader;
  for (const Bytes& b : blocks) {
    uint8_t len[4];
    coding::StoreBE32(len, uint32_t(b.size()));
    out.insert(out.end(), len, len + 4);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

constexpr Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip,
                                      Compression::kSnappy, Compression::kLz4,
                                      Compression::kZstd};
constexpr Compression kRealCodecs[] = {Compression::kGzip, Compression::kSnappy,
                                       Compression::kLz4, Compression::kZstd};

class EveryCodec : public ::testing::TestWithParam<Compression> {};
class EveryRealCodec : public ::testing::TestWithParam<Compression> {};

void ExpectRoundTrip(Compression codec, const Bytes& data) {
  auto compressed = Compress(codec, data);
  ASSERT_TRUE(compressed.ok()) << compressed.status();
  auto restored = Decompress(codec, *compressed, data.size());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(*restored == data) << CompressionName(codec) << " changed " << data.size()
                                 << " bytes";
}

TEST_P(EveryCodec, RoundTripsEmptyInput) { ExpectRoundTrip(GetParam(), {}); }

TEST_P(EveryCodec, RoundTripsSmallInput) { ExpectRoundTrip(GetParam(), HelloPayload()); }

TEST_P(EveryCodec, RoundTripsOneMiBOfRandomData) {
  ExpectRoundTrip(GetParam(), RandomBytes(1 << 20, 42));
}

TEST_P(EveryCodec, RoundTripsOneMiBOfCompressibleData) {
  ExpectRoundTrip(GetParam(), CompressibleBytes(1 << 20));
}

TEST_P(EveryRealCodec, ShrinksCompressibleData) {
  Bytes data = CompressibleBytes(1 << 20);
  auto compressed = Compress(GetParam(), data);
  ASSERT_TRUE(compressed.ok());
  EXPECT_LT(compressed->size(), data.size() / 2);
}

TEST_P(EveryRealCodec, EmptyInputIsDataLoss) {
  EXPECT_EQ(Decompress(GetParam(), {}, 1024).status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(EveryRealCodec, TruncatedInputIsDataLoss) {
  Bytes data = RandomBytes(64 * 1024, 3);
  auto compressed = Compress(GetParam(), data);
  ASSERT_TRUE(compressed.ok());
  for (size_t cut : {compressed->size() / 2, compressed->size() - 1}) {
    std::span<const uint8_t> head(compressed->data(), cut);
    auto r = Decompress(GetParam(), head, data.size());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
        << CompressionName(GetParam()) << " cut at " << cut << ": " << r.status();
  }
}

TEST_P(EveryRealCodec, RandomGarbageIsDataLoss) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    Bytes garbage = RandomBytes(200 + seed * 37, seed);
    auto r = Decompress(GetParam(), garbage, 1 << 20);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
        << CompressionName(GetParam()) << " seed " << seed << ": " << r.status();
  }
}

TEST_P(EveryRealCodec, FlippedBytesAreDetectedOrStayBounded) {
  // Flipping one byte must either be detected or (codecs without a checksum
  // over the data, such as snappy) still stay within the output bound; it
  // must never crash. Flips in headers and lengths are always detected.
  Bytes data = CompressibleBytes(16 * 1024);
  auto compressed = Compress(GetParam(), data);
  ASSERT_TRUE(compressed.ok());
  int detected = 0;
  for (size_t i = 0; i < compressed->size(); i += 7) {
    Bytes bad = *compressed;
    bad[i] ^= 0x5a;
    auto r = Decompress(GetParam(), bad, data.size() * 2);
    if (!r.ok()) {
      EXPECT_THAT(r.status().code(), ::testing::AnyOf(absl::StatusCode::kDataLoss,
                                                      absl::StatusCode::kResourceExhausted));
      ++detected;
    } else {
      EXPECT_LE(r->size(), data.size() * 2);
    }
  }
  EXPECT_GT(detected, 0);
}

TEST_P(EveryRealCodec, DecompressionBombIsResourceExhausted) {
  Bytes zeros(8 << 20, 0);
  auto compressed = Compress(GetParam(), zeros);
  ASSERT_TRUE(compressed.ok());
  ASSERT_LT(compressed->size(), 1u << 20);
  auto r = Decompress(GetParam(), *compressed, 1 << 20);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST_P(EveryCodec, OutputExactlyAtLimitIsAccepted) {
  Bytes data = CompressibleBytes(100000);
  auto compressed = Compress(GetParam(), data);
  ASSERT_TRUE(compressed.ok());
  EXPECT_TRUE(Decompress(GetParam(), *compressed, data.size()).ok());
  EXPECT_EQ(Decompress(GetParam(), *compressed, data.size() - 1).status().code(),
            absl::StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(Codecs, EveryCodec, ::testing::ValuesIn(kAllCodecs),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });
INSTANTIATE_TEST_SUITE_P(Codecs, EveryRealCodec, ::testing::ValuesIn(kRealCodecs),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST(CompressionTest, DecodesGzipCommandLineOutput) {
  auto r = Decompress(Compression::kGzip, kGzipCliFrame, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, HelloPayload());
}

TEST(CompressionTest, DecodesZstdFrameWithoutContentSize) {
  auto r = Decompress(Compression::kZstd, kZstdCliFrame, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, HelloPayload());
}

TEST(CompressionTest, DecodesLz4FrameWithContentChecksum) {
  auto r = Decompress(Compression::kLz4, kLz4CliFrame, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, HelloPayload());
}

TEST(CompressionTest, Lz4ContentChecksumMismatchIsDataLoss) {
  Bytes bad = kLz4CliFrame;
  bad.back() ^= 0x01;
  EXPECT_EQ(Decompress(Compression::kLz4, bad, 1024).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, DecodesRawSnappyBlock) {
  auto r = Decompress(Compression::kSnappy, kRawSnappyBlock, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, HelloPayload());
}

TEST(CompressionTest, DecodesSnappyJavaStream) {
  auto r = Decompress(Compression::kSnappy, XerialFrame({kRawSnappyBlock}), 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, HelloPayload());
}

TEST(CompressionTest, DecodesSnappyJavaStreamWithSeveralChunks) {
  auto r = Decompress(Compression::kSnappy,
                      XerialFrame({kRawSnappyBlock, kRawSnappyBlock, kRawSnappyBlock}), 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  const Bytes hello = HelloPayload();
  Bytes expected;
  for (int i = 0; i < 3; ++i) expected.insert(expected.end(), hello.begin(), hello.end());
  EXPECT_EQ(*r, expected);
}

TEST(CompressionTest, SnappyJavaHeaderWithoutChunksIsEmpty) {
  auto r = Decompress(Compression::kSnappy, kXerialHeader, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(CompressionTest, SnappyJavaTruncatedHeaderIsDataLoss) {
  Bytes half(kXerialHeader.begin(), kXerialHeader.begin() + 12);
  EXPECT_EQ(Decompress(Compression::kSnappy, half, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, SnappyJavaChunkPastEndIsDataLoss) {
  Bytes frame = XerialFrame({kRawSnappyBlock});
  coding::StoreBE32(frame.data() + 16, uint32_t(kRawSnappyBlock.size() + 1));
  EXPECT_EQ(Decompress(Compression::kSnappy, frame, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, SnappyJavaTruncatedChunkLengthIsDataLoss) {
  Bytes frame = XerialFrame({kRawSnappyBlock});
  frame.insert(frame.end(), {0, 0});
  EXPECT_EQ(Decompress(Compression::kSnappy, frame, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, SnappyCompressWritesJavaStreamInThirtyTwoKiBChunks) {
  Bytes data = CompressibleBytes(100 * 1024);
  auto c = Compress(Compression::kSnappy, data);
  ASSERT_TRUE(c.ok());
  ASSERT_GE(c->size(), kXerialHeader.size());
  EXPECT_TRUE(std::equal(kXerialHeader.begin(), kXerialHeader.end(), c->begin()));
  // Walk the chunks: 32 + 32 + 32 + 4 KiB of input.
  size_t pos = kXerialHeader.size();
  int chunks = 0;
  while (pos < c->size()) {
    ASSERT_LE(pos + 4, c->size());
    pos += 4 + coding::LoadBE32(c->data() + pos);
    ++chunks;
  }
  EXPECT_EQ(pos, c->size());
  EXPECT_EQ(chunks, 4);
}

TEST(CompressionTest, SnappyRawBlockClaimingImpossibleSizeIsDataLoss) {
  // Varint length 0x0fffffff (256 MiB) followed by one byte: no snappy block
  // expands that much, so this is corruption and fails before allocating.
  Bytes claim = {0xff, 0xff, 0xff, 0x7f, 0x00};
  EXPECT_EQ(Decompress(Compression::kSnappy, claim, size_t{1} << 30).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, Lz4CompressUsesJavaClientFrameSettings) {
  auto c = Compress(Compression::kLz4, HelloPayload());
  ASSERT_TRUE(c.ok());
  ASSERT_GE(c->size(), 7u);
  EXPECT_EQ(coding::LoadBE32(c->data()), 0x04224d18u);  // magic 0x184D2204, little-endian
  // FLG: version 01, independent blocks, no block/content checksum, no size.
  EXPECT_EQ((*c)[4], 0x60);
  // BD: 64 KiB maximum block size.
  EXPECT_EQ((*c)[5], 0x40);
}

TEST(CompressionTest, GzipCompressWritesGzipHeader) {
  auto c = Compress(Compression::kGzip, HelloPayload());
  ASSERT_TRUE(c.ok());
  ASSERT_GE(c->size(), 18u);
  EXPECT_EQ((*c)[0], 0x1f);
  EXPECT_EQ((*c)[1], 0x8b);
  EXPECT_EQ((*c)[2], 0x08);  // deflate
}

TEST(CompressionTest, GzipConcatenatedMembersAreDecoded) {
  Bytes two = kGzipCliFrame;
  two.insert(two.end(), kGzipCliFrame.begin(), kGzipCliFrame.end());
  auto r = Decompress(Compression::kGzip, two, 1024);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 2 * HelloPayload().size());
}

TEST(CompressionTest, GzipTrailingGarbageIsDataLoss) {
  Bytes bad = kGzipCliFrame;
  bad.insert(bad.end(), {0xde, 0xad});
  EXPECT_EQ(Decompress(Compression::kGzip, bad, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, GzipCrcMismatchIsDataLoss) {
  Bytes bad = kGzipCliFrame;
  bad[bad.size() - 8] ^= 0xff;  // CRC-32 of the trailer
  EXPECT_EQ(Decompress(Compression::kGzip, bad, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, ZstdDeclaredSizeOverLimitFailsUpFront) {
  auto c = Compress(Compression::kZstd, Bytes(1 << 20, 'x'));  // one-shot: size declared
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Decompress(Compression::kZstd, *c, 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CompressionTest, ZstdTrailingGarbageIsDataLoss) {
  Bytes bad = kZstdCliFrame;
  bad.insert(bad.end(), {1, 2, 3, 4, 5});
  EXPECT_EQ(Decompress(Compression::kZstd, bad, 1024).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CompressionTest, NoneCodecIsBoundedByMaxOutput) {
  Bytes data(100, 1);
  EXPECT_TRUE(Decompress(Compression::kNone, data, 100).ok());
  EXPECT_EQ(Decompress(Compression::kNone, data, 99).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CompressionTest, UnknownCodecIsInvalidArgument) {
  EXPECT_EQ(Compress(Compression(5), HelloPayload()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decompress(Compression(7), HelloPayload(), 1024).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsKnownCompression(Compression(6)));
  EXPECT_EQ(CompressionName(Compression(6)), "unknown");
}

}  // namespace
}  // namespace keel
