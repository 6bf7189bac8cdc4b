#include "fetch.h"

#include "keel/common/default_init_allocator.h"
#include "keel/common/logging.h"
#include "topic_util.h"

namespace keel::server {
namespace {

using Resp = protocol::FetchResponse;
using PartResp = Resp::FetchableTopicResponse::PartitionData;
constexpr int8_t kReadCommitted = 1;

// One requested partition, resolved once, read possibly several times.
struct Target {
  std::string topic;
  Uuid topic_id;
  protocol::FetchRequest::FetchTopic::FetchPartition request;
  std::shared_ptr<storage::Log> log;  // null: error set below
  ErrorCode error = ErrorCode::NONE;
};

// What the response's fragments point into, kept alive until it is sent:
// batch bytes read into memory, open files that zero-copy ranges are sent
// from, and the placeholder addresses that stand for those ranges.
struct FetchedData {
  std::vector<UninitBytes> buffers;
  std::vector<std::shared_ptr<storage::FileHandle>> files;
  std::unique_ptr<char[]> placeholders;  // one distinct address per partition
};

// The outcome of one read pass over every target.
struct Pass {
  std::vector<PartResp> partitions;  // parallel to targets
  std::shared_ptr<FetchedData> data = std::make_shared<FetchedData>();
  std::vector<FileSubstitution> files;  // zero-copy records, in target order
  size_t bytes = 0;
  bool any_error = false;
};

// Zero-copy: the records are sent from the segment files with sendfile when
// every slice has a real descriptor. The RecordsRef then holds a placeholder
// address (never read) with the records' size, which EncodeResponse maps to
// the file ranges.
bool SendFromFiles(const storage::ReadResult& read, size_t index, Pass& pass, PartResp& out) {
  std::vector<FileRange> ranges;
  ranges.reserve(read.slices.size());
  for (const storage::FileSlice& slice : read.slices) {
    int fd = slice.file->native_handle();
    if (fd < 0) return false;
    ranges.push_back(FileRange{fd, slice.position, slice.size});
  }
  for (const storage::FileSlice& slice : read.slices) pass.data->files.push_back(slice.file);
  const auto* placeholder = reinterpret_cast<const uint8_t*>(pass.data->placeholders.get() + index);
  pass.files.push_back(FileSubstitution{placeholder, std::move(ranges)});
  out.records = protocol::RecordsRef{std::span<const uint8_t>(placeholder, read.total_bytes)};
  return true;
}

// Size limits (KIP-74, as Kafka's ReplicaManager applies them): partitions
// are read in request order against what is left of the response's
// max_bytes and their own partition_max_bytes. Until one partition has
// returned records, the first batch may exceed both limits (so a batch
// larger than either still makes progress); from then on a partition gets
// only whole batches that fit within both. The records of a response thus
// sum to at most max_bytes, or to that one oversized batch.
Pass ReadAll(std::vector<Target>& targets, int32_t max_bytes, bool read_committed,
             bool zero_copy) {
  Pass pass;
  pass.partitions.resize(targets.size());
  pass.data->buffers.reserve(targets.size());
  pass.data->placeholders = std::make_unique<char[]>(targets.size() + 1);
  size_t budget = size_t(std::max(0, max_bytes));
  storage::FirstBatch first = storage::FirstBatch::kMayExceed;  // until records are returned
  for (size_t i = 0; i < targets.size(); ++i) {
    Target& t = targets[i];
    PartResp& out = pass.partitions[i];
    out.partition_index = t.request.partition;
    out.high_watermark = Offset(-1);
    out.last_stable_offset = Offset(-1);
    out.log_start_offset = Offset(-1);
    out.preferred_read_replica = NodeId(-1);
    if (read_committed) out.aborted_transactions.emplace();
    if (!t.log) {
      out.error_code = int16_t(t.error);
      pass.any_error = true;
      continue;
    }
    if (t.log->offline()) {  // its log dir failed an fsync: KAFKA_STORAGE_ERROR, as Kafka
      out.error_code = int16_t(ErrorCode::KAFKA_STORAGE_ERROR);
      pass.any_error = true;
      continue;
    }
    Offset hw = t.log->high_watermark();
    // read_committed consumers read only below the last stable offset (no
    // open transaction's records); read_uncommitted ones below the HW.
    Offset lso = t.log->last_stable_offset();
    Offset bound = read_committed ? lso : hw;
    out.high_watermark = hw;
    out.last_stable_offset = lso;
    out.log_start_offset = t.log->log_start_offset();
    int32_t epoch = t.request.current_leader_epoch.value;
    if (epoch >= 0 && epoch != kLeaderEpoch) {
      out.error_code = int16_t(epoch > kLeaderEpoch ? ErrorCode::UNKNOWN_LEADER_EPOCH
                                                    : ErrorCode::FENCED_LEADER_EPOCH);
      pass.any_error = true;
      continue;
    }
    if (t.request.fetch_offset == bound) {
      out.error_code = int16_t(ErrorCode::NONE);  // caught up: nothing to send
      continue;
    }
    size_t limit = std::min<size_t>(size_t(std::max(0, t.request.partition_max_bytes)), budget);
    if (limit == 0 && first == storage::FirstBatch::kMustFit) continue;  // nothing can fit
    auto read = t.log->Read(t.request.fetch_offset, limit, bound, first);
    if (!read.ok()) {
      out.error_code = int16_t(ToErrorCode(read.status()));
      pass.any_error = true;
      continue;
    }
    out.high_watermark = read->high_watermark;
    out.log_start_offset = read->log_start_offset;
    out.error_code = int16_t(ErrorCode::NONE);
    if (read->slices.empty()) continue;
    if (read_committed) {
      // The aborted transactions overlapping what is returned; the client
      // drops those producers' records in each [first offset, marker].
      for (const storage::AbortedTxn& a : t.log->AbortedTransactions(t.request.fetch_offset, read->next_offset)) {
        PartResp::AbortedTransaction at;
        at.producer_id = ProducerId(a.producer_id);
        at.first_offset = Offset(a.first_offset);
        out.aborted_transactions->push_back(std::move(at));
      }
    }
    const size_t size = read->total_bytes;
    if (!zero_copy || !SendFromFiles(*read, i, pass, out)) {
      // Not zeroed first: ReadInto fills every byte or fails.
      UninitBytes bytes(size);
      if (!storage::ReadInto(read->slices, bytes).ok()) {
        out.error_code = int16_t(ErrorCode::KAFKA_STORAGE_ERROR);
        pass.any_error = true;
        continue;
      }
      pass.data->buffers.push_back(std::move(bytes));
      out.records = protocol::RecordsRef{pass.data->buffers.back()};
    }
    pass.bytes += size;
    budget = size >= budget ? 0 : budget - size;
    first = storage::FirstBatch::kMustFit;
  }
  return pass;
}

}  // namespace

Task<Reply<FetchHandler::Response>> FetchHandler::Handle(Call& call, Request& request) {
  BrokerContext& broker = call.broker;
  const bool by_id = call.version() >= 13;
  const bool read_committed = request.isolation_level == kReadCommitted;

  std::vector<Target> targets;
  std::vector<TopicPartition> watch;
  for (const auto& topic : request.topics) {
    std::optional<partition::TopicInfo> info =
        by_id ? broker.partitions.FindTopicById(topic.topic_id) : broker.partitions.FindTopic(topic.topic);
    for (const auto& p : topic.partitions) {
      Target t;
      t.topic = info ? info->name : topic.topic;
      t.topic_id = topic.topic_id;
      t.request = p;
      if (!info) {
        t.error = by_id ? ErrorCode::UNKNOWN_TOPIC_ID : ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
      } else {
        TopicPartition tp{info->name, p.partition};
        t.log = broker.partitions.GetLog(tp);
        if (!t.log) t.error = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
        else watch.push_back(std::move(tp));
      }
      targets.push_back(std::move(t));
    }
  }

  auto ex = co_await net::this_coro::executor;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max(0, request.max_wait_ms));
  auto timer = std::make_shared<net::steady_timer>(ex, deadline);
  std::optional<WatermarkWaiters::Token> token;
  Pass pass;
  for (;;) {
    auto work = [&] {
      return ReadAll(targets, request.max_bytes, read_committed, broker.config.fetch_zero_copy);
    };
    pass = co_await RunOn(broker.storage_pool, std::move(work));
    bool enough = pass.bytes >= size_t(std::max(1, request.min_bytes)) || pass.any_error;
    if (enough || std::chrono::steady_clock::now() >= deadline || watch.empty()) break;
    if (!token) {
      // Register, then read once more so an advance between the read and the
      // registration is not missed.
      token = broker.watermark_waiters.Register(
          watch, [timer] { net::post(timer->get_executor(), [timer] { timer->cancel(); }); });
      continue;
    }
    co_await timer->async_wait(use_tuple);
    // A wake-up consumes the registration; a deadline leaves it. Either way
    // start over with a fresh one if the data is still short.
    broker.watermark_waiters.Cancel(*token);
    token.reset();
  }
  if (token) broker.watermark_waiters.Cancel(*token);

  Response resp;
  resp.error_code = int16_t(ErrorCode::NONE);
  resp.session_id = 0;  // sessionless (KIP-227 allows it)
  for (size_t i = 0; i < targets.size(); ++i) {
    if (resp.responses.empty() || resp.responses.back().topic != targets[i].topic ||
        resp.responses.back().topic_id != targets[i].topic_id) {
      auto& t = resp.responses.emplace_back();
      t.topic = targets[i].topic;
      t.topic_id = targets[i].topic_id;
    }
    if (broker.request_metrics && !pass.partitions[i].records.bytes.empty())
      broker.request_metrics->AddBytesOut(targets[i].topic, pass.partitions[i].records.bytes.size());
    resp.responses.back().partitions.push_back(std::move(pass.partitions[i]));
  }
  Reply<Response> reply{std::move(resp), std::move(pass.data)};
  reply.files = std::move(pass.files);
  co_return reply;
}

}  // namespace keel::server
