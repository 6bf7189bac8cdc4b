#include "keel/server/connection_manager.h"

#include <vector>

#include "keel/server/connection.h"

namespace keel::server {

void ConnectionManager::Add(std::shared_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  connections_[c->id()] = std::move(c);
}

void ConnectionManager::Remove(uint64_t id) {
  std::shared_ptr<Connection> keep;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = connections_.find(id);
  if (it != connections_.end()) {
    keep = std::move(it->second);
    connections_.erase(it);
  }
}

void ConnectionManager::StopAll() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) all.push_back(c);
  }
  for (auto& c : all) c->Stop();
}

void ConnectionManager::DrainAll() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) all.push_back(c);
  }
  for (auto& c : all) c->Drain();
}

size_t ConnectionManager::size() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

}  // namespace keel::server
