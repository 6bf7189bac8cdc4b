// Scatter-list encoding of Kafka wire primitives. See writer.h.
#include "keel/protocol/writer.h"

#include <bit>

#include "keel/common/coding.h"

namespace keel::protocol {

void Writer::WriteInt16(int16_t v) {
  uint8_t buf[2];
  coding::StoreBE16(buf, uint16_t(v));
  owned_.insert(owned_.end(), buf, buf + 2);
}

void Writer::WriteInt32(int32_t v) {
  uint8_t buf[4];
  coding::StoreBE32(buf, uint32_t(v));
  owned_.insert(owned_.end(), buf, buf + 4);
}

void Writer::WriteInt64(int64_t v) {
  uint8_t buf[8];
  coding::StoreBE64(buf, uint64_t(v));
  owned_.insert(owned_.end(), buf, buf + 8);
}

void Writer::WriteUint16(uint16_t v) { WriteInt16(int16_t(v)); }
void Writer::WriteUint32(uint32_t v) { WriteInt32(int32_t(v)); }
void Writer::WriteFloat64(double v) { WriteInt64(std::bit_cast<int64_t>(v)); }

void Writer::WriteUuid(const Uuid& v) { owned_.insert(owned_.end(), v.bytes.begin(), v.bytes.end()); }

void Writer::WriteUnsignedVarint(uint32_t v) {
  while (v >= 0x80) {
    owned_.push_back(uint8_t(v | 0x80));
    v >>= 7;
  }
  owned_.push_back(uint8_t(v));
}

void Writer::WriteVarint(int32_t v) {
  WriteUnsignedVarint((uint32_t(v) << 1) ^ uint32_t(v >> 31));
}

void Writer::WriteVarlong(int64_t v) {
  uint64_t u = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (u >= 0x80) {
    owned_.push_back(uint8_t(u | 0x80));
    u >>= 7;
  }
  owned_.push_back(uint8_t(u));
}

void Writer::WriteString(std::string_view v) {
  WriteInt16(int16_t(v.size()));
  owned_.insert(owned_.end(), v.begin(), v.end());
}

void Writer::WriteNullableString(const std::optional<std::string>& v) {
  if (!v) {
    WriteInt16(-1);
    return;
  }
  WriteString(*v);
}

void Writer::WriteCompactString(std::string_view v) {
  WriteUnsignedVarint(uint32_t(v.size() + 1));
  owned_.insert(owned_.end(), v.begin(), v.end());
}

void Writer::WriteCompactNullableString(const std::optional<std::string>& v) {
  if (!v) {
    WriteUnsignedVarint(0);
    return;
  }
  WriteCompactString(*v);
}

void Writer::WriteBytes(std::span<const uint8_t> v) {
  WriteInt32(int32_t(v.size()));
  WriteRaw(v);
}

void Writer::WriteNullableBytes(const std::optional<std::vector<uint8_t>>& v) {
  if (!v) {
    WriteInt32(-1);
    return;
  }
  WriteBytes(*v);
}

void Writer::WriteCompactBytes(std::span<const uint8_t> v) {
  WriteUnsignedVarint(uint32_t(v.size() + 1));
  WriteRaw(v);
}

void Writer::WriteCompactNullableBytes(const std::optional<std::vector<uint8_t>>& v) {
  if (!v) {
    WriteUnsignedVarint(0);
    return;
  }
  WriteCompactBytes(*v);
}

void Writer::WriteRecords(const RecordsRef& v, bool nullable) {
  if (v.is_null && nullable) {
    WriteInt32(-1);
    return;
  }
  WriteInt32(int32_t(v.bytes.size()));
  WriteExternal(v.bytes);
}

void Writer::WriteCompactRecords(const RecordsRef& v, bool nullable) {
  if (v.is_null && nullable) {
    WriteUnsignedVarint(0);
    return;
  }
  WriteUnsignedVarint(uint32_t(v.bytes.size() + 1));
  WriteExternal(v.bytes);
}

void Writer::WriteRaw(std::span<const uint8_t> bytes) {
  owned_.insert(owned_.end(), bytes.begin(), bytes.end());
}

void Writer::WriteExternal(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  externals_.push_back(External{owned_.size(), bytes});
  external_bytes_ += bytes.size();
}

size_t Writer::ReserveInt32() {
  size_t position = owned_.size();
  WriteInt32(0);
  return position;
}

void Writer::PatchInt32(size_t position, int32_t v) {
  coding::StoreBE32(owned_.data() + position, uint32_t(v));
}

std::vector<std::span<const uint8_t>> Writer::Fragments() const {
  std::vector<std::span<const uint8_t>> out;
  out.reserve(2 * externals_.size() + 1);
  size_t owned_done = 0;
  for (const External& e : externals_) {
    if (e.owned_position > owned_done) {
      out.emplace_back(owned_.data() + owned_done, e.owned_position - owned_done);
      owned_done = e.owned_position;
    }
    out.push_back(e.bytes);
  }
  if (owned_.size() > owned_done) {
    out.emplace_back(owned_.data() + owned_done, owned_.size() - owned_done);
  }
  return out;
}

std::vector<uint8_t> Writer::Flatten() const {
  std::vector<uint8_t> out;
  out.reserve(size());
  for (std::span<const uint8_t> f : Fragments()) out.insert(out.end(), f.begin(), f.end());
  return out;
}

}  // namespace keel::protocol
