#include "keel/server/connection.h"

#include <sys/sendfile.h>

#include <cerrno>
#include <cstring>

#include "keel/common/coding.h"
#include "keel/common/logging.h"
#include "keel/server/connection_manager.h"

namespace keel::server {
namespace {

// Smallest valid request: api_key(2) api_version(2) correlation_id(4) client_id length(2).
constexpr int32_t kMinFrameSize = 10;
// Responses gathered into one write, at most this many bytes (beyond the first).
constexpr size_t kMaxGatherBytes = 1 << 20;

std::shared_ptr<spdlog::logger> NetLog() { return ModuleLogger("net"); }

void LogIfThrew(std::exception_ptr e, uint64_t id) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    NetLog()->error("conn={} coroutine ended with exception: {}", id, ex.what());
  } catch (...) {
    NetLog()->error("conn={} coroutine ended with unknown exception", id);
  }
}

}  // namespace

Connection::Connection(tcp::socket socket, uint64_t id, ConnectionOptions options,
                       RequestProcessor& processor, ConnectionManager& manager)
    : socket_(std::move(socket)),
      strand_(net::make_strand(socket_.get_executor())),
      id_(id),
      options_(std::move(options)),
      processor_(processor),
      manager_(manager),
      write_wakeup_(strand_),
      read_wakeup_(strand_),
      idle_timer_(strand_),
      memory_wakeup_(strand_),
      last_activity_(std::chrono::steady_clock::now()) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.native_non_blocking(true, ec);  // SendFile calls sendfile(2) on the descriptor
}

void Connection::Start() {
  auto self = shared_from_this();
  uint64_t id = id_;
  net::co_spawn(strand_, ReadLoop(), [id](std::exception_ptr e) { LogIfThrew(e, id); });
  net::co_spawn(strand_, WriteLoop(), [id](std::exception_ptr e) { LogIfThrew(e, id); });
  net::co_spawn(strand_, IdleWatch(), [id](std::exception_ptr e) { LogIfThrew(e, id); });
}

void Connection::Stop() {
  net::post(strand_, [self = shared_from_this()] { self->Close("server stopping"); });
}

void Connection::Drain() {
  net::post(strand_, [self = shared_from_this()] {
    if (self->closed_ || self->draining_) return;
    self->draining_ = true;
    if (self->inflight_ == 0) {
      self->Close("server stopping");
      return;
    }
    // Ends the pending read (it sees end of stream); the write loop closes
    // the connection once the last response in flight is written.
    boost::system::error_code ec;
    self->socket_.shutdown(tcp::socket::shutdown_receive, ec);
  });
}

void Connection::Close(const char* reason) {
  if (closed_) return;
  closed_ = true;
  NetLog()->debug("conn={} peer={} closed: {}", id_, peer_, reason);
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  write_wakeup_.cancel();
  read_wakeup_.cancel();
  idle_timer_.cancel();
  memory_wakeup_.cancel();
  // A queued pool request is withdrawn; if it was granted meanwhile, the
  // grant (posted to this strand) sees closed_ and releases the bytes.
  if (memory_ticket_ != 0) options_.memory_pool->Cancel(memory_ticket_);
  memory_ticket_ = 0;
  finished_.clear();  // unwritten responses and their reservations
  manager_.Remove(id_);
}

