// An incremental parser for the request head of HTTP/1.1 (and 1.0) requests,
// for the broker's health and metrics endpoints.
//
// Feed() takes bytes as they arrive and reports kNeedMore until the blank
// line ending the head has been seen. Only GET and HEAD without a body are
// served: any other method is kMethodNotAllowed (405); a request with a body
// (Content-Length > 0 or Transfer-Encoding) or a malformed head is
// kBadRequest (400); a head longer than `max_head_bytes` is kTooLarge (431)
// as soon as that many bytes arrive without its end. The query string is
// split off the path. Header names are lower-cased.
// Thread-safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace keel::server {

struct HttpRequest {
  std::string method;
  std::string path;    // without the query string
  std::string query;   // after '?', may be empty
  std::string version; // "HTTP/1.1" or "HTTP/1.0"
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = false;
};

class HttpRequestParser {
 public:
  enum class State { kNeedMore, kComplete, kBadRequest, kMethodNotAllowed, kTooLarge };

  explicit HttpRequestParser(size_t max_head_bytes = 8192) : max_(max_head_bytes) {}

  // Appends `data`; returns the state after it. Once not kNeedMore, further
  // calls return the same state. Bytes after the head (a pipelined next
  // request) are kept in leftover().
  State Feed(std::string_view data);
  const HttpRequest& request() const { return request_; }
  std::string_view leftover() const { return leftover_; }

 private:
  State Parse(std::string_view head);

  size_t max_;
  std::string buffer_;
  std::string leftover_;
  HttpRequest request_;
  State state_ = State::kNeedMore;
};

// The status line text for the codes the endpoints use.
std::string_view HttpReason(int status);

}  // namespace keel::server
