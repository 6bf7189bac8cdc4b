// HttpRouter: the table of the broker's HTTP endpoints, (method, path
// pattern) -> handler, and the answers for requests no route takes.
//
// - A pattern is a path whose segments are literal or "{name}", which
//   matches one non-empty segment and is passed in HttpRequest::params
//   ("/subjects/{subject}/versions"). Literal patterns win over ones with
//   parameters; otherwise the first added wins.
// - HEAD is answered by the GET route of the path (the server sends the
//   headers only).
// - A path no route has: 404 (the body names the literal paths), unless the
//   method is one no route serves at all: 405, as for a known path whose
//   routes do not take the method; a 405 carries "Allow".
// Add() everything before the server starts; Handle() is then const and
// may run on any thread (the handlers decide their own thread-safety).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "keel/server/http_request.h"

namespace keel::server {

class HttpRouter {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // REQUIRES: `method` is an upper-case token, `pattern` starts with '/'.
  HttpRouter& Add(std::string method, std::string pattern, Handler handler);

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    bool has_params = false;
    Handler handler;
  };
  // The routes whose pattern matches `path` (literal ones first), with the
  // parameters each captured.
  std::vector<std::pair<const Route*, std::map<std::string, std::string>>> Match(
      const std::string& path) const;

  std::vector<Route> routes_;
};

}  // namespace keel::server
