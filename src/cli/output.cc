// JSON and table rendering (see output.h).
#include "cli/output.h"

#include <algorithm>

#include "fmt/format.h"

namespace keel::cli {

std::string DumpJson(const Json& doc) {
  return doc.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
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