Task<void> Connection::ReadLoop() {
  auto self = shared_from_this();
  while (!closed_) {
    while (inflight_ >= options_.max_inflight && !closed_) {
      read_wakeup_.expires_at(net::steady_timer::time_point::max());
      co_await read_wakeup_.async_wait(use_tuple);
    }
    if (closed_) break;
    uint8_t size_buf[4];
    auto [ec, n] = co_await net::async_read(socket_, net::buffer(size_buf), use_tuple);
    if (ec && draining_) break;  // the write loop closes once drained
    if (ec) {
      Close(ec == net::error::eof ? "client closed" : "read error");
      break;
    }
    int32_t size = int32_t(coding::LoadBE32(size_buf));
    if (size < kMinFrameSize || int64_t(size) > options_.max_request_bytes) {
      NetLog()->warn(
          "conn={} peer={} sent a frame of {} bytes (allowed {}..{}, socket.request.max.bytes); "
          "closing the connection",
          id_, peer_, size, kMinFrameSize, options_.max_request_bytes);
      Close("bad frame size");
      break;
    }
    // The api key (first 2 bytes of every frame) tells what the frame costs.
    uint8_t key_buf[2];
    auto [ec1, n1] = co_await net::async_read(socket_, net::buffer(key_buf), use_tuple);
    if (ec1 && draining_) break;
    if (ec1) {
      Close(ec1 == net::error::eof ? "client closed mid-frame" : "read error mid-frame");
      break;
    }
    MemoryReservation memory;
    if (options_.memory_pool != nullptr) {
      const int64_t charge = RequestMemoryCharge(int16_t(coding::LoadBE16(key_buf)), size);
      if (!co_await ReserveMemory(charge)) break;
      memory = MemoryReservation(options_.memory_pool, charge);
      if (closed_) break;  // releases what was just granted
    }
    auto frame = std::make_shared<UninitBytes>(size_t(size));  // not zeroed: read fills it
    (*frame)[0] = key_buf[0];
    (*frame)[1] = key_buf[1];
    auto [ec2, n2] = co_await net::async_read(
        socket_, net::buffer(frame->data() + 2, frame->size() - 2), use_tuple);
    if (ec2 && draining_) break;
    if (ec2) {
      Close(ec2 == net::error::eof ? "client closed mid-frame" : "read error mid-frame");
      break;
    }
    last_activity_ = std::chrono::steady_clock::now();
    uint64_t seq = next_seq_++;
    ++inflight_;
    RequestContext ctx{id_, peer_, options_.listener_name, std::move(frame)};
    uint64_t id = id_;
    net::co_spawn(strand_, Run(seq, std::move(ctx), std::move(memory)),
                  [id](std::exception_ptr e) { LogIfThrew(e, id); });
  }
}

Task<bool> Connection::ReserveMemory(int64_t bytes) {
  auto self = shared_from_this();
  RequestMemoryPool* pool = options_.memory_pool;
  memory_granted_ = false;
  uint64_t ticket = 0;
  const bool now = pool->Reserve(bytes, &ticket, [self, bytes] {
    net::post(self->strand_, [self, bytes] {
      if (self->closed_) {
        self->options_.memory_pool->Release(bytes);
        return;
      }
      self->memory_granted_ = true;
      self->memory_wakeup_.cancel();
    });
  });
  if (now) co_return true;
  memory_ticket_ = ticket;
  NetLog()->debug("conn={} peer={} paused: a {}-byte request waits for room in "
                  "queued.max.request.bytes ({} of {} reserved)",
                  id_, peer_, bytes, pool->reserved(), pool->capacity());
  while (!memory_granted_ && !closed_) {
    memory_wakeup_.expires_at(net::steady_timer::time_point::max());
    co_await memory_wakeup_.async_wait(use_tuple);
  }
  memory_ticket_ = 0;
  co_return memory_granted_;
}

Task<void> Connection::Run(uint64_t seq, RequestContext ctx, MemoryReservation memory) {
  auto self = shared_from_this();
  ProcessResult result;
  try {
    result = co_await processor_.Process(std::move(ctx));
  } catch (const std::exception& e) {
    NetLog()->error("conn={} peer={} request failed with exception: {}", id_, peer_, e.what());
    result = ProcessResult{std::nullopt, true};
  }
  Finish(seq, std::move(result), std::move(memory));
}

void Connection::Finish(uint64_t seq, ProcessResult result, MemoryReservation memory) {
  if (closed_) return;  // nobody writes it: drop the result, release the memory
  finished_.emplace(seq, Finished{std::move(result), std::move(memory)});
  write_wakeup_.cancel();
}

