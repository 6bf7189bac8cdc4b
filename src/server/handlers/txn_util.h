// Shared pieces of the transaction APIs' handlers: the mapping of the
// transaction coordinator's results to Kafka error codes at a request
// version, and the partition of __consumer_offsets a group's offsets go to.
#pragma once

#include "keel/coordinator/txn_coordinator.h"
#include "keel/protocol/error_code.h"
#include "keel/server/broker_context.h"

namespace keel::server {

// PRODUCER_FENCED exists from AddPartitionsToTxn/AddOffsetsToTxn/EndTxn/
// TxnOffsetCommit v2 and InitProducerId v4 on; older versions (and Produce)
// get INVALID_PRODUCER_EPOCH instead, as Kafka answers them.
protocol::ErrorCode TxnWireError(coordinator::TxnError e, bool fenced_as_invalid_epoch);

}  // namespace keel::server
