// The results the transaction coordinator reports. Like GroupError, the
// enumerators carry the numeric values of the Kafka error codes they stand
// for, so the server boundary converts them with a cast (a test checks every
// value against protocol::ErrorCode). Stateless.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::coordinator {

enum class TxnError : int16_t {
  kUnknownServerError = -1,
  kNone = 0,
  kUnknownTopicOrPartition = 3,
  kCoordinatorLoadInProgress = 14,
  kCoordinatorNotAvailable = 15,    // the state could not be written; retriable
  kNotCoordinator = 16,
  kInvalidRequest = 42,             // e.g. an empty transactional id
  kInvalidProducerEpoch = 47,       // a produce/commit of an older epoch (fenced)
  kInvalidTxnState = 48,            // the request does not fit the transaction's state
  kInvalidProducerIdMapping = 49,   // the producer id is not the transactional id's
  kInvalidTransactionTimeout = 50,  // over transaction.max.timeout.ms
  kConcurrentTransactions = 51,     // the previous transaction is still completing; retry
  kOperationNotAttempted = 55,      // another partition of the request failed
  kProducerFenced = 90,             // a newer producer with this transactional id exists
  kTransactionalIdNotFound = 105,
};

std::string_view TxnErrorName(TxnError e);

}  // namespace keel::coordinator
