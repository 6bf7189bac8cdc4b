#include "create_partitions.h"

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {

Task<Reply<CreatePartitionsHandler::Response>> CreatePartitionsHandler::Handle(
    Call& call, Request& request) {
  BrokerContext& broker = call.broker;
  Response resp;
  for (const auto& t : request.topics) {
    auto& out = resp.results.emplace_back();
    out.name = t.name;
    auto info = broker.partitions.FindTopic(t.name);
    if (!info) {
      out.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
      continue;
    }
    if (t.count <= info->partitions) {
      out.error_code = int16_t(ErrorCode::INVALID_PARTITIONS);
      out.error_message = "topic " + t.name + " already has " + std::to_string(info->partitions) +
                          " partitions; the new count must be larger";
      continue;
    }
    if (request.validate_only) {
      out.error_code = int16_t(ErrorCode::NONE);
      continue;
    }
    std::string name = t.name;
    int32_t count = t.count;
    auto work = [&broker, name, count] {
      return broker.partitions.CreatePartitions(name, count);
    };
    auto st = co_await RunOn(broker.storage_pool, std::move(work));
    if (!st.ok()) {
      out.error_code = int16_t(ToErrorCode(st));
      out.error_message = std::string(st.message());
      continue;
    }
    ModuleLogger("broker")->info("topic {} now has {} partitions", name, count);
    out.error_code = int16_t(ErrorCode::NONE);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
