// Output of keel-admin: a minimal JSON document model and aligned text
// tables. Every command builds both a Json document (printed with --json)
// and its human form (tables and lines), so the two never disagree on what
// was found.
//
// Json keeps object keys in insertion order and escapes strings per RFC 8259
// (control characters as \u00XX; bytes >= 0x80 are passed through, so
// invalid UTF-8 in record values should be converted by the caller).
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace keel::cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : value_(nullptr) {}
  Json(std::nullptr_t) : value_(nullptr) {}
  Json(bool v) : value_(v) {}
  Json(int v) : value_(int64_t(v)) {}
  Json(int64_t v) : value_(v) {}
  Json(uint64_t v) : value_(int64_t(v)) {}
  Json(double v) : value_(v) {}
  Json(const char* v) : value_(std::string(v)) {}
  Json(std::string v) : value_(std::move(v)) {}

  static Json MakeObject() {
    Json j;
    j.value_ = Object{};
    return j;
  }
  static Json MakeArray() {
    Json j;
    j.value_ = Array{};
    return j;
  }

  // REQUIRES: this is an object / an array.
  Json& Set(std::string key, Json value);
  Json& Push(Json value);

  // Pretty-printed with two-space indentation, no trailing newline.
  std::string Dump() const;

 private:
  void DumpTo(std::string* out, int indent) const;
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value_;
};

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
