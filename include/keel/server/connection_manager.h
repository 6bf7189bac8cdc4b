// Tracks live connections so the server can stop them all on shutdown.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

namespace keel::server {

class Connection;

class ConnectionManager {
 public:
  void Add(std::shared_ptr<Connection> c);
  void Remove(uint64_t id);
  // Stops every connection (closes sockets).
  void StopAll();
  // Drains every connection (see Connection::Drain).
  void DrainAll();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace keel::server
