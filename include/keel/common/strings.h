// Bridges between std::string_view and absl::string_view.
//
// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl string functions (StrCat, StrSplit, SimpleAtoi,
// Status::message) do not accept std::string_view directly. Convert at the
// call with these; both are free (pointer + length).
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace keel {

inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace keel
