#include "keel/server/server.h"

#include "absl/strings/str_cat.h"
#include "keel/common/logging.h"

namespace keel::server {

Server::Server(ServerOptions options, RequestProcessor& processor)
    : options_(std::move(options)),
      processor_(processor),
      memory_pool_(options_.queued_max_request_bytes) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  auto st = Bind();
  if (st.ok()) Run();
  return st;
}

absl::Status Server::Bind() {
  for (const auto& spec : options_.listeners) {
    boost::system::error_code ec;
    auto address = net::ip::make_address(spec.host.empty() ? "0.0.0.0" : spec.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("listener ", spec.ToString(), ": bad address: ", ec.message()));
    }
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    tcp::endpoint ep(address, spec.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("listener ", spec.ToString(), ": cannot listen: ", ec.message()));
    }
    config::ListenerSpec b = spec;
    b.port = acceptor->local_endpoint().port();
    bound_.push_back(b);
    acceptors_.push_back(std::move(acceptor));
  }
  return absl::OkStatus();
}

void Server::Run() {
  auto log = ModuleLogger("net");
  for (size_t i = 0; i < acceptors_.size(); ++i)
    net::co_spawn(io_, AcceptLoop(*acceptors_[i], bound_[i].name), net::detached);
  work_.emplace(io_.get_executor());
  int n = std::max(1, options_.io_threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io_.run(); });
  for (const auto& b : bound_) log->info("listening on {}", b.ToString());
}

Task<void> Server::AcceptLoop(tcp::acceptor& acceptor, std::string listener_name) {
  auto log = ModuleLogger("net");
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(io_), use_tuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE and friends: log, back off briefly, keep accepting.
      log->warn("accept on {} failed: {}", listener_name, ec.message());
      net::steady_timer t(io_, std::chrono::milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    uint64_t id = next_connection_id_++;
    ConnectionOptions copts = options_.connection;
    copts.listener_name = listener_name;
    copts.memory_pool = &memory_pool_;
    auto conn = std::make_shared<Connection>(std::move(socket), id, copts, processor_, connections_);
    log->debug("conn={} accepted from {} on {}", id, conn->peer(), listener_name);
    connections_.Add(conn);
    conn->Start();
  }
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  net::post(io_, [this] {
    for (auto& a : acceptors_) {
      boost::system::error_code ec;
      a->close(ec);
    }
  });
  auto log = ModuleLogger("net");
  size_t open = connections_.size();
  if (open > 0) {
    log->info("draining {} connection(s) for up to {} ms", open, options_.drain_timeout.count());
  }
  connections_.DrainAll();
  auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while (connections_.size() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (size_t left = connections_.size(); left > 0) {
    log->warn("{} connection(s) still busy after {} ms; closing them", left,
              options_.drain_timeout.count());
  }
  connections_.StopAll();
  work_.reset();
  // Give connections a moment to close, then stop the loop regardless.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (connections_.size() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  io_.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace keel::server
