// Tests of what the HTTP server adds to Boost.Beast: the rules applied to a
// parsed request, the status for a failed read, and the reply bytes. The
// requests are parsed by Beast's parser here exactly as the server's read
// does, minus the socket.
#include "http_codec.h"

#include <gtest/gtest.h>

#include <variant>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace keel::server {
namespace {

// The request in `bytes` fed in one piece (or one byte at a time): the
// HttpRequest, or the status that answers it. kNeedMore while incomplete.
constexpr int kNeedMore = 0;
std::variant<HttpRequest, int> Parse(const std::string& bytes, bool bytewise = false, size_t head_limit = 8192,
                                     size_t body_limit = 0, std::string* leftover = nullptr) {
  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(head_limit));
  parser.body_limit(body_limit);
  parser.eager(true);
  std::string pending;  // offered to the parser, not yet consumed
  size_t next = 0;      // of `bytes`, the first not yet offered
  for (int round = 0; !parser.is_done(); ++round) {
    if (round > int(bytes.size()) * 2 + 4) return -1;  // the parser is stuck
    size_t take = bytewise ? std::min<size_t>(1, bytes.size() - next) : bytes.size() - next;
    pending += bytes.substr(next, take);
    next += take;
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (parser.is_done()) break;
    if (ec && ec != beast_http::error::need_more) {
      std::optional<int> status = StatusForReadError(ec);
      return status ? *status : -1;
    }
    if (next == bytes.size() && (ec == beast_http::error::need_more || used == 0)) return kNeedMore;
  }
  if (leftover) *leftover = pending + bytes.substr(next);
  auto request = FromBeastRequest(parser.get());
  if (!request.ok()) return 400;
  return *request;
}

HttpRequest Request(const std::variant<HttpRequest, int>& parsed) {
  if (const int* status = std::get_if<int>(&parsed)) {
    ADD_FAILURE() << "answered " << *status;
    return {};
  }
  return std::get<HttpRequest>(parsed);
}

int Status(const std::variant<HttpRequest, int>& parsed) {
  return std::holds_alternative<int>(parsed) ? std::get<int>(parsed) : 200;
}

TEST(HttpCodec, ParsesAGetWithQueryAndLowerCasedHeaders) {
  HttpRequest r = Request(Parse("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\n\r\n"));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_EQ(r.headers.at("host"), "a");
  EXPECT_EQ(r.headers.at("accept"), "text/plain");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpCodec, CompletesAcrossOneByteReads) {
  HttpRequest r = Request(Parse("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", /*bytewise=*/true));
  EXPECT_EQ(r.path, "/healthz");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(Status(Parse("GET /healthz HTTP/1.1\r\nConnection: close\r\n")), kNeedMore);
}

TEST(HttpCodec, LeavesAPipelinedRequestForTheNextRead) {
  std::string leftover;
  HttpRequest r = Request(Parse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", false, 8192, 0, &leftover));
  EXPECT_EQ(r.path, "/a");
  EXPECT_EQ(leftover, "GET /b HTTP/1.1\r\n\r\n");
}

TEST(HttpCodec, Http10ClosesUnlessKeepAliveAsked) {
  EXPECT_FALSE(Request(Parse("GET / HTTP/1.0\r\n\r\n")).keep_alive);
  HttpRequest r = Request(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.version, "HTTP/1.0");
}

TEST(HttpCodec, OversizedHeadIs431BeforeItEnds) {
  EXPECT_EQ(Status(Parse("GET / HTTP/1.1\r\nX-Filler: " + std::string(100, 'a'), false, 64)), 431);
  EXPECT_EQ(Status(Parse("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", false, 64)), 431);
  EXPECT_EQ(Request(Parse("GET /" + std::string(30, 'a') + " HTTP/1.1\r\n\r\n", false, 64)).path.size(), 31u);
}

TEST(HttpCodec, BodiesOverTheLimitAre413AndWithinItAreKept) {
  EXPECT_EQ(Status(Parse("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")), 413);
  EXPECT_EQ(Status(Parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")), 413);
  HttpRequest post = Request(Parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", false, 8192, 5));
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.body, "hello");
  HttpRequest chunked = Request(
      Parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", false, 8192, 16));
  EXPECT_EQ(chunked.body, "hello");
  // Content-Length: 0 is no body.
  EXPECT_EQ(Request(Parse("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).method, "POST");
}

TEST(HttpCodec, MalformedRequestsAre400) {
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                          "GET http://host/ HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nNoColonHeader\r\n\r\n",
                          "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
                          "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    EXPECT_EQ(Status(Parse(bad)), 400) << bad;
  }
}

TEST(HttpCodec, ClosedOrTimedOutReadsAreNotAnswered) {
  EXPECT_EQ(StatusForReadError(beast_http::error::end_of_stream), std::nullopt);
  EXPECT_EQ(StatusForReadError(beast_http::error::partial_message), std::nullopt);
  EXPECT_EQ(StatusForReadError(boost::beast::error::timeout), std::nullopt);
  EXPECT_EQ(StatusForReadError(boost::asio::error::connection_reset), std::nullopt);
  EXPECT_EQ(StatusForReadError(beast_http::error::bad_version), 400);
}

TEST(HttpCodec, RendersStatusHeadersAndBody) {
  HttpResponse r{503, "text/plain", "not ready\n", {}};
  EXPECT_EQ(RenderHttpResponse(r, false, false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
            "Connection: close\r\nCache-Control: no-store\r\n\r\nnot ready\n");
  EXPECT_EQ(RenderHttpResponse(r, true, true),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
            "Connection: keep-alive\r\nCache-Control: no-store\r\n\r\n");
  HttpResponse allow{405, "text/plain", "", {{"Allow", "GET, HEAD"}}};
  EXPECT_EQ(RenderHttpResponse(allow, false, false),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
            "Connection: close\r\nCache-Control: no-store\r\nAllow: GET, HEAD\r\n\r\n");
  EXPECT_EQ(HttpReason(431), "Request Header Fields Too Large");
}

}  // namespace
}  // namespace keel::server
