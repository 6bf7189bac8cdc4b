#include "keel/server/http_server.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "keel/common/logging.h"

namespace keel::server {

struct HttpServer::Session {
  explicit Session(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  net::steady_timer timer;
  std::string peer;
};

std::string RenderHttpResponse(const HttpResponse& r, bool keep_alive, bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n"
      "Cache-Control: no-store\r\n\r\n",
      r.status, HttpReason(r.status), r.content_type, r.body.size(),
      keep_alive ? "keep-alive" : "close");
  if (!head_only) out += r.body;
  return out;
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

std::string HttpServer::address() const { return absl::StrCat(options_.host, ":", port_); }

absl::Status HttpServer::Start() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(options_.host.empty() ? "0.0.0.0" : options_.host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listener ", options_.host, ":", options_.port, ": bad address: ", ec.message()));
  }
  tcp::endpoint ep(address, options_.port);
  acceptor_.emplace(io_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("http listener ", options_.host, ":", options_.port,
                                               ": cannot listen: ", ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(io_, AcceptLoop(), net::detached);
  started_ = true;
  thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

Task<void> HttpServer::AcceptLoop() {
  auto log = ModuleLogger("http");
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(use_tuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor_->is_open()) co_return;
      log->warn("http accept failed: {}", ec.message());
      net::steady_timer t(io_, std::chrono::milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    if (open_connections_.load() >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket));
    boost::system::error_code pec;
    auto ep = session->socket.remote_endpoint(pec);
    session->peer = pec ? "unknown" : absl::StrCat(ep.address().to_string(), ":", ep.port());
    ++open_connections_;
    net::co_spawn(io_, Serve(session), [this](std::exception_ptr e) {
      --open_connections_;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          ModuleLogger("http")->error("http session ended with exception: {}", ex.what());
        } catch (...) {
        }
      }
    });
  }
}

Task<void> HttpServer::Serve(std::shared_ptr<Session> s) {
  auto log = ModuleLogger("http");
  std::string carry;
  std::array<char, 4096> buf;
  for (;;) {
    // The deadline closes the socket, which ends the pending read.
    s->timer.expires_after(options_.read_timeout);
    s->timer.async_wait([s](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        s->socket.close(ignored);
      }
    });
    HttpRequestParser parser(options_.max_request_bytes);
    HttpRequestParser::State state = parser.Feed(carry);
    while (state == HttpRequestParser::State::kNeedMore) {
      auto [ec, n] = co_await s->socket.async_read_some(net::buffer(buf), use_tuple);
      if (ec) {
        s->timer.cancel();
        co_return;  // client went away, or the deadline closed the socket
      }
      state = parser.Feed(std::string_view(buf.data(), n));
    }
    s->timer.cancel();
    HttpResponse response;
    bool keep_alive = false;
    bool head_only = false;
    switch (state) {
      case HttpRequestParser::State::kComplete:
        keep_alive = parser.request().keep_alive;
        head_only = parser.request().method == "HEAD";
        try {
          response = handler_(parser.request());
        } catch (const std::exception& e) {
          log->error("http {} {} failed: {}", parser.request().method, parser.request().path, e.what());
          response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
        }
        break;
      case HttpRequestParser::State::kMethodNotAllowed:
        log->warn("http peer={} sent method {} (only GET and HEAD are served)", s->peer,
                  parser.request().method);
        response = HttpResponse{405, "text/plain; charset=utf-8", "method not allowed\n"};
        break;
      case HttpRequestParser::State::kTooLarge:
        log->warn("http peer={} sent a request head over {} bytes", s->peer, options_.max_request_bytes);
        response = HttpResponse{431, "text/plain; charset=utf-8", "request too large\n"};
        break;
      default:
        log->warn("http peer={} sent a malformed request", s->peer);
        response = HttpResponse{400, "text/plain; charset=utf-8", "bad request\n"};
        break;
    }
    std::string out = RenderHttpResponse(response, keep_alive, head_only);
    if (state == HttpRequestParser::State::kMethodNotAllowed) {
      out.insert(out.find("\r\n") + 2, "Allow: GET, HEAD\r\n");
    }
    auto [wec, wn] = co_await net::async_write(s->socket, net::buffer(out), use_tuple);
    if (wec || !keep_alive) break;
    carry = std::string(parser.leftover());
  }
  // Lingering close: stop sending, then read and drop what the client still
  // sends (e.g. the rest of an oversized request) for a moment, so closing
  // with unread data does not reset the connection before the client has
  // read our answer.
  boost::system::error_code ignored;
  s->socket.shutdown(tcp::socket::shutdown_send, ignored);
  s->timer.expires_after(std::chrono::seconds(2));
  s->timer.async_wait([s](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored2;
      s->socket.close(ignored2);
    }
  });
  for (;;) {
    auto [ec, n] = co_await s->socket.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
  }
  s->timer.cancel();
  s->socket.close(ignored);
}

}  // namespace keel::server
