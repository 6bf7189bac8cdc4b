// ApiVersions (key 18): the API ranges this broker implements.
//
// The list comes from the handler registry, so nothing is advertised that
// has no handler. SupportedFeatures/FinalizedFeatures stay empty until a
// feature (e.g. transaction.version 2) is really implemented.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/api_versions.h"

namespace keel::server {

struct ApiVersionsHandler {
  using Request = protocol::ApiVersionsRequest;
  using Response = protocol::ApiVersionsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

// The answer to an ApiVersions request at a version we do not implement: a v0
// body with UNSUPPORTED_VERSION and the full list (KIP-511), so the client
// retries with a version we support.
OutboundResponse UnsupportedApiVersionsResponse(const protocol::RequestHeader& header);

}  // namespace keel::server
