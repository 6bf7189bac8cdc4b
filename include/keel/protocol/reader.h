// Reader: bounds-checked decoding of Kafka wire primitives from a byte span.
//
// Every Read* returns OK and advances, or returns an error and leaves the
// position unspecified (callers abandon the message on the first error):
//   - DataLoss when the input ends before the value does (truncation);
//   - InvalidArgument when the bytes are present but impossible (negative
//     length, null where the version does not allow it, varint too long).
// Messages name the primitive and the byte position. Lengths and array counts
// are checked against the remaining bytes BEFORE anything is allocated, so a
// hostile 4-byte count cannot make the decoder reserve gigabytes.
//
// Ownership: the Reader does not own the span; spans it returns (ReadSpan,
// records) point into the same buffer and live as long as it does.
// Thread-safety: none; a Reader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "keel/common/types.h"
#include "keel/protocol/records_ref.h"

namespace keel::protocol {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> input) : input_(input) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return input_.size() - pos_; }
  bool empty() const { return pos_ == input_.size(); }

  // Fixed-width big-endian integers and friends.
  absl::Status ReadInt8(int8_t* out);
  absl::Status ReadInt16(int16_t* out);
  absl::Status ReadInt32(int32_t* out);
  absl::Status ReadInt64(int64_t* out);
  absl::Status ReadUint16(uint16_t* out);
  absl::Status ReadUint32(uint32_t* out);
  absl::Status ReadFloat64(double* out);
  // Any non-zero byte is true (Kafka's reading rule).
  absl::Status ReadBool(bool* out);
  absl::Status ReadUuid(Uuid* out);

  // Variable-length integers. Varint/Varlong are zigzag-encoded signed values
  // (as inside records); UnsignedVarint is the plain LEB128 form used for
  // compact lengths and tags. Over-long encodings are InvalidArgument.
  absl::Status ReadVarint(int32_t* out);
  absl::Status ReadVarlong(int64_t* out);
  absl::Status ReadUnsignedVarint(uint32_t* out);

  // STRING (int16 length) and COMPACT_STRING (uvarint length + 1). The
  // non-nullable forms reject null; the optional overloads accept a value into
  // an optional member (a field nullable only in other versions).
  absl::Status ReadString(std::string* out);
  absl::Status ReadString(std::optional<std::string>* out);
  absl::Status ReadNullableString(std::optional<std::string>* out);
  absl::Status ReadCompactString(std::string* out);
  absl::Status ReadCompactString(std::optional<std::string>* out);
  absl::Status ReadCompactNullableString(std::optional<std::string>* out);

  // BYTES (int32 length) and COMPACT_BYTES, same pattern as strings.
  absl::Status ReadBytes(std::vector<uint8_t>* out);
  absl::Status ReadBytes(std::optional<std::vector<uint8_t>>* out);
  absl::Status ReadNullableBytes(std::optional<std::vector<uint8_t>>* out);
  absl::Status ReadCompactBytes(std::vector<uint8_t>* out);
  absl::Status ReadCompactBytes(std::optional<std::vector<uint8_t>>* out);
  absl::Status ReadCompactNullableBytes(std::optional<std::vector<uint8_t>>* out);

  // RECORDS / COMPACT_RECORDS: a view into the input, no copy. A null value
  // is accepted only when `nullable`.
  absl::Status ReadRecords(RecordsRef* out, bool nullable);
  absl::Status ReadCompactRecords(RecordsRef* out, bool nullable);

  // Array counts. Sets *count to -1 for null (only when `nullable`). Rejects a
  // count whose elements could not fit: count * min_element_size must not
  // exceed remaining() (min_element_size is clamped to at least 1).
  absl::Status ReadArrayLength(int32_t* count, size_t min_element_size, bool nullable);
  absl::Status ReadCompactArrayLength(int32_t* count, size_t min_element_size, bool nullable);

  // One entry of a tagged-field section: tag, then size-prefixed data (a view
  // into the input). The section count is read with ReadUnsignedVarint.
  absl::Status ReadTaggedField(uint32_t* tag, std::span<const uint8_t>* data);
  // Reads a whole tagged-field section and discards it.
  absl::Status SkipTaggedFields();

  // The next `n` bytes as a view, advancing past them.
  absl::Status ReadSpan(size_t n, std::span<const uint8_t>* out);

 private:
  absl::Status Need(size_t n, const char* what);
  absl::Status ReadStringBody(int64_t length, std::string* out, const char* what);
  absl::Status ReadBytesBody(int64_t length, std::vector<uint8_t>* out, const char* what);
  // Length of a classic (int16/int32) or compact (uvarint - 1) string/bytes;
  // -1 means null.
  absl::Status ReadInt16Length(int64_t* out);
  absl::Status ReadInt32Length(int64_t* out);
  absl::Status ReadCompactLength(int64_t* out);
  absl::Status NullError(const char* what) const;

  std::span<const uint8_t> input_;
  size_t pos_ = 0;
};

}  // namespace keel::protocol
