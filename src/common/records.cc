// Record iteration, producer-batch validation and record encoding for
// RecordBatch v2. See records.h for the record grammar and the contracts.
#include "keel/common/records.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/compression.h"
#include "keel/common/crc32c.h"
#include "keel/common/status_macros.h"

namespace keel {
namespace {

// Smallest possible record: length, attributes, timestampDelta, offsetDelta,
// key length, value length and header count, one byte each.
constexpr size_t kMinRecordSize = 7;
// Smallest possible header: key length and value length, one byte each.
constexpr size_t kMinHeaderSize = 2;

// Bounds-checked reader over a byte span. Every Read* returns false (and
// leaves the position unspecified) when the data is malformed or too short.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }

  bool ReadByte(uint8_t* v) {
    if (pos_ == data_.size()) return false;
    *v = data_[pos_++];
    return true;
  }

  // Zigzag varint of at most 10 bytes whose value fits in 64 bits.
  bool ReadVarlong(int64_t* v) {
    if (pos_ < data_.size() && data_[pos_] < 0x80) {  // one byte: the common case
      uint8_t b = data_[pos_++];
      *v = int64_t(b >> 1) ^ -int64_t(b & 1);
      return true;
    }
    uint64_t raw = 0;
    for (int i = 0; i < 10; ++i) {
      uint8_t b;
      if (!ReadByte(&b)) return false;
      if (i == 9 && b > 0x01) return false;  // bits beyond 64
      raw |= uint64_t(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = int64_t(raw >> 1) ^ -int64_t(raw & 1);
        return true;
      }
    }
    return false;
  }

  // Zigzag varint of at most 5 bytes whose value fits in 32 bits.
  bool ReadVarint(int32_t* v) {
    if (pos_ < data_.size() && data_[pos_] < 0x80) {  // one byte: the common case
      uint8_t b = data_[pos_++];
      *v = int32_t(b >> 1) ^ -int32_t(b & 1);
      return true;
    }
    uint32_t raw = 0;
    for (int i = 0; i < 5; ++i) {
      uint8_t b;
      if (!ReadByte(&b)) return false;
      if (i == 4 && b > 0x0f) return false;  // bits beyond 32
      raw |= uint32_t(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = int32_t(raw >> 1) ^ -int32_t(raw & 1);
        return true;
      }
    }
    return false;
  }

