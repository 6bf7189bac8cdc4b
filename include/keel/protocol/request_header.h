// Kafka request and response headers.
//
// Request header v1: api_key int16, api_version int16, correlation_id int32,
// client_id nullable STRING (a classic string even in v2). v2 adds a
// tagged-field section, used when the API version is flexible. Response
// header v0 is the correlation id; v1 adds an (empty) tagged-field section.
// Pure functions, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/writer.h"

namespace keel::protocol {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  bool operator==(const RequestHeader&) const = default;
};

// Reads the v1 fields, then the tagged section when the (known) API version
// is flexible; tags are skipped. For an unknown key or version it reads v1
// only and still returns the header, so the caller can answer
// UNSUPPORTED_VERSION with the right correlation id. Leaves `reader` at the
// first body byte.
absl::StatusOr<RequestHeader> ParseRequestHeader(Reader& reader);

// Writes a request header (clients and tests): v1, or v2 with an empty
// tagged section.
void WriteRequestHeader(Writer& writer, const RequestHeader& header, int16_t header_version);

// Writes a response header: v0 (correlation id) or v1 (plus empty tags).
void WriteResponseHeader(Writer& writer, int32_t correlation_id, int16_t header_version);

}  // namespace keel::protocol
