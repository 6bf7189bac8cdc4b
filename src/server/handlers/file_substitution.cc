#include "file_substitution.h"

#include <unordered_map>

namespace keel::server {

bool ApplyFileSubstitutions(std::vector<FileSubstitution> files, OutboundResponse& out) {
  std::unordered_map<const uint8_t*, size_t> by_placeholder;
  by_placeholder.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) by_placeholder.emplace(files[i].placeholder, i);
  out.from_files.assign(out.fragments.size(), {});
  size_t found = 0;
  for (size_t f = 0; f < out.fragments.size(); ++f) {
    auto it = by_placeholder.find(out.fragments[f].data());
    if (it == by_placeholder.end()) continue;
    FileSubstitution& sub = files[it->second];
    size_t total = 0;
    for (const FileRange& r : sub.ranges) total += r.size;
    if (total != out.fragments[f].size() || sub.ranges.empty()) return false;
    out.from_files[f] = std::move(sub.ranges);
    by_placeholder.erase(it);
    ++found;
  }
  return found == files.size();
}

}  // namespace keel::server
