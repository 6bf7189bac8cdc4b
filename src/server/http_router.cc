// Routing of HTTP requests to the broker's endpoints (see http_router.h).
#include "keel/server/http_router.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace keel::server {
namespace {

std::vector<std::string> Segments(const std::string& path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

HttpResponse MethodNotAllowed(const std::set<std::string>& allowed) {
  HttpResponse r{405, "text/plain; charset=utf-8", "method not allowed\n", {}};
  r.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  return r;
}

}  // namespace

HttpRouter& HttpRouter::Add(std::string method, std::string pattern, Handler handler) {
  Route route{std::move(method), std::move(pattern), {}, false, std::move(handler)};
  route.segments = Segments(route.pattern);
  route.has_params = std::any_of(route.segments.begin(), route.segments.end(), IsParam);
  routes_.push_back(std::move(route));
  return *this;
}

std::vector<std::pair<const HttpRouter::Route*, std::map<std::string, std::string>>> HttpRouter::Match(
    const std::string& path) const {
  std::vector<std::string> segments = Segments(path);
  std::vector<std::pair<const Route*, std::map<std::string, std::string>>> out;
  for (bool with_params : {false, true}) {
    for (const Route& r : routes_) {
      if (r.has_params != with_params || r.segments.size() != segments.size()) continue;
      // "/a" and "/a/" are different paths.
      if ((path.size() > 1 && path.back() == '/') != (r.pattern.size() > 1 && r.pattern.back() == '/')) continue;
      std::map<std::string, std::string> params;
      bool ok = true;
      for (size_t i = 0; ok && i < segments.size(); ++i) {
        if (IsParam(r.segments[i])) {
          params[r.segments[i].substr(1, r.segments[i].size() - 2)] = segments[i];
        } else {
          ok = r.segments[i] == segments[i];
        }
      }
      if (ok) out.emplace_back(&r, std::move(params));
    }
  }
  return out;
}

HttpResponse HttpRouter::Handle(const HttpRequest& request) const {
  const std::string method = request.method == "HEAD" ? std::string("GET") : request.method;
  auto matches = Match(request.path);
  for (auto& [route, params] : matches) {
    if (route->method != method) continue;
    if (params.empty()) return route->handler(request);
    HttpRequest with_params = request;
    with_params.params = std::move(params);
    return route->handler(with_params);
  }
  // The methods of every route (or of this path's routes), GET implying HEAD.
  auto methods = [](auto routes) {
    std::set<std::string> out;
    for (const Route* r : routes) {
      out.insert(r->method);
      if (r->method == "GET") out.insert("HEAD");
    }
    return out;
  };
  if (!matches.empty()) {
    std::vector<const Route*> here;
    for (const auto& m : matches) here.push_back(m.first);
    return MethodNotAllowed(methods(here));
  }
  std::vector<const Route*> all;
  for (const Route& r : routes_) all.push_back(&r);
  std::set<std::string> served = methods(all);
  if (!served.count(request.method)) return MethodNotAllowed(served);
  std::set<std::string> paths;
  for (const Route& r : routes_) {
    if (!r.has_params) paths.insert(r.pattern);
  }
  return HttpResponse{404, "text/plain; charset=utf-8",
                      "not found (try " + absl::StrJoin(paths, ", ") + ")\n", {}};
}

}  // namespace keel::server
