// The table of Kafka APIs Keel has schemas for, generated from proto/kafka/.
//
// These are the versions the codec can decode and encode; which versions the
// broker advertises is the server's decision (it may narrow them). The data
// is immutable and safe to read from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "keel/protocol/messages/api_keys.h"

namespace keel::protocol {

struct ApiDescriptor {
  int16_t key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  // First version using flexible encoding (compact types, tagged fields);
  // -1 if the API is never flexible.
  int16_t first_flexible_version;

  bool IsFlexible(int16_t version) const {
    return first_flexible_version >= 0 && version >= first_flexible_version;
  }
  bool SupportsVersion(int16_t version) const {
    return version >= min_version && version <= max_version;
  }
};

// Every API, sorted by key.
std::span<const ApiDescriptor> AllApis();

// The API with this key, or nullptr.
const ApiDescriptor* FindApi(int16_t key);
inline const ApiDescriptor* FindApi(ApiKey key) { return FindApi(static_cast<int16_t>(key)); }

// Request header version for (key, version): 2 when that version is flexible,
// else 1. Unknown keys and versions get 1 (parse the fixed part only).
int16_t RequestHeaderVersion(int16_t key, int16_t version);

// Response header version: 1 when flexible, else 0. ApiVersions always uses 0
// (clients must read it before they know what the broker supports).
int16_t ResponseHeaderVersion(int16_t key, int16_t version);

}  // namespace keel::protocol
