#include "keel/server/http_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "keel/server/http_router.h"

namespace keel::server {
namespace {

// Sends `pieces` one by one (small pauses between them) and reads until the
// server closes the connection.
std::string Exchange(uint16_t port, const std::vector<std::string>& pieces) {
  net::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  for (const auto& p : pieces) {
    net::write(s, net::buffer(p));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(net::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.port = 0;
    o.max_request_bytes = 1024;
    o.max_body_bytes = 64;
    HttpRouter router;
    router.Add("GET", "/ok", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "path=" + r.path + "\n", {}};
    });
    router.Add("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "body=" + r.body + "\n", {}};
    });
    server_ = std::make_unique<HttpServer>(o, std::move(router));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersARequestSentInPieces) {
  std::string out = Exchange(server_->port(), {"GET /o", "k HTTP/1.1\r\nConnection: clo", "se\r\n\r\n"});
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\n\r\npath=/ok\n"), std::string::npos) << out;
}

TEST_F(HttpServerTest, ServesKeepAliveRequestsOnOneConnection) {
  std::string out = Exchange(server_->port(), {"GET /ok HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nConnection: close\r\n\r\n"});
  EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 404 Not Found"), std::string::npos) << out;
}

TEST_F(HttpServerTest, RejectsOtherMethodsWith405) {
  // Keep-alive asked (HTTP/1.1), but a bad request closes the connection.
  std::string out = Exchange(server_->port(), {"DELETE /ok HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(out.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Allow: GET, HEAD\r\n"), std::string::npos) << out;  // the methods of /ok
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
}

TEST_F(HttpServerTest, HeadGetsTheHeadersWithoutTheBody) {
  std::string out = Exchange(server_->port(), {"HEAD /ok HTTP/1.1\r\nConnection: close\r\n\r\n"});
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Length: 9\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.size(), out.find("\r\n\r\n") + 4) << out;
}

TEST_F(HttpServerTest, PassesABodyWithinTheLimitAndRefusesALargerOne) {
  std::string ok = Exchange(server_->port(),
                            {"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhel", "lo"});
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("\r\n\r\nbody=hello\n"), std::string::npos) << ok;
  std::string big = Exchange(server_->port(), {"POST /echo HTTP/1.1\r\nContent-Length: 65\r\n\r\n" +
                                               std::string(65, 'x')});
  EXPECT_EQ(big.rfind("HTTP/1.1 413 ", 0), 0u) << big;
}

TEST_F(HttpServerTest, RejectsOversizedAndMalformedRequests) {
  EXPECT_EQ(Exchange(server_->port(), {"GET /" + std::string(4000, 'a') + " HTTP/1.1\r\n\r\n"})
                .rfind("HTTP/1.1 431 ", 0),
            0u);
  // A head over the limit is refused before it ends.
  EXPECT_EQ(Exchange(server_->port(), {"GET / HTTP/1.1\r\nX-Filler: " + std::string(2000, 'a')})
                .rfind("HTTP/1.1 431 ", 0),
            0u);
  EXPECT_EQ(Exchange(server_->port(), {"hello\r\n\r\n"}).rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(Exchange(server_->port(), {"GET ok HTTP/1.1\r\n\r\n"}).rfind("HTTP/1.1 400 ", 0), 0u);
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  std::string out = Exchange(server_->port(), {"GET /ok HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"
                                               "GET /ok?x HTTP/1.0\r\n\r\n"});
  size_t first = out.find("HTTP/1.1 200 OK");
  size_t second = out.find("HTTP/1.1 404 Not Found");
  size_t third = out.find("HTTP/1.1 200 OK", first + 1);
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  ASSERT_NE(third, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST(HttpServer, BindFailureIsAnError) {
  HttpServerOptions o;
  o.port = 0;
  HttpServer first(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(first.Start().ok());
  o.port = first.port();
  HttpServer second(o, [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_FALSE(second.Start().ok());
}

}  // namespace
}  // namespace keel::server
