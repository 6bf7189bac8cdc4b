// Client: the connections of one admin session to a (small) cluster.
//
// Keeps one BrokerConnection per broker address ("host:port"), opened on
// first use and negotiated once. The bootstrap address is the first one;
// Node() finds a broker by id through Metadata (the broker list is fetched
// once and cached), GroupCoordinator() through FindCoordinator.
//
// Errors: InvalidArgument for a malformed address; otherwise those of
// BrokerConnection, or Unavailable naming the Kafka error when
// FindCoordinator answers one.
// Thread-safety: none. Ownership: owns every connection; pointers it returns
// live as long as the Client.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "keel/client/broker_connection.h"

namespace keel::client {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "host:port", "[v6addr]:port". InvalidArgument otherwise.
absl::StatusOr<HostPort> ParseHostPort(std::string_view address);

class Client {
 public:
  // Connects to `bootstrap` (comma-separated addresses: the first that
  // answers is used).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string_view bootstrap,
                                                         ConnectionOptions options);

  BrokerConnection& bootstrap() { return *bootstrap_; }

  absl::StatusOr<BrokerConnection*> ConnectionTo(const HostPort& address);
  absl::StatusOr<BrokerConnection*> Node(int32_t node_id);
  absl::StatusOr<BrokerConnection*> GroupCoordinator(const std::string& group);

 private:
  explicit Client(ConnectionOptions options) : options_(std::move(options)) {}

  ConnectionOptions options_;
  BrokerConnection* bootstrap_ = nullptr;
  std::map<std::string, std::unique_ptr<BrokerConnection>> connections_;
  std::map<int32_t, HostPort> brokers_;  // from Metadata, filled on demand
  std::map<std::string, BrokerConnection*> coordinators_;
};

}  // namespace keel::client