  bool ReadSpan(size_t n, std::span<const uint8_t>* v) {
    if (n > remaining()) return false;
    *v = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

absl::Status RecordError(int32_t index, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("record ", index, ": ", what));
}

// Names a bytes field in error messages: "key", "value", or "header <h>
// key"/"header <h> value" when header >= 0. Formatted only on error.
struct Field {
  absl::string_view name;
  int32_t header = -1;
};

std::string FieldName(Field f) {
  return f.header < 0 ? std::string(f.name) : absl::StrCat("header ", f.header, " ", f.name);
}

// Reads "bytes": varint length (-1 = null) then that many bytes.
absl::Status ReadNullableBytes(Cursor& c, int32_t index, Field field,
                               std::optional<std::span<const uint8_t>>* out) {
  int32_t len;
  if (!c.ReadVarint(&len)) {
    return RecordError(index, absl::StrCat("malformed ", FieldName(field), " length"));
  }
  if (len == -1) {
    out->reset();
    return absl::OkStatus();
  }
  if (len < 0) {
    return RecordError(index, absl::StrCat(FieldName(field), " length ", len, " is negative"));
  }
  std::span<const uint8_t> bytes;
  if (!c.ReadSpan(size_t(len), &bytes)) {
    return RecordError(index, absl::StrCat(FieldName(field), " length ", len, " exceeds the ",
                                           c.remaining(), " bytes left in the record"));
  }
  *out = bytes;
  return absl::OkStatus();
}

// The checks of ParseRecord without building error messages: true and `r`
// filled exactly when ParseRecord would succeed. Keeps the per-record cost of
// validating a produce (no Status objects, no out-of-line calls) small; on
// false, ParseRecord reruns from the same position to say what is wrong.
bool ParseRecordFast(Cursor& c, RecordView& r) {
  auto nullable = [](Cursor& b, std::optional<std::span<const uint8_t>>* out) {
    int32_t len;
    if (!b.ReadVarint(&len)) return false;
    if (len == -1) {
      out->reset();
      return true;
    }
    std::span<const uint8_t> bytes;
    if (len < 0 || !b.ReadSpan(size_t(len), &bytes)) return false;
    *out = bytes;
    return true;
  };
  int32_t length;
  std::span<const uint8_t> body_bytes;
  if (!c.ReadVarint(&length) || length < 0 || !c.ReadSpan(size_t(length), &body_bytes)) {
    return false;
  }
  Cursor body(body_bytes);
  uint8_t attributes;
  int32_t header_count;
  if (!body.ReadByte(&attributes) || !body.ReadVarlong(&r.timestamp_delta) ||
      !body.ReadVarint(&r.offset_delta) || !nullable(body, &r.key) || !nullable(body, &r.value) ||
      !body.ReadVarint(&header_count) || header_count < 0 ||
      size_t(header_count) > body.remaining() / kMinHeaderSize) {
    return false;
  }
  r.attributes = int8_t(attributes);
  r.headers.clear();
  if (header_count > 0) {
    r.headers.reserve(size_t(header_count));
    for (int32_t h = 0; h < header_count; ++h) {
      HeaderView header;
      std::optional<std::span<const uint8_t>> key;
      if (!nullable(body, &key) || !key || !nullable(body, &header.value)) return false;
      header.key = *key;
      r.headers.push_back(header);
    }
  }
  return body.remaining() == 0;
}

// Decodes record `index` at the cursor into `r` (whose header vector is
// reused) and advances past it.
absl::Status ParseRecord(Cursor& c, int32_t index, RecordView& r) {
  int32_t length;
  if (!c.ReadVarint(&length)) return RecordError(index, "malformed length");
  if (length < 0) return RecordError(index, absl::StrCat("negative length ", length));
  std::span<const uint8_t> body_bytes;
  if (!c.ReadSpan(size_t(length), &body_bytes)) {
    return RecordError(index, absl::StrCat("length ", length, " exceeds the ", c.remaining(),
                                           " bytes left in the batch"));
  }
  Cursor body(body_bytes);
  uint8_t attributes;
  if (!body.ReadByte(&attributes)) return RecordError(index, "truncated before attributes");
  r.attributes = int8_t(attributes);
  if (!body.ReadVarlong(&r.timestamp_delta)) return RecordError(index, "malformed timestampDelta");
  if (!body.ReadVarint(&r.offset_delta)) return RecordError(index, "malformed offsetDelta");
  KEEL_RETURN_IF_ERROR(ReadNullableBytes(body, index, {"key"}, &r.key));
  KEEL_RETURN_IF_ERROR(ReadNullableBytes(body, index, {"value"}, &r.value));
  int32_t header_count;
  if (!body.ReadVarint(&header_count)) return RecordError(index, "malformed header count");
  if (header_count < 0 || size_t(header_count) > body.remaining() / kMinHeaderSize) {
    return RecordError(index, absl::StrCat("header count ", header_count, " impossible with ",
                                           body.remaining(), " bytes left in the record"));
  }
  r.headers.clear();
  r.headers.reserve(size_t(header_count));
  for (int32_t h = 0; h < header_count; ++h) {
    HeaderView header;
    std::optional<std::span<const uint8_t>> key;
    KEEL_RETURN_IF_ERROR(ReadNullableBytes(body, index, {"key", h}, &key));
    if (!key) return RecordError(index, absl::StrCat("header ", h, " has a null key"));
    header.key = *key;
    KEEL_RETURN_IF_ERROR(
        ReadNullableBytes(body, index, {"value", h}, &header.value));
    r.headers.push_back(header);
  }
  if (body.remaining() != 0) {
    return RecordError(index, absl::StrCat("length field says ", length, " bytes but the fields use ",
                                           size_t(length) - body.remaining()));
  }
  return absl::OkStatus();
}

// ---- encoding

uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }

size_t VarintSize(int64_t v) {
  uint64_t z = ZigZag(v);
  size_t n = 1;
  while (z >= 0x80) {
    z >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(std::vector<uint8_t>& out, int64_t v) {
  uint64_t z = ZigZag(v);
  while (z >= 0x80) {
    out.push_back(uint8_t(z) | 0x80);
    z >>= 7;
  }
  out.push_back(uint8_t(z));
}

size_t NullableBytesSize(const std::optional<std::span<const uint8_t>>& b) {
  return b ? VarintSize(int64_t(b->size())) + b->size() : VarintSize(-1);
}

void PutNullableBytes(std::vector<uint8_t>& out, const std::optional<std::span<const uint8_t>>& b) {
  if (!b) {
    PutVarint(out, -1);
    return;
  }
  PutVarint(out, int64_t(b->size()));
  out.insert(out.end(), b->begin(), b->end());
}

}  // namespace

absl::Status ForEachRecord(std::span<const uint8_t> batch,
                           absl::FunctionRef<absl::Status(const RecordView&)> fn,
                           size_t max_decompressed) {
  KEEL_ASSIGN_OR_RETURN(const BatchHeader h, ParseBatchHeader(batch));
  if (h.total_size() != batch.size()) {
    return absl::DataLossError(absl::StrCat("record batch length field says ", h.total_size(),
                                            " bytes, have ", batch.size()));
  }
  if (h.records_count < 0) {
    return absl::DataLossError(absl::StrCat("negative record count ", h.records_count));
  }
  std::span<const uint8_t> records = batch.subspan(kBatchHeaderSize);
  std::vector<uint8_t> inflated;
  const Compression codec = h.compression();
  if (codec != Compression::kNone) {
    if (!IsKnownCompression(codec)) {
      return absl::DataLossError(
          absl::StrCat("record batch attributes name unknown codec ", int(codec)));
    }
    KEEL_ASSIGN_OR_RETURN(inflated, Decompress(codec, records, max_decompressed));
    records = inflated;
  }
  if (size_t(h.records_count) > records.size() / kMinRecordSize) {
    return absl::DataLossError(absl::StrCat("recordsCount ", h.records_count, " cannot fit in ",
                                            records.size(), " bytes of records"));
  }
  Cursor c(records);
  RecordView view;
  for (int32_t i = 0; i < h.records_count; ++i) {
    Cursor start = c;
    if (!ParseRecordFast(c, view)) {
      c = start;
      KEEL_RETURN_IF_ERROR(ParseRecord(c, i, view));
    }
    KEEL_RETURN_IF_ERROR(fn(view));
  }
  if (c.remaining() != 0) {
    return absl::DataLossError(absl::StrCat(c.remaining(), " trailing bytes after the ",
                                            h.records_count, " records the header announces"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProducedRecords> CheckProducedRecords(std::span<const uint8_t> batch,
                                                     const BatchHeader& h, bool require_keys,
                                                     size_t max_decompressed) {
  ProducedRecords out;
  int32_t index = 0;
  KEEL_RETURN_IF_ERROR(ForEachRecord(
      batch,
      [&](const RecordView& r) -> absl::Status {
        if (r.offset_delta != index) out.needs_renumbering = true;
        // Java's long addition wraps; Kafka neither checks nor refuses it.
        const int64_t ts = int64_t(uint64_t(h.base_timestamp) + uint64_t(r.timestamp_delta));
        out.max_timestamp = std::max(out.max_timestamp, ts);
        if (require_keys && !r.key) {
          return absl::InvalidArgumentError(absl::StrCat(
              "compacted topic cannot accept a record without a key (record ", index, ")"));
        }
        ++index;
        return absl::OkStatus();
      },
      max_decompressed));
  return out;
}

absl::Status ValidateRecords(std::span<const uint8_t> batch, size_t max_decompressed) {
  KEEL_ASSIGN_OR_RETURN(const BatchHeader h, ValidateBatch(batch));
  if (h.records_count == 0) return absl::DataLossError("producer batch has no records");
  if (int64_t(h.last_offset_delta) + 1 != h.records_count) {
    return absl::DataLossError(absl::StrCat("lastOffsetDelta ", h.last_offset_delta,
                                            " does not match recordsCount ", h.records_count));
  }
  return CheckProducedRecords(batch, h, /*require_keys=*/false, max_decompressed).status();
}

absl::StatusOr<std::vector<uint8_t>> RenumberRecords(std::span<const uint8_t> batch,
                                                     size_t max_decompressed) {
  KEEL_ASSIGN_OR_RETURN(const BatchHeader h, ParseBatchHeader(batch));
  // The views die with their callback: keep each record's bytes (encoded
  // again, uncompressed) and decode those once all are read.
  std::vector<uint8_t> encoded;
  int32_t index = 0;
  KEEL_RETURN_IF_ERROR(ForEachRecord(
      batch,
      [&](const RecordView& r) {
        RecordInput copy = r;
        copy.offset_delta = index++;
        AppendRecord(copy, encoded);
        return absl::OkStatus();
      },
      max_decompressed));
  std::vector<RecordInput> records(static_cast<size_t>(index));
  Cursor c(encoded);
  for (RecordInput& r : records) {
    if (!ParseRecordFast(c, r)) return absl::InternalError("re-encoded record does not decode");
  }
  return BuildRecordBatch(h, records, h.compression());
}

void AppendRecord(const RecordInput& r, std::vector<uint8_t>& out) {
  size_t body = 1 + VarintSize(r.timestamp_delta) + VarintSize(r.offset_delta) +
                NullableBytesSize(r.key) + NullableBytesSize(r.value) +
                VarintSize(int64_t(r.headers.size()));
  for (const HeaderView& hv : r.headers) {
    body += VarintSize(int64_t(hv.key.size())) + hv.key.size() + NullableBytesSize(hv.value);
  }
  out.reserve(out.size() + VarintSize(int64_t(body)) + body);
  PutVarint(out, int64_t(body));
  out.push_back(uint8_t(r.attributes));
  PutVarint(out, r.timestamp_delta);
  PutVarint(out, r.offset_delta);
  PutNullableBytes(out, r.key);
  PutNullableBytes(out, r.value);
  PutVarint(out, int64_t(r.headers.size()));
  for (const HeaderView& hv : r.headers) {
    PutVarint(out, int64_t(hv.key.size()));
    out.insert(out.end(), hv.key.begin(), hv.key.end());
    PutNullableBytes(out, hv.value);
  }
}

std::vector<uint8_t> BuildRecordBatch(const BatchHeader& t, std::span<const RecordInput> records,
                                      Compression codec) {
  std::vector<uint8_t> encoded;
  int32_t last_offset_delta = t.last_offset_delta;
  int64_t max_timestamp_delta = std::numeric_limits<int64_t>::min();
  for (const RecordInput& r : records) {
    AppendRecord(r, encoded);
    last_offset_delta = std::max(last_offset_delta, r.offset_delta);
    max_timestamp_delta = std::max(max_timestamp_delta, r.timestamp_delta);
  }
  std::vector<uint8_t> out(kBatchHeaderSize);
  if (codec == Compression::kNone) {
    out.insert(out.end(), encoded.begin(), encoded.end());
  } else {
    absl::StatusOr<std::vector<uint8_t>> compressed = Compress(codec, encoded);
    if (!compressed.ok()) std::abort();  // REQUIRES violated or out of memory.
    out.insert(out.end(), compressed->begin(), compressed->end());
  }
  const bool keep_max = records.empty() || (t.attributes & batch_attr::kLogAppendTime) != 0;
  // Wrapping add: an overflowing timestamp is the caller's data to keep as-is
  // (ValidateRecords rejects it), not undefined behaviour here.
  const int64_t max_timestamp =
      keep_max ? t.max_timestamp
               : int64_t(uint64_t(t.base_timestamp) + uint64_t(max_timestamp_delta));
  const int16_t attributes =
      int16_t((t.attributes & ~batch_attr::kCompressionMask) | int16_t(codec));

  namespace bo = batch_offsets;
  uint8_t* p = out.data();
  coding::StoreBE64(p + bo::kBaseOffset, uint64_t(t.base_offset));
  coding::StoreBE32(p + bo::kBatchLength, uint32_t(out.size() - kBatchLogOverhead));
  coding::StoreBE32(p + bo::kPartitionLeaderEpoch, uint32_t(t.partition_leader_epoch));
  p[bo::kMagic] = uint8_t(kBatchMagicV2);
  coding::StoreBE16(p + bo::kAttributes, uint16_t(attributes));
  coding::StoreBE32(p + bo::kLastOffsetDelta, uint32_t(last_offset_delta));
  coding::StoreBE64(p + bo::kBaseTimestamp, uint64_t(t.base_timestamp));
  coding::StoreBE64(p + bo::kMaxTimestamp, uint64_t(max_timestamp));
  coding::StoreBE64(p + bo::kProducerId, uint64_t(t.producer_id));
  coding::StoreBE16(p + bo::kProducerEpoch, uint16_t(t.producer_epoch));
  coding::StoreBE32(p + bo::kBaseSequence, uint32_t(t.base_sequence));
  coding::StoreBE32(p + bo::kRecordsCount, uint32_t(records.size()));
  coding::StoreBE32(p + bo::kCrc, crc32c::Extend(0, p + kBatchCrcStart, out.size() - kBatchCrcStart));
  return out;
}

}  // namespace keel
