// Lookups over the generated API table. See api_table.h.
#include "keel/protocol/api_table.h"

#include <algorithm>

namespace keel::protocol {

const ApiDescriptor* FindApi(int16_t key) {
  std::span<const ApiDescriptor> apis = AllApis();
  auto it = std::lower_bound(apis.begin(), apis.end(), key,
                             [](const ApiDescriptor& d, int16_t k) { return d.key < k; });
  if (it == apis.end() || it->key != key) return nullptr;
  return &*it;
}

int16_t RequestHeaderVersion(int16_t key, int16_t version) {
  const ApiDescriptor* api = FindApi(key);
  if (api == nullptr || !api->SupportsVersion(version)) return 1;
  return api->IsFlexible(version) ? 2 : 1;
}

int16_t ResponseHeaderVersion(int16_t key, int16_t version) {
  if (key == static_cast<int16_t>(ApiKey::kApiVersions)) return 0;
  const ApiDescriptor* api = FindApi(key);
  if (api == nullptr || !api->SupportsVersion(version)) return 0;
  return api->IsFlexible(version) ? 1 : 0;
}

}  // namespace keel::protocol
