#include "keel/coordinator/txn_error.h"

namespace keel::coordinator {

std::string_view TxnErrorName(TxnError e) {
  switch (e) {
    case TxnError::kUnknownServerError: return "UNKNOWN_SERVER_ERROR";
    case TxnError::kNone: return "NONE";
    case TxnError::kUnknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION";
    case TxnError::kCoordinatorLoadInProgress: return "COORDINATOR_LOAD_IN_PROGRESS";
    case TxnError::kCoordinatorNotAvailable: return "COORDINATOR_NOT_AVAILABLE";
    case TxnError::kNotCoordinator: return "NOT_COORDINATOR";
    case TxnError::kInvalidRequest: return "INVALID_REQUEST";
    case TxnError::kInvalidProducerEpoch: return "INVALID_PRODUCER_EPOCH";
    case TxnError::kInvalidTxnState: return "INVALID_TXN_STATE";
    case TxnError::kInvalidProducerIdMapping: return "INVALID_PRODUCER_ID_MAPPING";
    case TxnError::kInvalidTransactionTimeout: return "INVALID_TRANSACTION_TIMEOUT";
    case TxnError::kConcurrentTransactions: return "CONCURRENT_TRANSACTIONS";
    case TxnError::kOperationNotAttempted: return "OPERATION_NOT_ATTEMPTED";
    case TxnError::kProducerFenced: return "PRODUCER_FENCED";
    case TxnError::kTransactionalIdNotFound: return "TRANSACTIONAL_ID_NOT_FOUND";
  }
  return "UNKNOWN";
}

}  // namespace keel::coordinator
