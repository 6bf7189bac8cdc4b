#include "delete_records.h"

#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {
namespace {

using Resp = protocol::DeleteRecordsResponse;
using PartitionResult = Resp::DeleteRecordsTopicResult::DeleteRecordsPartitionResult;

// Runs on the storage pool (the log-start checkpoint is fsynced).
PartitionResult DeletePartition(BrokerContext& broker,
                                const std::optional<partition::TopicInfo>& info,
                                const std::string& topic, PartitionId partition, Offset offset) {
  PartitionResult out;
  out.partition_index = partition;
  out.low_watermark = Offset(-1);
  auto fail = [&out](ErrorCode e) {
    out.error_code = int16_t(e);
    return out;
  };
  if (!info) return fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  if (info->internal) return fail(ErrorCode::INVALID_TOPIC_EXCEPTION);
  std::shared_ptr<storage::Log> log = broker.partitions.GetLog(TopicPartition{topic, partition});
  if (!log) return fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  if (!log->config().cleanup_delete) return fail(ErrorCode::POLICY_VIOLATION);
  if (offset.value < -1) return fail(ErrorCode::OFFSET_OUT_OF_RANGE);
  absl::StatusOr<Offset> start = log->DeleteRecordsBefore(offset);
  if (!start.ok()) {
    if (start.status().code() != absl::StatusCode::kOutOfRange) {
      ModuleLogger("broker")->warn("delete-records {}-{} to {} failed: {}", topic,
                                   partition.value, offset.value, start.status().ToString());
    }
    return fail(ToErrorCode(start.status()));
  }
  ModuleLogger("broker")->info("delete-records {}-{}: log start offset now {}", topic,
                               partition.value, start->value);
  out.low_watermark = *start;
  out.error_code = int16_t(ErrorCode::NONE);
  return out;
}

}  // namespace

Task<Reply<DeleteRecordsHandler::Response>> DeleteRecordsHandler::Handle(Call& call,
                                                                         Request& request) {
  BrokerContext& broker = call.broker;
  auto work = [&broker, &request] {
    Response resp;
    for (const auto& t : request.topics) {
      auto& topic_out = resp.topics.emplace_back();
      topic_out.name = t.name;
      std::optional<partition::TopicInfo> info = broker.partitions.FindTopic(t.name);
      for (const auto& p : t.partitions) {
        topic_out.partitions.push_back(
            DeletePartition(broker, info, t.name, p.partition_index, p.offset));
      }
    }
    return resp;
  };
  Response resp = co_await RunOn(broker.storage_pool, std::move(work));
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
