// The round trip of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn to the
// transaction coordinator: run one coordinator call on the storage pool (its
// state writes do file I/O), suspend until it answers, and map the answer to
// the wire error code of the request's version.
//
// Thread-safety: as AwaitGroupCallback; `start` is copied and runs on a
// storage pool thread.
//
// Callers pass `start` as a named variable, never a temporary: GCC 12 may
// destroy temporaries of a co_await's full expression twice.
#pragma once

#include <functional>

#include "absl/functional/any_invocable.h"
#include "handler.h"
#include "join_group.h"
#include "keel/coordinator/txn_error.h"
#include "txn_util.h"

namespace keel::server {

// One call of the transaction coordinator, given the callback it answers.
using TxnCall = std::function<void(absl::AnyInvocable<void(coordinator::TxnError)>)>;

inline Task<protocol::ErrorCode> AwaitTxnAnswer(Call& call, const TxnCall& start) {
  auto err = co_await AwaitGroupCallback<coordinator::TxnError>(call.broker.storage_pool, start);
  co_return TxnWireError(err, call.version() < 2);
}

}  // namespace keel::server
