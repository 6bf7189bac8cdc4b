// What generated message code needs: the Reader/Writer primitives, the value
// types, and the debug-printing helpers behind every DebugString().
//
// AppendDebugValue(out, v) appends a readable form of any member type:
// integers and strong types as numbers, strings quoted, bytes and records as
// "<N bytes>" (payloads are never dumped), optionals as the value or "null",
// vectors as [a, b], and generated structs through their AppendDebugString.
// Free functions, no state.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/common/types.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/records_ref.h"
#include "keel/protocol/writer.h"

namespace keel::protocol {

// The mask printed for fields declared sensitive in the schema.
inline constexpr std::string_view kSensitiveMask = "****";

void AppendDebugValue(std::string* out, bool v);
void AppendDebugValue(std::string* out, double v);
void AppendDebugValue(std::string* out, const std::string& v);
void AppendDebugValue(std::string* out, const std::vector<uint8_t>& v);
void AppendDebugValue(std::string* out, const Uuid& v);
void AppendDebugValue(std::string* out, const RecordsRef& v);

// Forward declarations so the templates below can find each other.
template <typename T>
void AppendDebugValue(std::string* out, const std::optional<T>& v);
template <typename T>
  requires(!std::same_as<T, uint8_t>)
void AppendDebugValue(std::string* out, const std::vector<T>& v);
void AppendDebugValue(std::string* out, const std::vector<RawTaggedField>& v);

template <std::integral T>
  requires(!std::same_as<T, bool>)
void AppendDebugValue(std::string* out, T v) {
  absl::StrAppend(out, int64_t(v));
}

template <typename Tag, typename T>
void AppendDebugValue(std::string* out, const StrongInt<Tag, T>& v) {
  absl::StrAppend(out, int64_t(v.value));
}

template <typename T>
  requires requires(const T& t, std::string* s) { t.AppendDebugString(s); }
void AppendDebugValue(std::string* out, const T& v) {
  v.AppendDebugString(out);
}

template <typename T>
void AppendDebugValue(std::string* out, const std::optional<T>& v) {
  if (!v) {
    out->append("null");
    return;
  }
  AppendDebugValue(out, *v);
}

template <typename T>
  requires(!std::same_as<T, uint8_t>)
void AppendDebugValue(std::string* out, const std::vector<T>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendDebugValue(out, v[i]);
  }
  out->push_back(']');
}

void AppendDebugValue(std::string* out, const std::vector<RawTaggedField>& v);

}  // namespace keel::protocol
