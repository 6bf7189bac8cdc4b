#include "api_versions.h"

#include "registry.h"

namespace keel::server {
namespace {

protocol::ApiVersionsResponse BuildResponse(ErrorCode error) {
  protocol::ApiVersionsResponse r;
  r.error_code = int16_t(error);
  for (const HandlerEntry& e : AllHandlers()) {
    protocol::ApiVersionsResponse::ApiVersion v;
    v.api_key = e.api_key;
    v.min_version = e.min_version;
    v.max_version = e.max_version;
    r.api_keys.push_back(v);
  }
  return r;
}

}  // namespace

Task<Reply<ApiVersionsHandler::Response>> ApiVersionsHandler::Handle(Call& call, Request& request) {
  // v3+ clients send their software name and version; they are informational.
  co_return Reply<Response>{BuildResponse(ErrorCode::NONE)};
}

OutboundResponse UnsupportedApiVersionsResponse(const protocol::RequestHeader& header) {
  return EncodeResponse(header, BuildResponse(ErrorCode::UNSUPPORTED_VERSION), 0, nullptr);
}

}  // namespace keel::server
