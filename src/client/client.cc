// Client: connection cache, broker and coordinator lookup (see client.h).
#include "keel/client/client.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "keel/common/strings.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/find_coordinator.h"
#include "keel/protocol/messages/metadata.h"

namespace keel::client {

absl::StatusOr<HostPort> ParseHostPort(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", ToAbsl(address), "' is not host:port"));
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(ToAbsl(address.substr(colon + 1)), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", ToAbsl(address), "' has an invalid port"));
  }
  return HostPort{std::string(host), uint16_t(port)};
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string_view bootstrap,
                                                        ConnectionOptions options) {
  std::unique_ptr<Client> client(new Client(std::move(options)));
  absl::Status last = absl::InvalidArgumentError("empty bootstrap server list");
  for (absl::string_view part : absl::StrSplit(ToAbsl(bootstrap), ',', absl::SkipEmpty())) {
    auto address = ParseHostPort(ToStd(part));
    if (!address.ok()) return address.status();
    auto conn = client->ConnectionTo(*address);
    if (conn.ok()) {
      client->bootstrap_ = *conn;
      return client;
    }
    last = conn.status();
  }
  return last;
}

absl::StatusOr<BrokerConnection*> Client::ConnectionTo(const HostPort& address) {
  std::string key = absl::StrCat(address.host, ":", address.port);
  auto it = connections_.find(key);
  if (it != connections_.end() && !it->second->broken()) return it->second.get();
  KEEL_ASSIGN_OR_RETURN(auto conn, BrokerConnection::Connect(address.host, address.port, options_));
  BrokerConnection* raw = conn.get();
  connections_[key] = std::move(conn);
  return raw;
}

absl::StatusOr<BrokerConnection*> Client::Node(int32_t node_id) {
  if (!brokers_.count(node_id)) {
    protocol::MetadataRequest request;
    request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>{};
    request.allow_auto_topic_creation = false;
    KEEL_ASSIGN_OR_RETURN(auto reply, bootstrap().Call<protocol::MetadataResponse>(request));
    for (const auto& b : reply.message.brokers) {
      brokers_[b.node_id.value] = HostPort{b.host, uint16_t(b.port)};
    }
  }
  auto it = brokers_.find(node_id);
  if (it == brokers_.end()) {
    return absl::NotFoundError(absl::StrCat("broker ", node_id, " is not in the metadata"));
  }
  return ConnectionTo(it->second);
}

absl::StatusOr<BrokerConnection*> Client::GroupCoordinator(const std::string& group) {
  if (auto it = coordinators_.find(group); it != coordinators_.end() && !it->second->broken()) {
    return it->second;
  }
  protocol::FindCoordinatorRequest request;
  request.key = group;
  request.key_type = 0;
  request.coordinator_keys = {group};
  KEEL_ASSIGN_OR_RETURN(auto reply,
                        bootstrap().Call<protocol::FindCoordinatorResponse>(request));
  const auto& m = reply.message;
  int16_t error = m.error_code;
  std::string host = m.host;
  int32_t port = m.port;
  if (reply.version >= 4) {
    if (m.coordinators.empty()) return absl::UnavailableError("FindCoordinator returned no coordinator");
    error = m.coordinators[0].error_code;
    host = m.coordinators[0].host;
    port = m.coordinators[0].port;
  }
  if (error != 0) {
    return absl::UnavailableError(fmt::format("FindCoordinator for group '{}' failed: {}", group,
                                             protocol::ErrorName(protocol::ErrorCode(error))));
  }
  KEEL_ASSIGN_OR_RETURN(BrokerConnection * conn, ConnectionTo(HostPort{host, uint16_t(port)}));
  coordinators_[group] = conn;
  return conn;
}

}  // namespace keel::client
