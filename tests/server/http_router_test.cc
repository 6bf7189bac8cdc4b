// Tests of HttpRouter: exact and parameter routes, HEAD through GET, and the
// 404/405 answers for requests no route takes.
#include "keel/server/http_router.h"

#include <gtest/gtest.h>

namespace keel::server {
namespace {

HttpRequest Req(std::string method, std::string path, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "(none)";
}

HttpRouter Routes() {
  HttpRouter router;
  router.Add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n", {}}; });
  router.Add("GET", "/metrics", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "m\n", {}}; });
  router.Add("GET", "/subjects/{subject}/versions", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "versions of " + r.params.at("subject"), {}};
  });
  router.Add("POST", "/subjects/{subject}/versions", [](const HttpRequest& r) {
    return HttpResponse{201, "text/plain", r.params.at("subject") + " <- " + r.body, {}};
  });
  router.Add("GET", "/subjects/latest/versions", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "the literal route", {}};
  });
  return router;
}

TEST(HttpRouter, DispatchesByMethodAndPath) {
  HttpRouter router = Routes();
  EXPECT_EQ(router.Handle(Req("GET", "/healthz")).body, "ok\n");
  EXPECT_EQ(router.Handle(Req("GET", "/metrics")).body, "m\n");
  // HEAD is served by the GET route (the server drops the body).
  EXPECT_EQ(router.Handle(Req("HEAD", "/metrics")).body, "m\n");
}

TEST(HttpRouter, CapturesParametersAndPrefersLiteralRoutes) {
  HttpRouter router = Routes();
  EXPECT_EQ(router.Handle(Req("GET", "/subjects/orders-value/versions")).body, "versions of orders-value");
  HttpResponse created = router.Handle(Req("POST", "/subjects/orders-value/versions", "{}"));
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "orders-value <- {}");
  EXPECT_EQ(router.Handle(Req("GET", "/subjects/latest/versions")).body, "the literal route");
  EXPECT_EQ(router.Handle(Req("GET", "/subjects/versions")).status, 404);
  EXPECT_EQ(router.Handle(Req("GET", "/subjects/a/b/versions")).status, 404);
}

TEST(HttpRouter, UnknownPathsAre404NamingTheEndpoints) {
  HttpRouter router = Routes();
  HttpResponse r = router.Handle(Req("GET", "/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/healthz"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("/metrics"), std::string::npos) << r.body;
  EXPECT_EQ(router.Handle(Req("GET", "/healthz/")).status, 404);
  EXPECT_EQ(router.Handle(Req("GET", "/")).status, 404);
}

TEST(HttpRouter, MethodsNoRouteTakesAre405WithAllow) {
  HttpRouter router = Routes();
  HttpResponse post = router.Handle(Req("POST", "/metrics"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
  HttpResponse del = router.Handle(Req("DELETE", "/anything"));
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(Header(del, "Allow"), "GET, HEAD, POST");
  EXPECT_EQ(Header(router.Handle(Req("PUT", "/subjects/x/versions")), "Allow"), "GET, HEAD, POST");
  // POST is served somewhere, so an unknown path with POST is just not found.
  EXPECT_EQ(router.Handle(Req("POST", "/nope")).status, 404);
}

}  // namespace
}  // namespace keel::server
