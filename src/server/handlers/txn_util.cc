#include "txn_util.h"

namespace keel::server {

protocol::ErrorCode TxnWireError(coordinator::TxnError e, bool fenced_as_invalid_epoch) {
  if (e == coordinator::TxnError::kProducerFenced && fenced_as_invalid_epoch) {
    return protocol::ErrorCode::INVALID_PRODUCER_EPOCH;
  }
  return protocol::ErrorCode(int16_t(e));
}

}  // namespace keel::server
