// DescribeProducers (key 61, KIP-664): the producers a partition knows
// (idempotent and transactional): id, epoch, last sequence and append time,
// and the first offset of the open transaction if any. For operators
// finding hanging transactions (kafka-transactions.sh describe-producers).
#pragma once

#include "handler.h"
#include "keel/protocol/messages/describe_producers.h"

namespace keel::server {

struct DescribeProducersHandler {
  using Request = protocol::DescribeProducersRequest;
  using Response = protocol::DescribeProducersResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
