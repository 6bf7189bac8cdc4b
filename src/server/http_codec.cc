// Beast messages <-> the broker's HttpRequest/HttpResponse (see http_codec.h).
#include "http_codec.h"

#include <sstream>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace keel::server {

absl::StatusOr<HttpRequest> FromBeastRequest(const BeastRequest& request) {
  std::string_view target(request.target().data(), request.target().size());
  if (target.empty() || target.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("request target is not a path: ", std::string(target)));
  }
  if (request.version() != 11 && request.version() != 10) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported HTTP version ", request.version() / 10, ".",
                                                   request.version() % 10));
  }
  HttpRequest out;
  out.method = std::string(request.method_string());
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.version = request.version() == 11 ? "HTTP/1.1" : "HTTP/1.0";
  for (const auto& field : request) {
    out.headers[absl::AsciiStrToLower(absl::string_view(field.name_string().data(), field.name_string().size()))] =
        std::string(field.value());
  }
  out.keep_alive = request.keep_alive();
  out.body = request.body();
  return out;
}

std::optional<int> StatusForReadError(const boost::beast::error_code& ec) {
  if (ec == beast_http::error::header_limit) return 431;
  if (ec == beast_http::error::body_limit) return 413;
  // The peer went away before or during a request, or was too slow.
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) return std::nullopt;
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category()) return 400;
  return std::nullopt;
}

BeastResponse ToBeastResponse(const HttpResponse& response, bool keep_alive) {
  BeastResponse out(static_cast<beast_http::status>(response.status), 11);
  out.set(beast_http::field::content_type, response.content_type);
  out.body() = response.body;
  out.prepare_payload();  // Content-Length
  out.set(beast_http::field::connection, keep_alive ? "keep-alive" : "close");
  out.set(beast_http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) out.insert(name, value);
  return out;
}

beast_http::response<beast_http::empty_body> HeadOnly(const BeastResponse& response) {
  // The same header, Content-Length included, and no body.
  return beast_http::response<beast_http::empty_body>(response.base());
}

std::string RenderHttpResponse(const HttpResponse& response, bool keep_alive, bool head_only) {
  BeastResponse full = ToBeastResponse(response, keep_alive);
  std::ostringstream out;
  if (head_only) {
    out << HeadOnly(full);
  } else {
    out << full;
  }
  return out.str();
}

std::string HttpReason(int status) {
  return std::string(beast_http::obsolete_reason(static_cast<beast_http::status>(status)));
}

}  // namespace keel::server
