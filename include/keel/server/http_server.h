// The broker's HTTP/1.1 server for its operational endpoints (/healthz,
// /readyz, /metrics, and later ones such as a schema registry): Boost.Beast
// parses requests and writes replies on our Asio io_context; an HttpRouter
// (or any Handler) decides the answers.
//
// Promises:
// - Start() binds host:port (port 0 = ephemeral; port() tells which) and
//   serves on its own io_context and thread, so a slow scrape never delays
//   Kafka traffic. A bind failure is returned, not retried.
// - A request head is bounded by `max_request_bytes` (431 beyond it), a body
//   by `max_body_bytes` (413 beyond it; 0 = no request bodies), and a
//   request must arrive within `read_timeout` (the connection is closed
//   otherwise); malformed requests get 400. Each bad request (400, 405,
//   413, 431) is logged once, with the peer, and closes the connection.
// - Keep-alive is honoured (HTTP/1.1 default, HTTP/1.0 on request) up to the
//   idle timeout, pipelined requests are answered in order; at most
//   `max_connections` connections are served at once (more are closed).
// - HEAD gets the headers of the handler's answer without its body.
// - The handler runs on the server thread, one request at a time; an
//   exception from it is answered 500.
// Stop() closes the listener and every connection and joins the thread;
// idempotent. Not copyable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "keel/server/http_request.h"
#include "keel/server/http_router.h"
#include "keel/server/net.h"

namespace keel::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t max_request_bytes = 8192;  // the request head: start line and fields
  size_t max_body_bytes = 0;
  std::chrono::milliseconds read_timeout{10000};
  int max_connections = 64;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(HttpServerOptions options, Handler handler);
  // Serves the router's routes (it is kept by the server).
  HttpServer(HttpServerOptions options, HttpRouter router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  absl::Status Start();
  void Stop();

  uint16_t port() const { return port_; }
  // "host:port" as bound.
  std::string address() const;

 private:
  struct Session;
  Task<void> AcceptLoop();
  Task<void> Serve(std::shared_ptr<Session> session);

  HttpServerOptions options_;
  Handler handler_;
  net::io_context io_;
  std::optional<tcp::acceptor> acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<int> open_connections_{0};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace keel::server
