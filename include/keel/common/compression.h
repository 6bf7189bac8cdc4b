// Compression codecs of Kafka RecordBatch v2 (attributes bits 0-2), framed
// exactly as Kafka clients frame the records section of a batch:
//
//   kGzip    one gzip stream (RFC 1952). Decompress also accepts several
//            concatenated gzip members and a zlib (RFC 1950) stream.
//   kSnappy  either the snappy-java ("xerial") stream the Java client writes:
//              "\x82SNAPPY\0" | int32 version | int32 compatible version |
//              ( int32 compressed length | raw snappy block )*
//            (all integers big-endian), or one raw snappy block, which some
//            librdkafka versions write. Decompress tells them apart by the
//            8-byte magic (a raw block cannot start with it: its third byte
//            would be a back-reference before any literal). Compress writes
//            the xerial stream with 32 KiB input chunks, like snappy-java.
//   kLz4     the standard LZ4 frame format (lz4frame.h). Compress uses what
//            the Java client uses: independent 64 KiB blocks, no block or
//            content checksum, no content size. Decompress accepts any valid
//            frame (and concatenated frames).
//   kZstd    standard zstd frames, with or without a content size.
//   kNone    identity (still bounded by max_output).
//
// Errors: corrupt or truncated input -> DataLoss; output larger than
// `max_output` -> ResourceExhausted (decoding stops as soon as the limit is
// passed, so a decompression bomb costs at most about max_output bytes of
// memory plus the codec's own window); codec values 5-7 -> InvalidArgument.
//
// Thread-safety: every function is re-entrant; no state is shared between
// calls. Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/record_batch.h"

namespace keel {

// Chunk size of the snappy-java stream written by Compress(kSnappy).
inline constexpr size_t kSnappyJavaChunkSize = 32 * 1024;

// Returns the compressed form of `in`, framed as described above.
absl::StatusOr<std::vector<uint8_t>> Compress(Compression codec, std::span<const uint8_t> in);

// Kafka's compression levels (KIP-390: topic keys compression.gzip.level,
// compression.lz4.level, compression.zstd.level) and their defaults, which
// are what Compress(codec, in) uses.
//   gzip  1..9, or -1 = zlib's default (6)
//   lz4   1..17; 9 (the default) = the fast compressor, any other level =
//         LZ4 HC at that level (as the Java client's lz4-java does)
//   zstd  -131072..22 (negative = the fast modes); default 3
//   snappy and none have no level.
inline constexpr int kGzipLevelMin = 1, kGzipLevelMax = 9, kGzipLevelDefault = -1;
inline constexpr int kLz4LevelMin = 1, kLz4LevelMax = 17, kLz4LevelDefault = 9;
inline constexpr int kZstdLevelMin = -131072, kZstdLevelMax = 22, kZstdLevelDefault = 3;

// The compression level Compress(codec, in) uses for `codec` (0 for snappy
// and none, which have none).
int DefaultCompressionLevel(Compression codec);

// Compress at `level` (ignored for snappy and none). InvalidArgument for a
// level outside the codec's range above.
absl::StatusOr<std::vector<uint8_t>> Compress(Compression codec, std::span<const uint8_t> in,
                                              int level);

// Returns the decompressed form of `in`, at most `max_output` bytes.
absl::StatusOr<std::vector<uint8_t>> Decompress(Compression codec, std::span<const uint8_t> in,
                                                size_t max_output);

// "none", "gzip", "snappy", "lz4", "zstd" or "unknown", for logs and tests.
std::string_view CompressionName(Compression codec);

// True for the five codecs Kafka defines (0-4).
bool IsKnownCompression(Compression codec);

}  // namespace keel
