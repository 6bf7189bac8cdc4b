#include "keel/server/dispatcher.h"

#include "handlers/api_versions.h"
#include "handlers/registry.h"
#include "keel/common/logging.h"

namespace keel::server {

Task<ProcessResult> Dispatcher::Process(RequestContext ctx) {
  auto log = ModuleLogger("net");
  protocol::Reader reader(*ctx.frame);
  auto header = protocol::ParseRequestHeader(reader);
  if (!header.ok()) {
    log->warn("conn={} peer={} unparseable request header: {}; closing", ctx.connection_id,
              ctx.peer, header.status().ToString());
    co_return ProcessResult{std::nullopt, true};
  }
  const HandlerEntry* entry = FindHandler(header->api_key);
  bool version_ok = entry && header->api_version >= entry->min_version &&
                    header->api_version <= entry->max_version;
  if (!version_ok) {
    if (header->api_key == ApiVersionsHandler::Request::kApiKey) {
      co_return ProcessResult{UnsupportedApiVersionsResponse(*header), false};
    }
    log->warn("conn={} peer={} client={} sent {} api_key={} v{}; closing the connection",
              ctx.connection_id, ctx.peer, header->client_id.value_or("-"),
              entry ? "an unsupported version of" : "an unknown", header->api_key,
              header->api_version);
    co_return ProcessResult{std::nullopt, true};
  }
  Call call{broker_, ctx, *header};
  co_return co_await entry->invoke(call, reader);
}

}  // namespace keel::server
