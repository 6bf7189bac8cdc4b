// DeleteRecords (key 21): advances partitions' log start offsets
// (Log::DeleteRecordsBefore), deleting whole segments below them. Per
// partition, as Kafka does: offset -1 means the high watermark; an offset
// above the high watermark (or below -1) is OFFSET_OUT_OF_RANGE; internal
// topics are INVALID_TOPIC_EXCEPTION; topics whose cleanup.policy lacks
// "delete" are POLICY_VIOLATION; unknown partitions UNKNOWN_TOPIC_OR_PARTITION.
// The low watermark returned is the new log start offset (-1 on error). An
// offset at or below the current log start changes nothing. Single node: the
// deletion is complete when the reply is sent, so timeout_ms is not needed.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/delete_records.h"

namespace keel::server {

struct DeleteRecordsHandler {
  using Request = protocol::DeleteRecordsRequest;
  using Response = protocol::DeleteRecordsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
