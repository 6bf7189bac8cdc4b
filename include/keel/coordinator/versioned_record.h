// The framing every coordinator record key and value uses in Kafka's
// internal topics: an int16 schema version, then the generated message at
// that version. Header-only helpers shared by group and transaction records.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keel/common/strings.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/writer.h"

namespace keel::coordinator {

template <typename T>
std::vector<uint8_t> EncodeVersioned(const T& message, int16_t version) {
  protocol::Writer w;
  w.WriteInt16(version);
  message.Encode(w, version);
  return w.Flatten();
}

// Decodes version + message. Trailing bytes are ignored, as Kafka's readers
// ignore fields a newer minor format appended.
template <typename T>
absl::Status DecodeVersioned(std::span<const uint8_t> bytes, T* out, int16_t* version) {
  protocol::Reader r(bytes);
  if (auto st = r.ReadInt16(version); !st.ok()) {
    return absl::DataLossError("record too short for its version");
  }
  if (*version < T::kMinVersion || *version > T::kMaxVersion) {
    return absl::DataLossError(absl::StrCat("unknown ", ToAbsl(T::kName), " version ", *version));
  }
  if (auto st = out->Decode(r, *version); !st.ok()) {
    return absl::DataLossError(absl::StrCat("malformed ", ToAbsl(T::kName), ": ", st.message()));
  }
  return absl::OkStatus();
}

}  // namespace keel::coordinator
