// Output of keel-admin: JSON documents (nlohmann::ordered_json, so object
// keys keep insertion order) and aligned text tables. Every command builds
// both a Json document (printed with --json) and its human form (tables and
// lines), so the two never disagree on what was found.
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace keel::cli {

using Json = nlohmann::ordered_json;

// Pretty-printed with two-space indentation, no trailing newline. Strings
// are escaped per RFC 8259 (control characters as \u00XX; UTF-8 is passed
// through). Bytes that are not valid UTF-8 become U+FFFD: record keys and
// values go through BytesToText first, which keeps them apart as \xNN.
std::string DumpJson(const Json& doc);

// A table whose columns are padded to their widest cell; the last column is
// not padded. Cells are shown as given.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::string Render() const;
};

// Bytes as text for tables and JSON: printable ASCII and UTF-8 are kept,
// other bytes become \xNN. nullopt prints as "null" in tables.
std::string BytesToText(const uint8_t* data, size_t size);

}  // namespace keel::cli
