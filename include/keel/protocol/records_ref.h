// RecordsRef and RawTaggedField: the two value types the generated messages
// use besides plain C++ types.
//
// RecordsRef is a non-owning view of a `records` field (concatenated
// RecordBatch v2 bytes). Decoding points it into the request buffer, so the
// buffer must outlive the decoded message; encoding hands the bytes to the
// Writer as an external fragment without copying them, so they must outlive
// the Writer's Fragments(). Equality compares the bytes, not the addresses.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace keel::protocol {

struct RecordsRef {
  std::span<const uint8_t> bytes;
  // True when the wire carried a null records field (length -1, compact 0).
  bool is_null = false;

  friend bool operator==(const RecordsRef& a, const RecordsRef& b) {
    return a.is_null == b.is_null &&
           std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
  }
};

// A tagged field this build does not know (or that is not defined for the
// decoded version). Kept verbatim and re-emitted on encode, in tag order.
struct RawTaggedField {
  uint32_t tag = 0;
  std::vector<uint8_t> data;
  friend bool operator==(const RawTaggedField&, const RawTaggedField&) = default;
};

}  // namespace keel::protocol
