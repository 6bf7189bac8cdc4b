#include "keel/config/properties.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "keel/common/strings.h"

namespace keel::config {

absl::StatusOr<Properties> ParseProperties(std::string_view text_in, std::string_view source_in) {
  absl::string_view text = ToAbsl(text_in), source = ToAbsl(source_in);
  Properties props;
  std::string logical;
  int line_no = 0;
  int start_line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    absl::string_view raw = text.substr(pos, nl == absl::string_view::npos ? text.npos : nl - pos);
    pos = (nl == absl::string_view::npos) ? text.size() + 1 : nl + 1;
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (logical.empty()) {
      if (line.empty() || line[0] == '#' || line[0] == '!') continue;
      start_line = line_no;
    }
    if (!line.empty() && line.back() == '\\') {
      line.remove_suffix(1);
      logical.append(line.data(), line.size());
      continue;
    }
    logical.append(line.data(), line.size());
    size_t sep = logical.find_first_of("=:");
    if (sep == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", start_line, ": expected key=value, got '", logical, "'"));
    }
    std::string key(absl::StripAsciiWhitespace(absl::string_view(logical).substr(0, sep)));
    std::string value(absl::StripAsciiWhitespace(absl::string_view(logical).substr(sep + 1)));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", start_line, ": empty key"));
    }
    props[key] = value;
    logical.clear();
  }
  if (!logical.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": file ends inside a continued line"));
  }
  return props;
}

absl::StatusOr<Properties> LoadPropertiesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProperties(ss.str(), path);
}

absl::StatusOr<std::pair<std::string, std::string>> ParseOverride(std::string_view kv_in) {
  absl::string_view kv = ToAbsl(kv_in);
  size_t eq = kv.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("override '", kv, "' is not key=value"));
  }
  return std::make_pair(std::string(absl::StripAsciiWhitespace(kv.substr(0, eq))),
                        std::string(absl::StripAsciiWhitespace(kv.substr(eq + 1))));
}

}  // namespace keel::config
