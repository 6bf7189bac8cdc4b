// Kafka record-batch codecs on top of zlib, snappy, lz4frame and zstd. See
// compression.h for the framing of each codec and the error contract.
#include "keel/common/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"

namespace keel {
namespace {

using Bytes = std::vector<uint8_t>;

// snappy-java stream header: 8-byte magic, then version and minimum
// compatible version as big-endian int32 (both 1 in every known writer).
constexpr uint8_t kSnappyJavaMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kSnappyJavaHeaderSize = 16;
constexpr uint32_t kSnappyJavaVersion = 1;
constexpr uint32_t kSnappyJavaCompatibleVersion = 1;
// Upper bound of a raw snappy block's output per input byte (64 / 3, rounded up).
constexpr size_t kSnappyMaxExpansion = 22;

// This abseil build has its own string_view type, distinct from std's.
absl::string_view Name(Compression codec) {
  std::string_view n = CompressionName(codec);
  return absl::string_view(n.data(), n.size());
}

absl::Status TooLarge(Compression codec, size_t max_output) {
  return absl::ResourceExhaustedError(absl::StrCat(
      Name(codec), ": decompressed data exceeds the limit of ", max_output, " bytes"));
}

absl::Status Corrupt(Compression codec, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(Name(codec), ": ", what));
}

// A growable output buffer that never holds more than max_output + 1 bytes:
// a decoder that manages to write byte max_output + 1 has proven the output is
// too large, without ever allocating more than that.
class BoundedOutput {
 public:
  BoundedOutput(size_t max_output, size_t size_hint)
      : max_(max_output),
        cap_(max_output == std::numeric_limits<size_t>::max() ? max_output : max_output + 1) {
    buf_.resize(std::min(cap_, std::clamp<size_t>(size_hint, 256, size_t{1} << 20)));
  }

  uint8_t* next() { return buf_.data() + used_; }
  size_t room() const { return buf_.size() - used_; }
  size_t used() const { return used_; }
  bool exceeded() const { return used_ > max_; }
  void advance(size_t n) { used_ += n; }

  // Makes room() > 0. REQUIRES: !exceeded() (then used_ < cap_).
  void EnsureRoom() {
    if (room() > 0) return;
    size_t grown = buf_.size() > cap_ / 2 ? cap_ : std::max<size_t>(buf_.size() * 2, 256);
    buf_.resize(grown);
  }

