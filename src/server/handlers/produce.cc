#include "produce.h"

#include "await_durable.h"
#include "keel/common/logging.h"
#include "produce_validation.h"
#include "topic_util.h"
#include "txn_util.h"

namespace keel::server {
namespace {

using Resp = protocol::ProduceResponse;
using PartitionResp = Resp::TopicProduceResponse::PartitionProduceResponse;

// One partition whose batches passed validation and wait to be appended.
struct AppendJob {
  PartitionResp* out;
  std::shared_ptr<storage::Log> log;
  std::span<uint8_t> bytes;
  // Owns `bytes` when validation rebuilt a batch or compression.type
  // recompressed the records (a moved vector keeps its buffer).
  std::vector<uint8_t> owned;
  absl::StatusOr<storage::AppendResult> result = absl::UnknownError("not appended");
};

// Kafka's answer to a refused append: the idempotent-producer checks have
// their own codes; everything else maps by status code.
ErrorCode AppendErrorCode(const absl::Status& status) {
  if (auto check = storage::ProducerCheckOf(status)) {
    switch (*check) {
      case storage::ProducerCheck::kInvalidEpoch:
        return ErrorCode::INVALID_PRODUCER_EPOCH;
      case storage::ProducerCheck::kOutOfOrderSequence:
        return ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER;
      case storage::ProducerCheck::kUnknownProducer:
        return ErrorCode::UNKNOWN_PRODUCER_ID;
      case storage::ProducerCheck::kOk:
      case storage::ProducerCheck::kDuplicate:
        break;
    }
  }
  if (absl::IsInvalidArgument(status)) return ErrorCode::INVALID_RECORD;
  return ToErrorCode(status);
}

void SetError(PartitionResp& p, ErrorCode e, std::string message = {}) {
  p.error_code = int16_t(e);
  p.base_offset = Offset(-1);
  if (!message.empty()) p.error_message = std::move(message);
}

// A transactional batch may only go to a partition of its producer's open
// transaction (as Kafka's KIP-890 verification checks), so no batch can open
// a transaction the coordinator will never end.
ErrorCode VerifyTransactionalWrite(BrokerContext& broker, const ProduceValidation& v,
                                   const TopicPartition& tp) {
  if (!broker.txns) return ErrorCode::INVALID_TXN_STATE;
  return TxnWireError(broker.txns->VerifyPartition(std::nullopt, v.producer_id, v.producer_epoch, tp),
                      /*fenced_as_invalid_epoch=*/true);
}

}  // namespace

Task<Reply<ProduceHandler::Response>> ProduceHandler::Handle(Call& call, Request& request) {
  BrokerContext& broker = call.broker;
  const bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
  Response resp;
  resp.responses.reserve(request.topic_data.size());
  std::vector<AppendJob> jobs;

  for (auto& topic : request.topic_data) {
    auto& tout = resp.responses.emplace_back();
    tout.name = topic.name;
    tout.partition_responses.reserve(topic.partition_data.size());
    auto info = broker.partitions.FindTopic(topic.name);
    for (auto& part : topic.partition_data) {
      PartitionResp& pout = tout.partition_responses.emplace_back();
      pout.index = part.index;
      if (call.version() < 3) {
        // Message format v0/v1 is not accepted (Kafka 4 refuses it too).
        SetError(pout, ErrorCode::UNSUPPORTED_VERSION);
        continue;
      }
      if (!acks_valid) {
        SetError(pout, ErrorCode::INVALID_REQUIRED_ACKS, "acks must be -1, 0 or 1");
        continue;
      }
      if (!info) {
        SetError(pout, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (info->internal) {
        SetError(pout, ErrorCode::INVALID_TOPIC_EXCEPTION,
                 "internal topics are written by the broker only");
        continue;
      }
      auto log = broker.partitions.GetLog(TopicPartition{topic.name, part.index});
      if (!log) {
        SetError(pout, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const storage::LogConfig config = log->config();
      // The request frame is owned by this request alone; validation fixes
      // batch headers (maxTimestamp) in it and the log patches offsets into
      // it in place, and the same bytes are written to the log.
      auto bytes = std::span<uint8_t>(const_cast<uint8_t*>(part.records.bytes.data()),
                                      part.records.bytes.size());
      ProduceTopicRules rules{
          .max_message_bytes = config.max_message_bytes,
          .require_keys = config.cleanup_compact,
          .log_append_time =
              config.message_timestamp_type == storage::TimestampType::kLogAppendTime,
          .zstd_allowed = call.version() >= 7};
      if (!rules.log_append_time) {
        rules.timestamps.before_max_ms = config.message_timestamp_before_max_ms;
        rules.timestamps.after_max_ms = config.message_timestamp_after_max_ms;
        rules.timestamps.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
      }
      auto v = ValidateProduceRecords(bytes, rules);
      if (v.error != ErrorCode::NONE) {
        ModuleLogger("broker")->debug("conn={} produce to {}-{} rejected: {}",
                                      call.connection.connection_id, topic.name,
                                      part.index.value, v.message);
        SetError(pout, v.error, v.message);
        continue;
      }
      if (v.transactional) {
        ErrorCode err = VerifyTransactionalWrite(broker, v, TopicPartition{topic.name, part.index});
        if (err != ErrorCode::NONE) {
          ModuleLogger("broker")->debug("conn={} transactional produce of producer {} epoch {} to "
                                        "{}-{} refused: {}",
                                        call.connection.connection_id, v.producer_id,
                                        v.producer_epoch, topic.name, part.index.value,
                                        protocol::ErrorName(err));
          SetError(pout, err, "the partition is not part of this producer's open transaction");
          continue;
        }
      }
      AppendJob job{&pout, std::move(log), bytes};
      if (!v.rebuilt.empty()) {
        job.owned = std::move(v.rebuilt);
        job.bytes = std::span<uint8_t>(job.owned);
      }
      // compression.type other than `producer`: batches in another codec are
      // recompressed (the documented exception to storing batches verbatim).
      Recompressed rc = RecompressProduceRecords(job.bytes, config.compression_target(),
                                                 config.max_message_bytes);
      if (rc.error != ErrorCode::NONE) {
        SetError(pout, rc.error, rc.message);
        continue;
      }
      if (rc.bytes) {
        job.owned = std::move(*rc.bytes);
        job.bytes = std::span<uint8_t>(job.owned);
      }
      jobs.push_back(std::move(job));
    }
  }

  // Appends run inline, on the connection's strand, before this coroutine
  // first suspends: requests on a connection start in arrival order, so
  // pipelined produces are appended in request order (as Kafka guarantees and
  // idempotent producers rely on). An append is a write into the page cache;
  // the slow part, the fsync, is awaited below without blocking anything.
  for (auto& j : jobs) j.result = j.log->Append(j.bytes, kLeaderEpoch);

  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max(0, request.timeout_ms));
  for (auto& j : jobs) {
    if (!j.result.ok()) {
      ModuleLogger("broker")->warn("append to {} failed: {}", j.log->topic_partition(),
                                   j.result.status().ToString());
      SetError(*j.out, AppendErrorCode(j.result.status()), std::string(j.result.status().message()));
      continue;
    }
    if (j.result->duplicate) {
      ModuleLogger("broker")->debug("conn={} produce to {}: retried batch, answered with its "
                                    "original offsets {}..{}",
                                    call.connection.connection_id, j.log->topic_partition(),
                                    j.result->base_offset.value, j.result->last_offset.value);
    }
    if (broker.request_metrics && !j.result->duplicate)
      broker.request_metrics->AddBytesIn(j.log->topic_partition().topic, j.bytes.size());
    j.out->error_code = int16_t(ErrorCode::NONE);
    j.out->base_offset = j.result->base_offset;
    j.out->log_append_time_ms = j.result->log_append_time_ms;
    j.out->log_start_offset = j.log->log_start_offset();
  }
  if (request.acks == -1) {
    for (auto& j : jobs) {
      if (!j.result.ok()) continue;
      absl::Status st = co_await AwaitDurable(j.log, j.result->last_offset, deadline);
      if (!st.ok()) {
        ModuleLogger("broker")->warn("produce to {} not acknowledged: {}",
                                     j.log->topic_partition(), st.ToString());
        SetError(*j.out,
                 st.code() == absl::StatusCode::kDeadlineExceeded ? ErrorCode::REQUEST_TIMED_OUT
                                                                  : ErrorCode::KAFKA_STORAGE_ERROR,
                 std::string(st.message()));
      }
    }
  }
  Reply<Response> reply{std::move(resp)};
  reply.no_response = request.acks == 0;
  co_return reply;
}

}  // namespace keel::server
