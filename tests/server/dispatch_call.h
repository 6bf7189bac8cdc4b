// Runs one request through a Dispatcher the way the network layer does, for
// handler tests without sockets: encodes it behind the request header a
// client would send, processes it on `io` (which a test thread runs), and
// decodes the response body from the bytes the broker would write. Only
// non-flexible versions (the response header is the correlation id alone).
//
// Decoded responses point into `response_bytes`, which the caller keeps
// until it is done with them. Responses must come from memory: SimFileSystem
// has no descriptors to sendfile from.
#pragma once

#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/request_header.h"
#include "keel/protocol/writer.h"
#include "keel/server/dispatcher.h"

namespace keel::server::testing {

template <typename Resp, typename Req>
Resp DispatchCall(net::io_context& io, Dispatcher& dispatcher, const Req& request, int16_t version,
                  int32_t correlation_id, std::vector<uint8_t>& response_bytes) {
  protocol::Writer w;
  protocol::RequestHeader header{Req::kApiKey, version, correlation_id, std::string("test")};
  protocol::WriteRequestHeader(w, header, protocol::RequestHeaderVersion(Req::kApiKey, version));
  request.Encode(w, version);
  std::vector<uint8_t> flat = w.Flatten();
  auto frame = std::make_shared<const UninitBytes>(flat.begin(), flat.end());
  RequestContext ctx{1, "127.0.0.1:1", "PLAINTEXT", frame};
  std::promise<ProcessResult> done;
  net::co_spawn(io, dispatcher.Process(std::move(ctx)), [&](std::exception_ptr e, ProcessResult r) {
    if (e) done.set_exception(e);
    else done.set_value(std::move(r));
  });
  ProcessResult result = done.get_future().get();
  Resp out;
  EXPECT_FALSE(result.close_connection);
  if (!result.response) {
    ADD_FAILURE() << "no response";
    return out;
  }
  for (const auto& ranges : result.response->from_files) {
    EXPECT_TRUE(ranges.empty()) << "SimFileSystem has no descriptors to sendfile from";
  }
  response_bytes.clear();
  for (auto f : result.response->fragments) response_bytes.insert(response_bytes.end(), f.begin(), f.end());
  EXPECT_GE(response_bytes.size(), 8u);  // size prefix + correlation id
  protocol::Reader r(std::span<const uint8_t>(response_bytes).subspan(8));
  absl::Status st = out.Decode(r, version);
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

}  // namespace keel::server::testing