  Bytes Take() && {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  size_t max_;
  size_t cap_;
  size_t used_ = 0;
  Bytes buf_;
};

// ---------------------------------------------------------------- gzip

struct InflateStream {
  z_stream zs{};
  bool live = false;
  ~InflateStream() {
    if (live) inflateEnd(&zs);
  }
};

absl::StatusOr<Bytes> GzipDecompress(std::span<const uint8_t> in, size_t max_output) {
  constexpr Compression kCodec = Compression::kGzip;
  if (in.empty()) return Corrupt(kCodec, "empty input is not a gzip stream");
  InflateStream s;
  // 15 + 32: 32 KiB window, detect a gzip or zlib header automatically.
  if (inflateInit2(&s.zs, 15 + 32) != Z_OK) return absl::InternalError("gzip: inflateInit2 failed");
  s.live = true;
  BoundedOutput out(max_output, in.size() * 4);
  size_t in_pos = 0;
  while (true) {
    out.EnsureRoom();
    const size_t in_chunk = std::min<size_t>(in.size() - in_pos, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(out.room(), UINT_MAX);
    s.zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
    s.zs.avail_in = uInt(in_chunk);
    s.zs.next_out = out.next();
    s.zs.avail_out = uInt(out_chunk);
    const int rc = inflate(&s.zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - s.zs.avail_in;
    const size_t produced = out_chunk - s.zs.avail_out;
    in_pos += consumed;
    out.advance(produced);
    if (out.exceeded()) return TooLarge(kCodec, max_output);
    switch (rc) {
      case Z_STREAM_END:
        if (in_pos == in.size()) return std::move(out).Take();
        // Java's GZIPInputStream also reads concatenated gzip members.
        if (in.size() - in_pos < 2 || in[in_pos] != 0x1f || in[in_pos + 1] != 0x8b) {
          return Corrupt(kCodec, absl::StrCat(in.size() - in_pos,
                                              " trailing bytes after the end of the gzip stream"));
        }
        inflateReset(&s.zs);
        continue;
      case Z_OK:
      case Z_BUF_ERROR:
        // zlib emits all the output it can; with output room left and no
        // input left, the stream is cut short.
        if (in_pos == in.size() && out.room() > 0) {
          return Corrupt(kCodec, "stream truncated before its end");
        }
        if (consumed == 0 && produced == 0 && out.room() > 0) {
          return Corrupt(kCodec, "decoder made no progress");
        }
        continue;
      case Z_MEM_ERROR:
        return absl::ResourceExhaustedError("gzip: out of memory");
      default:
        return Corrupt(kCodec, s.zs.msg != nullptr ? s.zs.msg : "invalid deflate data");
    }
  }
}

absl::StatusOr<Bytes> GzipCompress(std::span<const uint8_t> in, int level) {
  if (in.size() > UINT_MAX) return absl::InvalidArgumentError("gzip: input larger than 4 GiB");
  z_stream zs{};
  // 15 + 16: 32 KiB window with a gzip header and trailer.
  // Kafka's -1 is zlib's Z_DEFAULT_COMPRESSION (-1) too.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  // deflateBound counts only a minimal gzip header; ours has no name/extra.
  Bytes out(deflateBound(&zs, uLong(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  zs.next_out = out.data();
  zs.avail_out = uInt(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InternalError(absl::StrCat("gzip: deflate returned ", rc));
  out.resize(written);
  return out;
}

// ---------------------------------------------------------------- snappy

// Decodes raw snappy blocks, sizing the output once from the blocks' length
// prefixes so that an oversized claim fails before any allocation.
absl::StatusOr<Bytes> SnappyBlocks(const std::vector<std::span<const uint8_t>>& blocks,
                                   size_t max_output) {
  constexpr Compression kCodec = Compression::kSnappy;
  std::vector<size_t> sizes(blocks.size());
  size_t total = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto* p = reinterpret_cast<const char*>(blocks[i].data());
    if (!snappy::GetUncompressedLength(p, blocks[i].size(), &sizes[i])) {
      return Corrupt(kCodec, absl::StrCat("block ", i, " has no valid length prefix"));
    }
    // The best snappy can do is a 3-byte copy element yielding 64 bytes, so a
    // larger claim is corruption, not a (legitimate but oversized) payload.
    if (sizes[i] / kSnappyMaxExpansion > blocks[i].size()) {
      return Corrupt(kCodec, absl::StrCat("block ", i, " of ", blocks[i].size(),
                                          " bytes claims an impossible ", sizes[i],
                                          " bytes of output"));
    }
    if (sizes[i] > max_output - total) return TooLarge(kCodec, max_output);
    total += sizes[i];
  }
  Bytes out(total);
  size_t pos = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto* p = reinterpret_cast<const char*>(blocks[i].data());
    if (!snappy::RawUncompress(p, blocks[i].size(), reinterpret_cast<char*>(out.data() + pos))) {
      return Corrupt(kCodec, absl::StrCat("block ", i, " is corrupt"));
    }
    pos += sizes[i];
  }
  return out;
}

absl::StatusOr<Bytes> SnappyDecompress(std::span<const uint8_t> in, size_t max_output) {
  constexpr Compression kCodec = Compression::kSnappy;
  const bool java_framing = in.size() >= sizeof(kSnappyJavaMagic) &&
                            std::memcmp(in.data(), kSnappyJavaMagic, sizeof(kSnappyJavaMagic)) == 0;
  if (!java_framing) {
    // librdkafka (and other non-Java clients) may send one raw snappy block.
    if (in.empty()) return Corrupt(kCodec, "empty input is not a snappy block");
    return SnappyBlocks({in}, max_output);
  }
  if (in.size() < kSnappyJavaHeaderSize) return Corrupt(kCodec, "snappy-java header truncated");
  // The version fields are not checked: every writer uses 1/1 and the chunk
  // layout has never changed; the chunks themselves are fully validated.
  std::vector<std::span<const uint8_t>> blocks;
  size_t pos = kSnappyJavaHeaderSize;
  while (pos < in.size()) {
    if (in.size() - pos < 4) {
      return Corrupt(kCodec, absl::StrCat("snappy-java chunk length truncated at offset ", pos));
    }
    const uint32_t len = coding::LoadBE32(in.data() + pos);
    pos += 4;
    if (len > in.size() - pos) {
      return Corrupt(kCodec, absl::StrCat("snappy-java chunk of ", len, " bytes at offset ", pos - 4,
                                          " runs past the end (", in.size() - pos, " left)"));
    }
    blocks.push_back(in.subspan(pos, len));
    pos += len;
  }
  return SnappyBlocks(blocks, max_output);
}

absl::StatusOr<Bytes> SnappyCompress(std::span<const uint8_t> in) {
  Bytes out(kSnappyJavaHeaderSize);
  std::memcpy(out.data(), kSnappyJavaMagic, sizeof(kSnappyJavaMagic));
  coding::StoreBE32(out.data() + 8, kSnappyJavaVersion);
  coding::StoreBE32(out.data() + 12, kSnappyJavaCompatibleVersion);
  for (size_t pos = 0; pos < in.size(); pos += kSnappyJavaChunkSize) {
    const size_t n = std::min(kSnappyJavaChunkSize, in.size() - pos);
    const size_t at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + pos), n,
                        reinterpret_cast<char*>(out.data() + at + 4), &written);
    coding::StoreBE32(out.data() + at, uint32_t(written));
    out.resize(at + 4 + written);
  }
  return out;
}

// ---------------------------------------------------------------- lz4

struct Lz4DecompressionContext {
  LZ4F_dctx* ctx = nullptr;
  ~Lz4DecompressionContext() {
    if (ctx != nullptr) LZ4F_freeDecompressionContext(ctx);
  }
};

absl::StatusOr<Bytes> Lz4Decompress(std::span<const uint8_t> in, size_t max_output) {
  constexpr Compression kCodec = Compression::kLz4;
  if (in.empty()) return Corrupt(kCodec, "empty input is not an LZ4 frame");
  Lz4DecompressionContext d;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&d.ctx, LZ4F_VERSION))) {
    return absl::InternalError("lz4: cannot create a decompression context");
  }
  BoundedOutput out(max_output, in.size() * 4);
  size_t in_pos = 0;
  while (true) {
    out.EnsureRoom();
    size_t dst_size = out.room();
    size_t src_size = in.size() - in_pos;
    const size_t hint = LZ4F_decompress(d.ctx, out.next(), &dst_size, in.data() + in_pos,
                                        &src_size, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(kCodec, LZ4F_getErrorName(hint));
    in_pos += src_size;
    out.advance(dst_size);
    if (out.exceeded()) return TooLarge(kCodec, max_output);
    if (hint == 0) {
      // End of a frame; the context is ready for a concatenated next frame.
      if (in_pos == in.size()) return std::move(out).Take();
      continue;
    }
    if (in_pos == in.size() && out.room() > 0) return Corrupt(kCodec, "frame truncated");
    if (src_size == 0 && dst_size == 0 && out.room() > 0) {
      return Corrupt(kCodec, "decoder made no progress");
    }
  }
}

absl::StatusOr<Bytes> Lz4Compress(std::span<const uint8_t> in, int level) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  // Kafka's default level is the fast compressor (LZ4F level 0); other levels
  // are LZ4 HC levels (LZ4F uses HC from level 3; 1 and 2 stay fast).
  prefs.compressionLevel = level == kLz4LevelDefault ? 0 : level;
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  Bytes out(LZ4F_compressFrameBound(in.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    return absl::InternalError(absl::StrCat("lz4: ", LZ4F_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

// ---------------------------------------------------------------- zstd

struct ZstdDecompressionContext {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~ZstdDecompressionContext() { ZSTD_freeDCtx(ctx); }
};

absl::StatusOr<Bytes> ZstdDecompress(std::span<const uint8_t> in, size_t max_output) {
  constexpr Compression kCodec = Compression::kZstd;
  if (in.empty()) return Corrupt(kCodec, "empty input is not a zstd frame");
  size_t hint = in.size() * 4;
  // A declared content size lets a bomb fail before decoding and gives the
  // exact buffer size; streaming writers (the Java client) omit it.
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    if (declared > max_output) return TooLarge(kCodec, max_output);
    hint = size_t(declared);
  }
  ZstdDecompressionContext d;
  if (d.ctx == nullptr) return absl::InternalError("zstd: cannot create a decompression context");
  BoundedOutput out(max_output, hint);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  while (true) {
    out.EnsureRoom();
    ZSTD_outBuffer dst{out.next(), out.room(), 0};
    const size_t in_before = src.pos;
    const size_t rc = ZSTD_decompressStream(d.ctx, &dst, &src);
    if (ZSTD_isError(rc)) return Corrupt(kCodec, ZSTD_getErrorName(rc));
    out.advance(dst.pos);
    if (out.exceeded()) return TooLarge(kCodec, max_output);
    if (rc == 0) {
      // End of a frame; another (or a skippable frame) may follow.
      if (src.pos == src.size) return std::move(out).Take();
      continue;
    }
    if (src.pos == src.size && out.room() > 0) return Corrupt(kCodec, "frame truncated");
    if (src.pos == in_before && dst.pos == 0 && out.room() > 0) {
      return Corrupt(kCodec, "decoder made no progress");
    }
  }
}

absl::StatusOr<Bytes> ZstdCompress(std::span<const uint8_t> in, int level) {
  Bytes out(ZSTD_compressBound(in.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  out.resize(n);
  return out;
}

absl::Status UnknownCodec(Compression codec) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression codec ", int(codec), " (Kafka defines 0-4)"));
}

}  // namespace

std::string_view CompressionName(Compression codec) {
  switch (codec) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

bool IsKnownCompression(Compression codec) { return uint8_t(codec) <= uint8_t(Compression::kZstd); }

int DefaultCompressionLevel(Compression codec) {
  switch (codec) {
    case Compression::kGzip: return kGzipLevelDefault;
    case Compression::kLz4: return kLz4LevelDefault;
    case Compression::kZstd: return kZstdLevelDefault;
    default: return 0;
  }
}

absl::StatusOr<std::vector<uint8_t>> Compress(Compression codec, std::span<const uint8_t> in) {
  return Compress(codec, in, DefaultCompressionLevel(codec));
}

absl::StatusOr<std::vector<uint8_t>> Compress(Compression codec, std::span<const uint8_t> in,
                                              int level) {
  auto bad_level = [&](int lo, int hi) {
    return absl::InvalidArgumentError(absl::StrCat(Name(codec), ": compression level ", level,
                                                   " is outside [", lo, ", ", hi, "]"));
  };
  switch (codec) {
    case Compression::kNone: return Bytes(in.begin(), in.end());
    case Compression::kGzip:
      if (level != kGzipLevelDefault && (level < kGzipLevelMin || level > kGzipLevelMax))
        return bad_level(kGzipLevelMin, kGzipLevelMax);
      return GzipCompress(in, level);
    case Compression::kSnappy: return SnappyCompress(in);
    case Compression::kLz4:
      if (level < kLz4LevelMin || level > kLz4LevelMax) return bad_level(kLz4LevelMin, kLz4LevelMax);
      return Lz4Compress(in, level);
    case Compression::kZstd:
      if (level < kZstdLevelMin || level > kZstdLevelMax)
        return bad_level(kZstdLevelMin, kZstdLevelMax);
      return ZstdCompress(in, level);
  }
  return UnknownCodec(codec);
}

absl::StatusOr<std::vector<uint8_t>> Decompress(Compression codec, std::span<const uint8_t> in,
                                                size_t max_output) {
  switch (codec) {
    case Compression::kNone:
      if (in.size() > max_output) return TooLarge(codec, max_output);
      return Bytes(in.begin(), in.end());
    case Compression::kGzip: return GzipDecompress(in, max_output);
    case Compression::kSnappy: return SnappyDecompress(in, max_output);
    case Compression::kLz4: return Lz4Decompress(in, max_output);
    case Compression::kZstd: return ZstdDecompress(in, max_output);
  }
  return UnknownCodec(codec);
}

}  // namespace keel
