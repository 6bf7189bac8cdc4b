// OffsetCommit (key 8), v1-9: commits for a group member (generation and
// member id checked) or a standalone consumer (generation -1, no member id,
// group without members). Answered after the commit records are fsynced in
// __consumer_offsets. Partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION and are not written. v2-4 retention_time_ms
// becomes the record's expire timestamp. v1 is served as Kafka 3.x serves it
// (Kafka 4 dropped it, but Debian's sarama 1.22 still commits with it); its
// per-partition commit_timestamp is ignored: the broker's clock stamps every
// commit. v0 (ZooKeeper-era storage) is not served.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/offset_commit.h"

namespace keel::server {

struct OffsetCommitHandler {
  using Request = protocol::OffsetCommitRequest;
  using Response = protocol::OffsetCommitResponse;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 9;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
