// DescribeLogDirs (key 35): every configured log dir (absolute path) with the
// partitions it holds, each with its size on disk (Log::size_bytes), offset
// lag 0 (Kafka reports max(HW - LEO, 0) for a current replica, always 0 on
// the leader) and is_future_key false (no AlterReplicaLogDirs). A null topic
// list means every partition; named partitions that do not exist are left
// out, as Kafka does. v4 adds the volume's total and usable bytes (statvfs;
// -1 when it fails). v0 equals v1 and is kept for kafka-python, which only
// sends v0 (Kafka 4 dropped it).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_log_dirs.h"

namespace keel::server {

struct DescribeLogDirsHandler {
  using Request = protocol::DescribeLogDirsRequest;
  using Response = protocol::DescribeLogDirsResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
