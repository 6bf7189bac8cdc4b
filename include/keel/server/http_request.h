// An HTTP request and response as the broker's HTTP handlers see them,
// independent of the library that parses and writes HTTP (Boost.Beast, in
// src/server/http_codec.h).
// Thread-safety: plain values.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace keel::server {

struct HttpRequest {
  std::string method;   // as sent, e.g. "GET" (methods are case-sensitive)
  std::string path;     // origin-form target without the query string; starts with '/'
  std::string query;    // after '?', may be empty
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  std::map<std::string, std::string> headers;  // lower-case names; the last of repeated fields
  bool keep_alive = false;
  std::string body;  // at most HttpServerOptions::max_body_bytes
  // Captured by a route pattern ("/subjects/{subject}" -> {"subject", ...});
  // filled by HttpRouter.
  std::map<std::string, std::string> params;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Fields beyond Content-Type, Content-Length, Connection and Cache-Control
  // (e.g. Allow on a 405).
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace keel::server
