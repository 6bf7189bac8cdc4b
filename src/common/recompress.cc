// Recompression of one record batch to another codec (see recompress.h).
#include "keel/common/recompress.h"

#include <cstring>
#include <limits>

#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/crc32c.h"

namespace keel {

absl::StatusOr<std::vector<uint8_t>> RecompressBatch(std::span<const uint8_t> batch,
                                                     const BatchHeader& header,
                                                     Compression target, int level,
                                                     size_t max_decompressed) {
  if (batch.size() < kBatchHeaderSize || batch.size() != header.total_size()) {
    return absl::InvalidArgumentError("recompress: span is not exactly one batch");
  }
  std::span<const uint8_t> body = batch.subspan(kBatchHeaderSize);
  std::vector<uint8_t> inflated;
  std::span<const uint8_t> plain = body;
  if (header.compression() != Compression::kNone) {
    auto d = Decompress(header.compression(), body, max_decompressed);
    if (!d.ok()) return d.status();
    inflated = std::move(*d);
    plain = inflated;
  }
  std::vector<uint8_t> out;
  if (target == Compression::kNone) {
    out.resize(kBatchHeaderSize + plain.size());
    if (!plain.empty()) std::memcpy(out.data() + kBatchHeaderSize, plain.data(), plain.size());
  } else {
    auto c = Compress(target, plain, level);
    if (!c.ok()) return c.status();
    out.resize(kBatchHeaderSize + c->size());
    std::memcpy(out.data() + kBatchHeaderSize, c->data(), c->size());
  }
  if (out.size() - kBatchLogOverhead > size_t(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError("recompress: records section larger than a batch can hold");
  }
  std::memcpy(out.data(), batch.data(), kBatchHeaderSize);
  uint8_t* p = out.data();
  coding::StoreBE32(p + batch_offsets::kBatchLength, uint32_t(out.size() - kBatchLogOverhead));
  uint16_t attributes = uint16_t(header.attributes);
  attributes = uint16_t((attributes & ~uint16_t(batch_attr::kCompressionMask)) | uint16_t(target));
  coding::StoreBE16(p + batch_offsets::kAttributes, attributes);
  coding::StoreBE32(p + batch_offsets::kCrc,
                    crc32c::Extend(0, p + kBatchCrcStart, out.size() - kBatchCrcStart));
  return out;
}

}  // namespace keel
