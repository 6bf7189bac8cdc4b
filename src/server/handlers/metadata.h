// Metadata (key 3): brokers (this node, at its advertised address), topics
// with their partitions (this node leads all, leader epoch 0, ISR = {self}),
// topic ids (v10+), and auto-creation of unknown topics when both the request
// (v4+; always for v0-3) and auto.create.topics.enable allow it.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/metadata.h"

namespace keel::server {

struct MetadataHandler {
  using Request = protocol::MetadataRequest;
  using Response = protocol::MetadataResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 12;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

// The advertised listener for the listener a client connected to (falls
// back to the first advertised listener).
const config::ListenerSpec& AdvertisedFor(const BrokerContext& broker, const std::string& listener);

}  // namespace keel::server
