// Writer: encodes Kafka wire primitives into a scatter list.
//
// Small values are appended to an owned buffer; large payloads (records) are
// attached with WriteExternal() as spans that are NOT copied, so a Fetch
// response can point straight at batch bytes read from storage. The caller
// keeps every external span alive until it is done with Fragments().
//
// The owned buffer may grow (and move) while writing; external spans are
// recorded by position and resolved only in Fragments(), so fragments are
// valid until the next write to this Writer (or its destruction).
//
// Writes never fail: encoding a well-formed message cannot go wrong, and the
// generated Encode() is void. Thread-safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/types.h"
#include "keel/protocol/records_ref.h"

namespace keel::protocol {

class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  Writer(Writer&&) = default;
  Writer& operator=(Writer&&) = default;

  // Total encoded bytes so far, owned plus external.
  size_t size() const { return owned_.size() + external_bytes_; }

  void WriteInt8(int8_t v) { owned_.push_back(uint8_t(v)); }
  void WriteInt16(int16_t v);
  void WriteInt32(int32_t v);
  void WriteInt64(int64_t v);
  void WriteUint16(uint16_t v);
  void WriteUint32(uint32_t v);
  void WriteFloat64(double v);
  void WriteBool(bool v) { owned_.push_back(v ? 1 : 0); }
  void WriteUuid(const Uuid& v);

  void WriteVarint(int32_t v);
  void WriteVarlong(int64_t v);
  void WriteUnsignedVarint(uint32_t v);

  // STRING / COMPACT_STRING; the nullable forms write -1 / 0 for nullopt.
  void WriteString(std::string_view v);
  void WriteNullableString(const std::optional<std::string>& v);
  void WriteCompactString(std::string_view v);
  void WriteCompactNullableString(const std::optional<std::string>& v);

  // BYTES / COMPACT_BYTES (copied into the owned buffer).
  void WriteBytes(std::span<const uint8_t> v);
  void WriteNullableBytes(const std::optional<std::vector<uint8_t>>& v);
  void WriteCompactBytes(std::span<const uint8_t> v);
  void WriteCompactNullableBytes(const std::optional<std::vector<uint8_t>>& v);

  // RECORDS / COMPACT_RECORDS: length prefix, then the bytes as an external
  // fragment (no copy). A null RecordsRef is written as null only when
  // `nullable`; otherwise as empty.
  void WriteRecords(const RecordsRef& v, bool nullable);
  void WriteCompactRecords(const RecordsRef& v, bool nullable);

  // Array counts; -1 writes null (int32 -1, or compact 0).
  void WriteArrayLength(int32_t count) { WriteInt32(count); }
  void WriteCompactArrayLength(int32_t count) { WriteUnsignedVarint(uint32_t(count + 1)); }

  // Copies raw bytes into the owned buffer.
  void WriteRaw(std::span<const uint8_t> bytes);
  // Appends a reference to bytes owned by the caller (see the class comment).
  void WriteExternal(std::span<const uint8_t> bytes);

  // Reserves 4 bytes (e.g. a frame size) and returns their position for
  // PatchInt32. REQUIRES: position refers to owned bytes written before any
  // WriteExternal() call.
  size_t ReserveInt32();
  void PatchInt32(size_t position, int32_t v);
  // Patches the 4 reserved bytes at `position` with the number of bytes
  // written after them. REQUIRES: nothing external was written before them.
  void PatchSizeAfter(size_t position) { PatchInt32(position, int32_t(size() - position - 4)); }

  // The encoded message as ordered fragments (owned runs and external spans).
  std::vector<std::span<const uint8_t>> Fragments() const;
  // A contiguous copy of everything (tests, small messages).
  std::vector<uint8_t> Flatten() const;

 private:
  struct External {
    size_t owned_position;  // owned bytes written before this fragment
    std::span<const uint8_t> bytes;
  };

  std::vector<uint8_t> owned_;
  std::vector<External> externals_;
  size_t external_bytes_ = 0;
};

}  // namespace keel::protocol
