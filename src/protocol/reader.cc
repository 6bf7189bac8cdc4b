// Bounds-checked decoding of Kafka wire primitives. See reader.h.
#include "keel/protocol/reader.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/status_macros.h"

namespace keel::protocol {

absl::Status Reader::Need(size_t n, const char* what) {
  if (remaining() >= n) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("truncated ", what, " at byte ", pos_, ": need ", n,
                                          " bytes, ", remaining(), " left"));
}

absl::Status Reader::NullError(const char* what) const {
  return absl::InvalidArgumentError(
      absl::StrCat("null ", what, " at byte ", pos_, " where the version does not allow null"));
}

absl::Status Reader::ReadInt8(int8_t* out) {
  KEEL_RETURN_IF_ERROR(Need(1, "int8"));
  *out = static_cast<int8_t>(input_[pos_]);
  pos_ += 1;
  return absl::OkStatus();
}

absl::Status Reader::ReadInt16(int16_t* out) {
  KEEL_RETURN_IF_ERROR(Need(2, "int16"));
  *out = static_cast<int16_t>(coding::LoadBE16(input_.data() + pos_));
  pos_ += 2;
  return absl::OkStatus();
}

absl::Status Reader::ReadInt32(int32_t* out) {
  KEEL_RETURN_IF_ERROR(Need(4, "int32"));
  *out = static_cast<int32_t>(coding::LoadBE32(input_.data() + pos_));
  pos_ += 4;
  return absl::OkStatus();
}

absl::Status Reader::ReadInt64(int64_t* out) {
  KEEL_RETURN_IF_ERROR(Need(8, "int64"));
  *out = static_cast<int64_t>(coding::LoadBE64(input_.data() + pos_));
  pos_ += 8;
  return absl::OkStatus();
}

absl::Status Reader::ReadUint16(uint16_t* out) {
  KEEL_RETURN_IF_ERROR(Need(2, "uint16"));
  *out = coding::LoadBE16(input_.data() + pos_);
  pos_ += 2;
  return absl::OkStatus();
}

absl::Status Reader::ReadUint32(uint32_t* out) {
  KEEL_RETURN_IF_ERROR(Need(4, "uint32"));
  *out = coding::LoadBE32(input_.data() + pos_);
  pos_ += 4;
  return absl::OkStatus();
}

absl::Status Reader::ReadFloat64(double* out) {
  KEEL_RETURN_IF_ERROR(Need(8, "float64"));
  *out = std::bit_cast<double>(coding::LoadBE64(input_.data() + pos_));
  pos_ += 8;
  return absl::OkStatus();
}

absl::Status Reader::ReadBool(bool* out) {
  KEEL_RETURN_IF_ERROR(Need(1, "bool"));
  *out = input_[pos_] != 0;
  pos_ += 1;
  return absl::OkStatus();
}

absl::Status Reader::ReadUuid(Uuid* out) {
  KEEL_RETURN_IF_ERROR(Need(16, "uuid"));
  std::memcpy(out->bytes.data(), input_.data() + pos_, 16);
  pos_ += 16;
  return absl::OkStatus();
}

absl::Status Reader::ReadUnsignedVarint(uint32_t* out) {
  uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    KEEL_RETURN_IF_ERROR(Need(1, "unsigned varint"));
    uint8_t b = input_[pos_++];
    if (i == 4 && (b & 0xf0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unsigned varint overflows 32 bits at byte ", pos_ - 1));
    }
    value |= uint32_t(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = value;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unsigned varint longer than 5 bytes at byte ", pos_));
}

absl::Status Reader::ReadVarint(int32_t* out) {
  uint32_t raw = 0;
  KEEL_RETURN_IF_ERROR(ReadUnsignedVarint(&raw));
  *out = static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return absl::OkStatus();
}

absl::Status Reader::ReadVarlong(int64_t* out) {
  uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    KEEL_RETURN_IF_ERROR(Need(1, "varlong"));
    uint8_t b = input_[pos_++];
    if (i == 9 && (b & 0xfe) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("varlong overflows 64 bits at byte ", pos_ - 1));
    }
    value |= uint64_t(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("varlong longer than 10 bytes at byte ", pos_));
}

absl::Status Reader::ReadInt16Length(int64_t* out) {
  int16_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt16(&n));
  if (n < -1) return absl::InvalidArgumentError(absl::StrCat("negative length ", n, " at byte ", pos_ - 2));
  *out = n;
  return absl::OkStatus();
}

absl::Status Reader::ReadInt32Length(int64_t* out) {
  int32_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt32(&n));
  if (n < -1) return absl::InvalidArgumentError(absl::StrCat("negative length ", n, " at byte ", pos_ - 4));
  *out = n;
  return absl::OkStatus();
}

absl::Status Reader::ReadCompactLength(int64_t* out) {
  uint32_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadUnsignedVarint(&n));
  *out = int64_t(n) - 1;
  return absl::OkStatus();
}

absl::Status Reader::ReadStringBody(int64_t length, std::string* out, const char* what) {
  KEEL_RETURN_IF_ERROR(Need(size_t(length), what));
  out->assign(reinterpret_cast<const char*>(input_.data() + pos_), size_t(length));
  pos_ += size_t(length);
  return absl::OkStatus();
}

