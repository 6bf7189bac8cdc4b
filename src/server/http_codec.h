// The seam between Boost.Beast's HTTP/1.1 messages and the broker's own
// HttpRequest/HttpResponse: what the HTTP server adds to Beast's parser and
// serializer. Beast parses the request (start line, fields, Content-Length
// or chunked body, limits); these functions apply the broker's rules on top
// and map failures to status codes.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "keel/server/http_request.h"

namespace keel::server {

namespace beast_http = boost::beast::http;
using BeastRequest = beast_http::request<beast_http::string_body>;
using BeastResponse = beast_http::response<beast_http::string_body>;

// Our view of a request Beast parsed. InvalidArgument (answered 400) when
// the target is not origin-form (does not start with '/') or the version is
// not HTTP/1.0 or HTTP/1.1.
absl::StatusOr<HttpRequest> FromBeastRequest(const BeastRequest& request);

// The status that answers a request whose read failed with `ec`: 431 for a
// head over the limit, 413 for a body over the limit, 400 for anything
// malformed; nullopt when there is nobody to answer (the peer closed or
// reset the connection, or the read timed out).
std::optional<int> StatusForReadError(const boost::beast::error_code& ec);

// `response` as HTTP/1.1 with Content-Type, Content-Length, Connection
// (keep-alive or close), Cache-Control: no-store, then its own fields. With
// `head_only` the body is left out but Content-Length still gives its size.
BeastResponse ToBeastResponse(const HttpResponse& response, bool keep_alive);
beast_http::response<beast_http::empty_body> HeadOnly(const BeastResponse& response);

// The bytes ToBeastResponse (and HeadOnly) would send; for tests and logs.
std::string RenderHttpResponse(const HttpResponse& response, bool keep_alive, bool head_only);

// The status line text ("Service Unavailable" for 503).
std::string HttpReason(int status);

}  // namespace keel::server
