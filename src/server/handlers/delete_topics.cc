#include "delete_topics.h"

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {

Task<Reply<DeleteTopicsHandler::Response>> DeleteTopicsHandler::Handle(Call& call,
                                                                       Request& request) {
  BrokerContext& broker = call.broker;
  // v1-5 list names; v6+ list {name, topic_id} with either one set.
  struct Want {
    std::optional<std::string> name;
    Uuid id;
  };
  std::vector<Want> wants;
  for (const auto& n : request.topic_names) wants.push_back({n, Uuid{}});
  for (const auto& t : request.topics) wants.push_back({t.name, t.topic_id});

  Response resp;
  for (const auto& w : wants) {
    auto& out = resp.responses.emplace_back();
    out.name = w.name;
    out.topic_id = w.id;
    std::optional<partition::TopicInfo> info =
        w.name ? broker.partitions.FindTopic(*w.name) : broker.partitions.FindTopicById(w.id);
    if (!info) {
      out.error_code = int16_t(w.name ? ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                                      : ErrorCode::UNKNOWN_TOPIC_ID);
      continue;
    }
    out.name = info->name;
    out.topic_id = info->id;
    if (info->internal) {
      out.error_code = int16_t(ErrorCode::TOPIC_DELETION_DISABLED);
      out.error_message = "internal topics cannot be deleted";
      continue;
    }
    std::string name = info->name;
    auto work = [&broker, name] { return broker.partitions.DeleteTopic(name); };
    auto st = co_await RunOn(broker.storage_pool, std::move(work));
    if (!st.ok()) {
      out.error_code = int16_t(ToErrorCode(st));
      out.error_message = std::string(st.message());
      continue;
    }
    ModuleLogger("broker")->info("deleted topic {}", name);
    out.error_code = int16_t(ErrorCode::NONE);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
