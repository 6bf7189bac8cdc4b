// A minimal HTTP/1.1 server for the broker's operational endpoints
// (/healthz, /readyz, /metrics): GET and HEAD only, no request bodies.
//
// Promises:
// - Start() binds host:port (port 0 = ephemeral; port() tells which) and
//   serves on its own io_context and thread, so a slow scrape never delays
//   Kafka traffic. A bind failure is returned, not retried.
// - A request head is bounded by `max_request_bytes` (431 beyond it) and must
//   arrive within `read_timeout` (the connection is closed otherwise); other
//   methods get 405, malformed requests 400. Each bad request is logged once.
// - Keep-alive is honoured (HTTP/1.1 default) up to the idle timeout; at most
//   `max_connections` connections are served at once (more are closed).
// - The handler runs on the server thread, one request at a time per
//   connection; it must be thread-safe if `threads` > 1 (it is 1).
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
#include "keel/server/net.h"

namespace keel::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t max_request_bytes = 8192;
  std::chrono::milliseconds read_timeout{10000};
  int max_connections = 64;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(HttpServerOptions options, Handler handler);
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

// Renders `response` as HTTP/1.1 bytes (status line, Content-Type,
// Content-Length, Connection), with the body unless `head_only`.
std::string RenderHttpResponse(const HttpResponse& response, bool keep_alive, bool head_only);

}  // namespace keel::server
