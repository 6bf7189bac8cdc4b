// TxnOffsetCommit (key 28): offsets consumed inside a transaction. The
// producer must hold the transaction that contains the group's partition of
// __consumer_offsets (AddOffsetsToTxn first); then the offsets are written as
// a transactional batch and become the group's committed offsets only when
// the transaction commits. v3+ carry the group member (KIP-447), which must
// belong to the group's current generation.
#pragma once

#include "handler.h"
#include "keel/protocol/messages/txn_offset_commit.h"

namespace keel::server {

struct TxnOffsetCommitHandler {
  using Request = protocol::TxnOffsetCommitRequest;
  using Response = protocol::TxnOffsetCommitResponse;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static Task<Reply<Response>> Handle(Call& call, Request& request);
};

}  // namespace keel::server
