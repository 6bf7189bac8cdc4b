// Request and response headers. See request_header.h.
#include "keel/protocol/request_header.h"

#include "keel/common/status_macros.h"
#include "keel/protocol/api_table.h"

namespace keel::protocol {

absl::StatusOr<RequestHeader> ParseRequestHeader(Reader& reader) {
  RequestHeader h;
  KEEL_RETURN_IF_ERROR(reader.ReadInt16(&h.api_key));
  KEEL_RETURN_IF_ERROR(reader.ReadInt16(&h.api_version));
  KEEL_RETURN_IF_ERROR(reader.ReadInt32(&h.correlation_id));
  KEEL_RETURN_IF_ERROR(reader.ReadNullableString(&h.client_id));
  if (RequestHeaderVersion(h.api_key, h.api_version) >= 2) {
    KEEL_RETURN_IF_ERROR(reader.SkipTaggedFields());
  }
  return h;
}

void WriteRequestHeader(Writer& writer, const RequestHeader& header, int16_t header_version) {
  writer.WriteInt16(header.api_key);
  writer.WriteInt16(header.api_version);
  writer.WriteInt32(header.correlation_id);
  writer.WriteNullableString(header.client_id);
  if (header_version >= 2) writer.WriteUnsignedVarint(0);
}

void WriteResponseHeader(Writer& writer, int32_t correlation_id, int16_t header_version) {
  writer.WriteInt32(correlation_id);
  if (header_version >= 1) writer.WriteUnsignedVarint(0);
}

}  // namespace keel::protocol
