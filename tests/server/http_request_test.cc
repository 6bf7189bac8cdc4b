#include "keel/server/http_request.h"

#include <gtest/gtest.h>

#include "keel/server/http_server.h"

namespace keel::server {
namespace {

using State = HttpRequestParser::State;

TEST(HttpRequestParser, ParsesAGetInOneRead) {
  HttpRequestParser p;
  ASSERT_EQ(p.Feed("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().path, "/metrics");
  EXPECT_EQ(p.request().query, "x=1");
  EXPECT_EQ(p.request().headers.at("host"), "a");
  EXPECT_TRUE(p.request().keep_alive);
}

TEST(HttpRequestParser, CompletesAcrossPartialReadsSplittingTheTerminator) {
  const std::string req = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
  HttpRequestParser p;
  for (size_t i = 0; i + 1 < req.size(); ++i) {
    ASSERT_EQ(p.Feed(req.substr(i, 1)), State::kNeedMore) << "at byte " << i;
  }
  ASSERT_EQ(p.Feed(req.substr(req.size() - 1)), State::kComplete);
  EXPECT_EQ(p.request().path, "/healthz");
  EXPECT_FALSE(p.request().keep_alive);
}

TEST(HttpRequestParser, KeepsPipelinedBytesAsLeftover) {
  HttpRequestParser p;
  ASSERT_EQ(p.Feed("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().path, "/a");
  EXPECT_EQ(p.leftover(), "GET /b HTTP/1.1\r\n\r\n");
}

TEST(HttpRequestParser, Http10ClosesUnlessKeepAliveAsked) {
  HttpRequestParser p;
  ASSERT_EQ(p.Feed("GET / HTTP/1.0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(p.request().keep_alive);
  HttpRequestParser q;
  ASSERT_EQ(q.Feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), State::kComplete);
  EXPECT_TRUE(q.request().keep_alive);
}

TEST(HttpRequestParser, OversizedHeadIsTooLargeBeforeItEnds) {
  HttpRequestParser p(64);
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\n"), State::kNeedMore);
  EXPECT_EQ(p.Feed("X-Filler: " + std::string(100, 'a')), State::kTooLarge);
  EXPECT_EQ(p.Feed("\r\n\r\n"), State::kTooLarge);  // sticky
}

TEST(HttpRequestParser, OtherMethodsAreNotAllowed) {
  HttpRequestParser p;
  EXPECT_EQ(p.Feed("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), State::kMethodNotAllowed);
  EXPECT_EQ(p.request().method, "POST");
  HttpRequestParser head;
  EXPECT_EQ(head.Feed("HEAD /healthz HTTP/1.1\r\n\r\n"), State::kComplete);
}

TEST(HttpRequestParser, MalformedRequestsAreBadRequests) {
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                          "GET / HTTP/1.1\r\nNoColonHeader\r\n\r\n",
                          "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                          "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "G(T / HTTP/1.1\r\n\r\n"}) {
    HttpRequestParser p;
    EXPECT_EQ(p.Feed(bad), State::kBadRequest) << bad;
  }
}

TEST(HttpResponse, RendersStatusHeadersAndBody) {
  HttpResponse r{503, "text/plain", "not ready\n"};
  EXPECT_EQ(RenderHttpResponse(r, false, false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
            "Connection: close\r\nCache-Control: no-store\r\n\r\nnot ready\n");
  EXPECT_EQ(RenderHttpResponse(r, true, true),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
            "Connection: keep-alive\r\nCache-Control: no-store\r\n\r\n");
}

}  // namespace
}  // namespace keel::server
