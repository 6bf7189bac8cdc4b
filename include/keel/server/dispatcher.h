// The RequestProcessor that speaks Kafka: parses the request header, looks
// the API up in the handler registry, and runs the handler.
//
// Kafka's rules at this boundary:
// - ApiVersions at a version we do not implement is answered with a v0-format
//   body carrying UNSUPPORTED_VERSION and our full API list (KIP-511), so the
//   client can retry with a version we support.
// - Any other unknown API key or unsupported version, or a header/body that
//   does not decode, closes the connection after a log line (as Kafka does);
//   other connections are unaffected.
#pragma once

#include "keel/server/broker_context.h"
#include "keel/server/request_processor.h"

namespace keel::server {

class Dispatcher : public RequestProcessor {
 public:
  explicit Dispatcher(BrokerContext& broker) : broker_(broker) {}
  Task<ProcessResult> Process(RequestContext ctx) override;

 private:
  BrokerContext& broker_;
};

}  // namespace keel::server
