// One client connection: reads size-prefixed Kafka frames, runs requests
// concurrently, and writes responses back in request order.
//
// Promises:
// - A frame whose size prefix is negative or above `max_request_bytes` closes
//   the connection (logged once) before anything of that size is allocated.
// - At most `max_inflight` requests are read ahead; beyond that reading pauses
//   until responses drain (back-pressure), so a slow reader pins bounded memory.
// - A request waiting on storage (fsync, long poll) never blocks reading the
//   next request nor any other connection.
// - An idle connection (no request in flight, nothing read) is closed after
//   `idle_timeout`; so is one whose response write has not completed within
//   `idle_timeout` (a reader that never reads would otherwise pin its queued
//   responses forever).
// Thread-safety: all state lives on the connection's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/server/net.h"
#include "keel/server/request_processor.h"

namespace keel::server {

class ConnectionManager;

struct ConnectionOptions {
  int64_t max_request_bytes = 100 * 1024 * 1024;
  int max_inflight = 64;
  std::chrono::milliseconds idle_timeout{600000};
  std::string listener_name = "PLAINTEXT";
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, uint64_t id, ConnectionOptions options,
             RequestProcessor& processor, ConnectionManager& manager);

  // Starts the read, write and idle-watch coroutines on the strand.
  void Start();
  // Closes the socket; coroutines end and the manager forgets the connection.
  void Stop();
  // Graceful stop: reads no further request, lets the requests in flight
  // finish and their responses be written, then closes.
  void Drain();

  uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }

 private:
  Task<void> ReadLoop();
  Task<void> WriteLoop();
  Task<void> IdleWatch();
  // Sends `range` with sendfile(2), waiting for the socket to drain as
  // needed. False (after logging) on an error or a file shorter than the range.
  Task<bool> SendFile(FileRange range);
  // Writes and clears `buffers`; false on a write error.
  Task<bool> WriteBuffers(std::vector<net::const_buffer>& buffers);
  Task<void> Run(uint64_t seq, RequestContext ctx);
  void Finish(uint64_t seq, ProcessResult result);
  void Close(const char* reason);

  tcp::socket socket_;
  net::strand<net::any_io_executor> strand_;
  const uint64_t id_;
  const ConnectionOptions options_;
  RequestProcessor& processor_;
  ConnectionManager& manager_;
  std::string peer_;

  uint64_t next_seq_ = 0;         // sequence number of the next request read
  uint64_t next_to_write_ = 0;    // sequence number whose response goes next
  int inflight_ = 0;              // requests read whose response is not yet written
  std::map<uint64_t, ProcessResult> finished_;  // results waiting for their turn
  net::steady_timer write_wakeup_;  // cancelled when a result is ready
  net::steady_timer read_wakeup_;   // cancelled when in-flight drops below the limit
  net::steady_timer idle_timer_;    // fires when the connection may have gone idle
  std::chrono::steady_clock::time_point last_activity_;
  bool writing_ = false;  // a response write is in progress since write_started_
  std::chrono::steady_clock::time_point write_started_;
  bool closed_ = false;
  bool draining_ = false;
};

}  // namespace keel::server
