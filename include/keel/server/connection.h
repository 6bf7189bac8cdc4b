// One client connection: reads size-prefixed Kafka frames, runs requests
// concurrently, and writes responses back in request order.
//
// Promises:
// - A frame whose size prefix is negative or above `max_request_bytes` closes
//   the connection (logged once) before anything of that size is allocated.
// - At most `max_inflight` requests are read ahead; beyond that reading pauses
//   until responses drain (back-pressure), so a slow reader pins bounded memory.
// - With a memory pool (queued.max.request.bytes), each request's cost
//   (RequestMemoryCharge) is reserved after its size prefix and api key are
//   read and before its frame is allocated; while the pool lacks room this
//   connection reads nothing more (other connections keep being served). The
//   reservation is returned once the response is written, or the connection
//   closed and the request finished.
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

#include "keel/server/memory_pool.h"
#include "keel/server/net.h"
#include "keel/server/request_processor.h"

namespace keel::server {

class ConnectionManager;

struct ConnectionOptions {
  int64_t max_request_bytes = 100 * 1024 * 1024;
  int max_inflight = 64;
  std::chrono::milliseconds idle_timeout{600000};
  std::string listener_name = "PLAINTEXT";
  // Broker-wide budget for requests in flight; nullptr = unbounded. Not owned.
  RequestMemoryPool* memory_pool = nullptr;
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
  // Reserves `bytes` from the pool, waiting (reading nothing) while it lacks
  // room. False if the connection closed meanwhile (nothing is reserved).
  Task<bool> ReserveMemory(int64_t bytes);
  // Sends `range` with sendfile(2), waiting for the socket to drain as
  // needed. False (after logging) on an error or a file shorter than the range.
  Task<bool> SendFile(FileRange range);
  // Writes and clears `buffers`; false on a write error.
  Task<bool> WriteBuffers(std::vector<net::const_buffer>& buffers);
  Task<void> Run(uint64_t seq, RequestContext ctx, MemoryReservation memory);
  void Finish(uint64_t seq, ProcessResult result, MemoryReservation memory);
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
  struct Finished {
    ProcessResult result;
    MemoryReservation memory;  // released once the response is written
  };
  std::map<uint64_t, Finished> finished_;  // results waiting for their turn
  net::steady_timer write_wakeup_;  // cancelled when a result is ready
  net::steady_timer read_wakeup_;   // cancelled when in-flight drops below the limit
  net::steady_timer idle_timer_;    // fires when the connection may have gone idle
  net::steady_timer memory_wakeup_;  // cancelled when the pool granted our bytes
  uint64_t memory_ticket_ = 0;       // queued pool request, 0 = none
  bool memory_granted_ = false;
  std::chrono::steady_clock::time_point last_activity_;
  bool writing_ = false;  // a response write is in progress since write_started_
  std::chrono::steady_clock::time_point write_started_;
  bool closed_ = false;
  bool draining_ = false;
};

}  // namespace keel::server
