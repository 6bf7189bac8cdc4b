// Json and Table rendering (see output.h).
#include "cli/output.h"

#include <algorithm>

#include "fmt/format.h"

namespace keel::cli {

Json& Json::Set(std::string key, Json value) {
  std::get<Object>(value_).emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  std::get<Array>(value_).push_back(std::move(value));
  return *this;
}

std::string Json::Dump() const {
  std::string out;
  DumpTo(&out, 0);
  return out;
}

namespace {

void AppendEscaped(std::string* out, const std::string& s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append(fmt::format("\\u{:04x}", c));
        } else {
          out->push_back(char(c));
        }
    }
  }
  out->push_back('"');
}

void Indent(std::string* out, int indent) { out->append(size_t(indent) * 2, ' '); }

}  // namespace

void Json::DumpTo(std::string* out, int indent) const {
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    out->append("null");
  } else if (auto* b = std::get_if<bool>(&value_)) {
    out->append(*b ? "true" : "false");
  } else if (auto* i = std::get_if<int64_t>(&value_)) {
    out->append(std::to_string(*i));
  } else if (auto* d = std::get_if<double>(&value_)) {
    out->append(fmt::format("{}", *d));
  } else if (auto* s = std::get_if<std::string>(&value_)) {
    AppendEscaped(out, *s);
  } else if (auto* a = std::get_if<Array>(&value_)) {
    if (a->empty()) {
      out->append("[]");
      return;
    }
    out->append("[\n");
    for (size_t k = 0; k < a->size(); ++k) {
      Indent(out, indent + 1);
      (*a)[k].DumpTo(out, indent + 1);
      out->append(k + 1 < a->size() ? ",\n" : "\n");
    }
    Indent(out, indent);
    out->push_back(']');
  } else if (auto* o = std::get_if<Object>(&value_)) {
    if (o->empty()) {
      out->append("{}");
      return;
    }
    out->append("{\n");
    for (size_t k = 0; k < o->size(); ++k) {
      Indent(out, indent + 1);
      AppendEscaped(out, (*o)[k].first);
      out->append(": ");
      (*o)[k].second.DumpTo(out, indent + 1);
      out->append(k + 1 < o->size() ? ",\n" : "\n");
    }
    Indent(out, indent);
    out->push_back('}');
  }
}

std::string Table::Render() const {
  std::vector<size_t> widths(columns.size(), 0);
  for (size_t c = 0; c < columns.size(); ++c) widths[c] = columns[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < columns.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      text += cell;
      if (c + 1 < columns.size()) text.append(widths[c] - cell.size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  line(columns);
  for (const auto& row : rows) line(row);
  return out;
}

std::string BytesToText(const uint8_t* data, size_t size) {
  std::string out;
  size_t i = 0;
  while (i < size) {
    uint8_t c = data[i];
    // Keep well-formed UTF-8 sequences; escape everything else non-printable.
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= size;
    for (size_t k = 1; ok && k < len; ++k) ok = (data[i + k] & 0xc0) == 0x80;
    if (len == 1 && (c < 0x20 || c == 0x7f) && c != '\t') ok = false;
    if (!ok) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    out.append(reinterpret_cast<const char*>(data + i), len);
    i += len;
  }
  return out;
}

}  // namespace keel::cli
