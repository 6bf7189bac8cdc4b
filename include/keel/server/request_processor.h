// The seam between the network front end and the Kafka request handlers.
//
// A Connection reads size-delimited frames and hands each to the
// RequestProcessor; the processor returns the encoded response (or none, for
// acks=0 produce) as a list of byte fragments plus an owner that keeps them
// alive until they are written. The connection writes responses in request
// order, whatever order the processors finish in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "keel/common/default_init_allocator.h"
#include "keel/server/net.h"

namespace keel::server {

struct RequestContext {
  uint64_t connection_id = 0;
  std::string peer;      // "ip:port" of the client
  std::string listener;  // listener name, e.g. PLAINTEXT
  // The whole request frame after the 4-byte size prefix (header + body).
  std::shared_ptr<const UninitBytes> frame;
};

struct OutboundResponse {
  // Bytes to send, in order, including the 4-byte size prefix.
  std::vector<std::span<const uint8_t>> fragments;
  // Keeps every fragment's memory alive until the write completes.
  std::shared_ptr<const void> owner;
  size_t size() const {
    size_t n = 0;
    for (auto f : fragments) n += f.size();
    return n;
  }
};

struct ProcessResult {
  std::optional<OutboundResponse> response;  // nullopt: nothing to send
  bool close_connection = false;             // close after sending (if any)
};

class RequestProcessor {
 public:
  virtual ~RequestProcessor() = default;
  // Called on the connection's strand; may suspend (storage, fsync, long poll).
  virtual Task<ProcessResult> Process(RequestContext ctx) = 0;
};

}  // namespace keel::server
