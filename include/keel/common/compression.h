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

// Returns the decompressed form of `in`, at most `max_output` bytes.
absl::StatusOr<std::vector<uint8_t>> Decompress(Compression codec, std::span<const uint8_t> in,
                                                size_t max_output);

// "none", "gzip", "snappy", "lz4", "zstd" or "unknown", for logs and tests.
std::string_view CompressionName(Compression codec);

// True for the five codecs Kafka defines (0-4).
bool IsKnownCompression(Compression codec);

}  // namespace keel
