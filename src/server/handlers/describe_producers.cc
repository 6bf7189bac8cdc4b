#include "describe_producers.h"

#include "keel/storage/log.h"

namespace keel::server {

Task<Reply<DescribeProducersHandler::Response>> DescribeProducersHandler::Handle(
    Call& call, Request& request) {
  Response resp;
  for (const auto& t : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.name = t.name;
    for (int32_t p : t.partition_indexes) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p;
      auto log = call.broker.partitions.GetLog(TopicPartition{t.name, PartitionId(p)});
      if (!log) {
        pout.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      for (const auto& [pid, e] : log->ProducerStates()) {
        auto& out = pout.active_producers.emplace_back();
        out.producer_id = pid;
        out.producer_epoch = e.epoch;
        out.last_sequence = e.batches.empty() ? -1 : e.batches.back().last_sequence;
        out.last_timestamp = e.last_append_ms;
        out.coordinator_epoch = 0;
        out.current_txn_start_offset = e.txn_first_offset;
      }
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
