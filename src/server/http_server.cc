// The HTTP server: accept loop and per-connection sessions over Beast (see
// http_server.h; the message mapping is in http_codec.h).
#include "keel/server/http_server.h"

#include <array>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "absl/strings/str_cat.h"
#include "http_codec.h"
#include "keel/common/logging.h"

namespace keel::server {

namespace beast = boost::beast;

struct HttpServer::Session {
  explicit Session(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::string peer;
};

namespace {

HttpResponse PlainText(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpResponse ErrorResponse(int status) {
  switch (status) {
    case 413: return PlainText(413, "request body too large\n");
    case 431: return PlainText(431, "request too large\n");
    default: return PlainText(400, "bad request\n");
  }
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::HttpServer(HttpServerOptions options, HttpRouter router)
    : HttpServer(std::move(options), [router = std::move(router)](const HttpRequest& r) {
        return router.Handle(r);
      }) {}

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
    auto ep = session->stream.socket().remote_endpoint(pec);
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
  // Bytes read past one request (a pipelined next one) stay here for the next.
  beast::flat_buffer buffer;
  for (;;) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_request_bytes));
    parser.body_limit(options_.max_body_bytes);
    // The deadline closes the socket, which ends the pending read.
    s->stream.expires_after(options_.read_timeout);
    auto [ec, n] = co_await beast_http::async_read(s->stream, buffer, parser, use_tuple);
    HttpResponse response;
    bool keep_alive = false;
    bool head_only = false;
    if (ec) {
      std::optional<int> status = StatusForReadError(ec);
      if (!status) break;  // client went away, or the deadline closed the socket
      log->warn("http peer={} sent a bad request ({}), answered {}", s->peer, ec.message(), *status);
      response = ErrorResponse(*status);
    } else if (auto request = FromBeastRequest(parser.get()); !request.ok()) {
      log->warn("http peer={} sent a bad request ({}), answered 400", s->peer,
                std::string(request.status().message()));
      response = ErrorResponse(400);
    } else {
      keep_alive = request->keep_alive;
      head_only = request->method == "HEAD";
      try {
        response = handler_(*request);
      } catch (const std::exception& e) {
        log->error("http {} {} failed: {}", request->method, request->path, e.what());
        response = PlainText(500, "internal error\n");
      }
      if (response.status == 405) {
        // A bad request like the ones above: logged, and the connection closed.
        log->warn("http peer={} sent method {} for {}, answered 405", s->peer, request->method, request->path);
        keep_alive = false;
      }
    }
    BeastResponse full = ToBeastResponse(response, keep_alive);
    s->stream.expires_after(options_.read_timeout);
    boost::system::error_code wec;
    if (head_only) {
      auto head = HeadOnly(full);
      std::tie(wec, std::ignore) = co_await beast_http::async_write(s->stream, head, use_tuple);
    } else {
      std::tie(wec, std::ignore) = co_await beast_http::async_write(s->stream, full, use_tuple);
    }
    if (wec || !keep_alive) break;
  }
  // Lingering close: stop sending, then read and drop what the client still
  // sends (e.g. the rest of an oversized request) for a moment, so closing
  // with unread data does not reset the connection before the client has
  // read our answer.
  boost::system::error_code ignored;
  s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  s->stream.expires_after(std::chrono::seconds(2));
  std::array<char, 4096> drop;
  for (;;) {
    auto [ec, n] = co_await s->stream.async_read_some(net::buffer(drop), use_tuple);
    if (ec) break;
  }
  s->stream.close();
}

}  // namespace keel::server