absl::Status Reader::ReadBytesBody(int64_t length, std::vector<uint8_t>* out,
                                   const char* what) {
  KEEL_RETURN_IF_ERROR(Need(size_t(length), what));
  out->assign(input_.begin() + pos_, input_.begin() + pos_ + length);
  pos_ += size_t(length);
  return absl::OkStatus();
}

absl::Status Reader::ReadString(std::string* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt16Length(&n));
  if (n < 0) return NullError("string");
  return ReadStringBody(n, out, "string");
}

absl::Status Reader::ReadString(std::optional<std::string>* out) {
  return ReadString(&out->emplace());
}

absl::Status Reader::ReadNullableString(std::optional<std::string>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt16Length(&n));
  if (n < 0) {
    out->reset();
    return absl::OkStatus();
  }
  return ReadStringBody(n, &out->emplace(), "string");
}

absl::Status Reader::ReadCompactString(std::string* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) return NullError("compact string");
  return ReadStringBody(n, out, "compact string");
}

absl::Status Reader::ReadCompactString(std::optional<std::string>* out) {
  return ReadCompactString(&out->emplace());
}

absl::Status Reader::ReadCompactNullableString(std::optional<std::string>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) {
    out->reset();
    return absl::OkStatus();
  }
  return ReadStringBody(n, &out->emplace(), "compact string");
}

absl::Status Reader::ReadBytes(std::vector<uint8_t>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt32Length(&n));
  if (n < 0) return NullError("bytes");
  return ReadBytesBody(n, out, "bytes");
}

absl::Status Reader::ReadBytes(std::optional<std::vector<uint8_t>>* out) {
  return ReadBytes(&out->emplace());
}

absl::Status Reader::ReadNullableBytes(std::optional<std::vector<uint8_t>>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt32Length(&n));
  if (n < 0) {
    out->reset();
    return absl::OkStatus();
  }
  return ReadBytesBody(n, &out->emplace(), "bytes");
}

absl::Status Reader::ReadCompactBytes(std::vector<uint8_t>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) return NullError("compact bytes");
  return ReadBytesBody(n, out, "compact bytes");
}

absl::Status Reader::ReadCompactBytes(std::optional<std::vector<uint8_t>>* out) {
  return ReadCompactBytes(&out->emplace());
}

absl::Status Reader::ReadCompactNullableBytes(std::optional<std::vector<uint8_t>>* out) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) {
    out->reset();
    return absl::OkStatus();
  }
  return ReadBytesBody(n, &out->emplace(), "compact bytes");
}

absl::Status Reader::ReadRecords(RecordsRef* out, bool nullable) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt32Length(&n));
  if (n < 0) {
    if (!nullable) return NullError("records");
    *out = RecordsRef{{}, true};
    return absl::OkStatus();
  }
  out->is_null = false;
  return ReadSpan(size_t(n), &out->bytes);
}

absl::Status Reader::ReadCompactRecords(RecordsRef* out, bool nullable) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) {
    if (!nullable) return NullError("compact records");
    *out = RecordsRef{{}, true};
    return absl::OkStatus();
  }
  out->is_null = false;
  return ReadSpan(size_t(n), &out->bytes);
}

namespace {
absl::Status CheckCount(int64_t count, size_t min_element_size, size_t remaining, size_t pos) {
  if (min_element_size == 0) min_element_size = 1;
  if (uint64_t(count) > remaining / min_element_size) {
    return absl::InvalidArgumentError(absl::StrCat("array count ", count, " at byte ", pos,
                                              " cannot fit in the ", remaining,
                                              " bytes left (each element takes at least ",
                                              min_element_size, ")"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Reader::ReadArrayLength(int32_t* count, size_t min_element_size, bool nullable) {
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadInt32Length(&n));
  if (n < 0) {
    if (!nullable) return NullError("array");
    *count = -1;
    return absl::OkStatus();
  }
  KEEL_RETURN_IF_ERROR(CheckCount(n, min_element_size, remaining(), pos_ - 4));
  *count = int32_t(n);
  return absl::OkStatus();
}

absl::Status Reader::ReadCompactArrayLength(int32_t* count, size_t min_element_size,
                                            bool nullable) {
  size_t start = pos_;
  int64_t n = 0;
  KEEL_RETURN_IF_ERROR(ReadCompactLength(&n));
  if (n < 0) {
    if (!nullable) return NullError("compact array");
    *count = -1;
    return absl::OkStatus();
  }
  KEEL_RETURN_IF_ERROR(CheckCount(n, min_element_size, remaining(), start));
  *count = int32_t(n);
  return absl::OkStatus();
}

absl::Status Reader::ReadTaggedField(uint32_t* tag, std::span<const uint8_t>* data) {
  KEEL_RETURN_IF_ERROR(ReadUnsignedVarint(tag));
  uint32_t size = 0;
  KEEL_RETURN_IF_ERROR(ReadUnsignedVarint(&size));
  return ReadSpan(size, data);
}

absl::Status Reader::SkipTaggedFields() {
  uint32_t count = 0;
  KEEL_RETURN_IF_ERROR(ReadUnsignedVarint(&count));
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag = 0;
    std::span<const uint8_t> data;
    KEEL_RETURN_IF_ERROR(ReadTaggedField(&tag, &data));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadSpan(size_t n, std::span<const uint8_t>* out) {
  KEEL_RETURN_IF_ERROR(Need(n, "byte run"));
  *out = input_.subspan(pos_, n);
  pos_ += n;
  return absl::OkStatus();
}

}  // namespace keel::protocol
