// The network front end: listeners, the I/O thread pool and live connections.
//
// Start() binds every listener (port 0 picks an ephemeral port; bound() tells
// which) and runs the io_context on `io_threads` threads. Stop() closes the
// acceptors, lets every connection finish the requests it has in flight (no
// new request is read) for up to `drain_timeout`, then closes what is left
// and joins the threads; it is idempotent.
// Thread-safety: Start/Stop from one controlling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "keel/config/broker_config.h"
#include "keel/server/connection.h"
#include "keel/server/connection_manager.h"
#include "keel/server/memory_pool.h"
#include "keel/server/net.h"
#include "keel/server/request_processor.h"

namespace keel::server {

struct ServerOptions {
  std::vector<config::ListenerSpec> listeners;
  int io_threads = 2;
  ConnectionOptions connection;
  // Stop(): how long requests in flight may take to finish before their
  // connections are closed regardless.
  std::chrono::milliseconds drain_timeout{2000};
  // queued.max.request.bytes: budget shared by every connection for requests
  // read and not yet answered (see RequestMemoryPool); < 0 = unbounded.
  int64_t queued_max_request_bytes = -1;
};

class Server {
 public:
  Server(ServerOptions options, RequestProcessor& processor);
  ~Server();

  // Binds every listener (nothing is accepted yet); bound() is valid after.
  absl::Status Bind();
  // Starts accepting and runs the I/O threads. REQUIRES: Bind() succeeded.
  void Run();
  // Bind() then Run().
  absl::Status Start();
  void Stop();

  // The listeners as bound (with the real port when 0 was asked for).
  std::vector<config::ListenerSpec> bound() const { return bound_; }
  size_t connection_count() const { return connections_.size(); }
  // Connections accepted since Run(), over every listener.
  uint64_t accepted_count() const { return next_connection_id_.load() - 1; }
  net::io_context& io_context() { return io_; }
  const RequestMemoryPool& memory_pool() const { return memory_pool_; }

 private:
  Task<void> AcceptLoop(tcp::acceptor& acceptor, std::string listener_name);

  ServerOptions options_;
  RequestProcessor& processor_;
  RequestMemoryPool memory_pool_;  // outlives io_ (pending requests hold reservations)
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<config::ListenerSpec> bound_;
  std::vector<std::thread> threads_;
  ConnectionManager connections_;
  std::atomic<uint64_t> next_connection_id_{1};
  bool stopped_ = false;
};

}  // namespace keel::server