Task<void> Connection::WriteLoop() {
  auto self = shared_from_this();
  std::vector<net::const_buffer> buffers;
  std::vector<Finished> batch;
  while (!closed_) {
    auto it = finished_.find(next_to_write_);
    if (it == finished_.end()) {
      write_wakeup_.expires_at(net::steady_timer::time_point::max());
      co_await write_wakeup_.async_wait(use_tuple);
      continue;
    }
    // Gather consecutive finished responses into one write.
    buffers.clear();
    batch.clear();
    size_t bytes = 0;
    bool close_after = false;
    while (it != finished_.end() && it->first == next_to_write_ && !close_after) {
      Finished r = std::move(it->second);
      finished_.erase(it);
      ++next_to_write_;
      if (r.result.response) bytes += r.result.response->size();
      close_after = r.result.close_connection;
      batch.push_back(std::move(r));
      if (bytes > kMaxGatherBytes) break;
      it = finished_.find(next_to_write_);
    }
    // Memory fragments are gathered into as few writes as possible; a
    // fragment backed by file ranges first flushes what is gathered, then
    // goes out with sendfile.
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    bool failed = false;
    for (const Finished& f : batch) {
      const ProcessResult& r = f.result;
      if (!r.response || failed) continue;
      const OutboundResponse& out = *r.response;
      for (size_t i = 0; i < out.fragments.size() && !failed; ++i) {
        if (i < out.from_files.size() && !out.from_files[i].empty()) {
          failed = !co_await WriteBuffers(buffers);
          for (const FileRange& range : out.from_files[i]) {
            if (failed) break;
            failed = !co_await SendFile(range);
          }
        } else {
          buffers.emplace_back(out.fragments[i].data(), out.fragments[i].size());
        }
      }
    }
    if (!failed) failed = !co_await WriteBuffers(buffers);
    writing_ = false;
    if (failed) {
      Close("write error");
      break;
    }
    inflight_ -= int(batch.size());
    batch.clear();  // frees the responses and returns their memory to the pool
    last_activity_ = std::chrono::steady_clock::now();
    read_wakeup_.cancel();
    if (close_after) {
      Close("request requires closing the connection");
      break;
    }
    if (draining_ && inflight_ == 0) {
      Close("server stopping (drained)");
      break;
    }
  }
}

Task<bool> Connection::WriteBuffers(std::vector<net::const_buffer>& buffers) {
  if (buffers.empty()) co_return true;
  auto [ec, n] = co_await net::async_write(socket_, buffers, use_tuple);
  buffers.clear();
  co_return !ec;
}

Task<bool> Connection::SendFile(FileRange range) {
  off_t offset = off_t(range.offset);
  size_t left = range.size;
  while (left > 0 && !closed_) {
    ssize_t n = ::sendfile(socket_.native_handle(), range.fd, &offset,
                           std::min(left, size_t{1} << 30));
    if (n > 0) {
      left -= size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto [ec] = co_await socket_.async_wait(tcp::socket::wait_write, use_tuple);
      if (ec) co_return false;
      continue;
    }
    if (n == 0) {
      NetLog()->error("conn={} peer={} sendfile: file ended {} bytes short of a fetched range", id_,
                      peer_, left);
    } else if (errno != EPIPE && errno != ECONNRESET) {
      NetLog()->warn("conn={} peer={} sendfile: {}", id_, peer_, std::strerror(errno));
    }
    co_return false;
  }
  co_return left == 0;
}

Task<void> Connection::IdleWatch() {
  auto self = shared_from_this();
  while (!closed_) {
    idle_timer_.expires_at(last_activity_ + options_.idle_timeout);
    co_await idle_timer_.async_wait(use_tuple);
    if (closed_) break;
    auto now = std::chrono::steady_clock::now();
    if (writing_ && now - write_started_ >= options_.idle_timeout) {
      // A peer that stopped reading pins its queued responses; it is idle too.
      NetLog()->info(
          "conn={} peer={} has not read its responses for {} ms; closing "
          "(connections.max.idle.ms)",
          id_, peer_, options_.idle_timeout.count());
      Close("responses not read");
      break;
    }
    // Waiting for room in the memory pool is waiting on the broker, not idle.
    if (inflight_ == 0 && memory_ticket_ == 0 &&
        now - last_activity_ >= options_.idle_timeout) {
      NetLog()->info("conn={} peer={} idle for {} ms; closing (connections.max.idle.ms)", id_,
                     peer_, options_.idle_timeout.count());
      Close("idle timeout");
      break;
    }
    if (inflight_ > 0 || memory_ticket_ != 0) last_activity_ = now;  // busy, not idle
  }
}

}  // namespace keel::server
