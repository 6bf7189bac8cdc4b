// Debug printing of message member values. See message_support.h.
#include "keel/protocol/message_support.h"

#include "absl/strings/escaping.h"

namespace keel::protocol {

void AppendDebugValue(std::string* out, bool v) { out->append(v ? "true" : "false"); }

void AppendDebugValue(std::string* out, double v) { absl::StrAppend(out, v); }

void AppendDebugValue(std::string* out, const std::string& v) {
  absl::StrAppend(out, "\"", absl::CHexEscape(v), "\"");
}

void AppendDebugValue(std::string* out, const std::vector<uint8_t>& v) {
  absl::StrAppend(out, "<", v.size(), " bytes>");
}

void AppendDebugValue(std::string* out, const Uuid& v) { out->append(v.ToString()); }

void AppendDebugValue(std::string* out, const RecordsRef& v) {
  if (v.is_null) {
    out->append("null");
    return;
  }
  absl::StrAppend(out, "<", v.bytes.size(), " bytes>");
}

void AppendDebugValue(std::string* out, const std::vector<RawTaggedField>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->append(", ");
    absl::StrAppend(out, "tag ", v[i].tag, ": <", v[i].data.size(), " bytes>");
  }
  out->push_back(']');
}

}  // namespace keel::protocol
