#include "add_partitions_to_txn.h"

#include "await_txn_answer.h"

namespace keel::server {
namespace {

struct TopicPartitions {
  std::string name;
  std::vector<int32_t> partitions;
};

// One transaction's partitions, answered per topic and partition.
struct TxnResult {
  std::vector<std::pair<TopicPartition, ErrorCode>> partitions;
};

template <typename Topic>
std::vector<TopicPartitions> Collect(const std::vector<Topic>& topics) {
  std::vector<TopicPartitions> out;
  for (const auto& t : topics) out.push_back(TopicPartitions{t.name, t.partitions});
  return out;
}

Task<TxnResult> AddOne(Call& call, const std::string& transactional_id, int64_t producer_id,
                       int16_t producer_epoch, bool verify_only,
                       const std::vector<TopicPartitions>& topics) {
  TxnResult out;
  coordinator::TxnCoordinator* txns = call.broker.txns;
  std::vector<TopicPartition> wanted;
  bool unknown = false;
  for (const auto& t : topics) {
    auto info = call.broker.partitions.FindTopic(t.name);
    for (int32_t p : t.partitions) {
      TopicPartition tp{t.name, PartitionId(p)};
      ErrorCode e = ErrorCode::NONE;
      if (!info || p < 0 || p >= info->partitions) {
        e = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
        unknown = true;
      }
      out.partitions.emplace_back(tp, e);
      wanted.push_back(std::move(tp));
    }
  }
  const bool old_fencing = call.version() < 2;
  if (!txns || unknown) {
    for (auto& [tp, e] : out.partitions) {
      if (!txns) e = ErrorCode::COORDINATOR_NOT_AVAILABLE;
      else if (e == ErrorCode::NONE) e = ErrorCode::OPERATION_NOT_ATTEMPTED;
    }
    co_return out;
  }
  if (verify_only) {
    for (auto& [tp, e] : out.partitions) {
      e = TxnWireError(txns->VerifyPartition(transactional_id, producer_id, producer_epoch, tp),
                       old_fencing);
    }
    co_return out;
  }
  const TxnCall start = [txns, transactional_id, producer_id, producer_epoch,
                         wanted](auto done) {
    txns->AddPartitions(transactional_id, producer_id, producer_epoch, wanted, std::move(done));
  };
  const ErrorCode err = co_await AwaitTxnAnswer(call, start);
  for (auto& [tp, e] : out.partitions) e = err;
  co_return out;
}

// Groups a transaction's answers by topic, in the order the topics came.
template <typename TopicResult>
void Fill(const TxnResult& r, std::vector<TopicResult>& topics) {
  for (const auto& [tp, e] : r.partitions) {
    if (topics.empty() || topics.back().name != tp.topic) {
      topics.emplace_back();
      topics.back().name = tp.topic;
    }
    auto& p = topics.back().results_by_partition.emplace_back();
    p.partition_index = tp.partition.value;
    p.partition_error_code = int16_t(e);
  }
}

}  // namespace

Task<Reply<AddPartitionsToTxnHandler::Response>> AddPartitionsToTxnHandler::Handle(
    Call& call, Request& request) {
  Response resp;
  if (call.version() <= 3) {
    TxnResult r = co_await AddOne(call, request.v3_and_below_transactional_id,
                                  request.v3_and_below_producer_id.value,
                                  request.v3_and_below_producer_epoch.value, false,
                                  Collect(request.v3_and_below_topics));
    Fill(r, resp.results_by_topic_v3_and_below);
    co_return Reply<Response>{std::move(resp)};
  }
  for (const auto& t : request.transactions) {
    TxnResult r = co_await AddOne(call, t.transactional_id, t.producer_id.value,
                                  t.producer_epoch.value, t.verify_only, Collect(t.topics));
    auto& out = resp.results_by_transaction.emplace_back();
    out.transactional_id = t.transactional_id;
    Fill(r, out.topic_results);
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
