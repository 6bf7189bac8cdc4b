#include "offset_for_leader_epoch.h"

#include "topic_util.h"

namespace keel::server {

Task<Reply<OffsetForLeaderEpochHandler::Response>> OffsetForLeaderEpochHandler::Handle(
    Call& call, Request& request) {
  Response resp;
  for (const auto& topic : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.topic = topic.topic;
    for (const auto& p : topic.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition = p.partition;
      pout.leader_epoch = LeaderEpoch(-1);
      pout.end_offset = Offset(-1);
      auto log = call.broker.partitions.GetLog(TopicPartition{topic.topic, p.partition});
      if (!log) {
        pout.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      int32_t current = p.current_leader_epoch.value;
      if (current >= 0 && current != kLeaderEpoch) {
        pout.error_code = int16_t(current > kLeaderEpoch ? ErrorCode::UNKNOWN_LEADER_EPOCH
                                                         : ErrorCode::FENCED_LEADER_EPOCH);
        continue;
      }
      pout.error_code = int16_t(ErrorCode::NONE);
      if (p.leader_epoch.value <= kLeaderEpoch) {
        // Epoch 0 (or an older one a client remembers) ends where the log ends.
        pout.leader_epoch = LeaderEpoch(kLeaderEpoch);
        pout.end_offset = log->log_end_offset();
      }
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
