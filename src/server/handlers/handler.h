// The shape every Kafka API handler has, and the glue that turns a handler
// into a dispatch-table entry.
//
// A handler is a struct with
//   using Request = protocol::XRequest; using Response = protocol::XResponse;
//   static constexpr int16_t kMinVersion, kMaxVersion;   // what we implement
//   static Task<Reply<Response>> Handle(Call& call, Request& request);
// kMinVersion..kMaxVersion must lie inside the schema's range (checked at
// compile time). The glue decodes the body with the generated codec, calls the
// handler with one struct for every version, and encodes the reply with the
// right response header.
#pragma once

#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "keel/common/logging.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/request_header.h"
#include "keel/protocol/writer.h"
#include "keel/server/request_processor.h"
#include "keel/server/broker_context.h"
#include "keel/metrics/request_metrics.h"
#include "file_substitution.h"
#include "response_errors.h"

namespace keel::server {

using protocol::ErrorCode;

// One request in flight.
struct Call {
  BrokerContext& broker;
  const RequestContext& connection;
  const protocol::RequestHeader& header;
  int16_t version() const { return header.api_version; }
};

template <typename Response>
struct Reply {
  Response response;
  // Keeps external fragments (e.g. fetched batch bytes) alive until sent.
  std::shared_ptr<const void> owner;
  // acks=0 produce: nothing is sent back.
  bool no_response = false;
  std::vector<FileSubstitution> files;
};

// Encodes `response` with its response header into a frame ready to send.
template <typename Response>
OutboundResponse EncodeResponse(const protocol::RequestHeader& header, const Response& response,
                                int16_t version, std::shared_ptr<const void> owner) {
  struct Holder {
    protocol::Writer writer;
    std::shared_ptr<const void> owner;
  };
  auto holder = std::make_shared<Holder>();
  holder->owner = std::move(owner);
  protocol::Writer& w = holder->writer;
  size_t size_pos = w.ReserveInt32();
  protocol::WriteResponseHeader(w, header.correlation_id,
                                protocol::ResponseHeaderVersion(header.api_key, version));
  response.Encode(w, version);
  w.PatchSizeAfter(size_pos);
  OutboundResponse out;
  out.fragments = w.Fragments();
  out.owner = std::move(holder);
  return out;
}

template <typename H>
Task<ProcessResult> InvokeHandler(Call call, protocol::Reader body) {
  typename H::Request request;
  if (auto st = request.Decode(body, call.version()); !st.ok()) {
    ModuleLogger("net")->warn("conn={} peer={} malformed {} v{} request: {}; closing",
                              call.connection.connection_id, call.connection.peer,
                              call.header.api_key, call.version(), st.ToString());
    co_return ProcessResult{std::nullopt, true};
  }
  const auto started = std::chrono::steady_clock::now();
  Reply<typename H::Response> reply = co_await H::Handle(call, request);
  if (metrics::RequestMetrics* m = call.broker.request_metrics) {
    // Each distinct non-zero code once per response.
    int16_t seen[8];
    size_t n_seen = 0;
    ForEachErrorCode(reply.response, [&](int16_t code) {
      if (code == 0) return;
      for (size_t i = 0; i < n_seen; ++i)
        if (seen[i] == code) return;
      if (n_seen < std::size(seen)) seen[n_seen++] = code;
      m->OnError(call.header.api_key, code);
    });
    m->OnRequest(call.header.api_key,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (reply.no_response) co_return ProcessResult{};
  OutboundResponse out =
      EncodeResponse(call.header, reply.response, call.version(), std::move(reply.owner));
  if (!reply.files.empty() && !ApplyFileSubstitutions(std::move(reply.files), out)) {
    ModuleLogger("net")->error("conn={} peer={} {} v{} response: a zero-copy range lost its "
                               "fragment; closing instead of sending it",
                               call.connection.connection_id, call.connection.peer,
                               call.header.api_key, call.version());
    co_return ProcessResult{std::nullopt, true};
  }
  co_return ProcessResult{std::move(out), false};
}

// One dispatch-table row.
struct HandlerEntry {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;
  Task<ProcessResult> (*invoke)(Call, protocol::Reader);
};

template <typename H>
constexpr HandlerEntry MakeEntry() {
  static_assert(H::kMinVersion >= H::Request::kMinVersion &&
                    H::kMaxVersion <= H::Request::kMaxVersion,
                "handler version range must lie inside the schema's");
  return HandlerEntry{H::Request::kApiKey, H::kMinVersion, H::kMaxVersion, &InvokeHandler<H>};
}

}  // namespace keel::server
