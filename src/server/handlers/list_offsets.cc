#include "list_offsets.h"

#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "topic_util.h"

namespace keel::server {
namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;

struct Found {
  int64_t timestamp = -1;
  int64_t offset = -1;
};

// Scans the batch starting at `batch_offset` for the first record matching
// `pred(timestamp)`. Falls back to the batch's own offset if the scan fails.
template <typename Pred>
Found ScanBatch(storage::Log& log, int64_t batch_offset, Pred pred) {
  Found f{-1, batch_offset};
  auto read = log.Read(Offset(batch_offset), 1, log.high_watermark());
  if (!read.ok() || read->slices.empty()) return f;
  storage::ReadResult first = *read;
  first.slices.resize(1);
  auto bytes = storage::ReadBytes(first.slices);
  if (!bytes.ok()) return f;
  std::span<const uint8_t> data(*bytes);
  while (!data.empty()) {
    auto size = NextBatchSize(data);
    if (!size.ok() || *size == 0) break;
    auto batch = data.subspan(0, *size);
    auto h = ParseBatchHeader(batch);
    if (!h.ok()) break;
    if (h->last_offset() >= batch_offset) {
      bool done = false;
      (void)ForEachRecord(batch, [&](const RecordView& r) -> absl::Status {
        int64_t off = h->base_offset + r.offset_delta;
        int64_t ts = h->log_append_time() ? h->max_timestamp : h->base_timestamp + r.timestamp_delta;
        if (!done && off >= batch_offset && pred(ts)) {
          f = {ts, off};
          done = true;
        }
        return absl::OkStatus();
      });
      if (done) return f;
    }
    data = data.subspan(*size);
  }
  return f;
}

Found Lookup(storage::Log& log, int64_t timestamp, bool read_committed) {
  switch (timestamp) {
    case kLatest:
      return {-1, read_committed ? log.last_stable_offset().value : log.high_watermark().value};
    case kEarliest:
    case kEarliestLocal:
      return {-1, log.log_start_offset().value};
    case kMaxTimestamp: {
      auto m = log.MaxTimestampOffset();
      if (!m.ok()) return {-1, -1};
      int64_t max_ts = m->timestamp;
      return ScanBatch(log, m->offset, [max_ts](int64_t ts) { return ts == max_ts; });
    }
    default: {
      auto m = log.FindOffsetByTimestamp(timestamp);
      if (!m.ok()) return {-1, -1};
      return ScanBatch(log, m->offset, [timestamp](int64_t ts) { return ts >= timestamp; });
    }
  }
}

}  // namespace

Task<Reply<ListOffsetsHandler::Response>> ListOffsetsHandler::Handle(Call& call, Request& request) {
  BrokerContext& broker = call.broker;
  const bool read_committed = request.isolation_level == 1;
  Response resp;
  for (const auto& topic : request.topics) {
    auto& tout = resp.topics.emplace_back();
    tout.name = topic.name;
    for (const auto& p : topic.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p.partition_index;
      pout.timestamp = -1;
      pout.offset = Offset(-1);
      pout.leader_epoch = LeaderEpoch(kLeaderEpoch);
      auto log = broker.partitions.GetLog(TopicPartition{topic.name, p.partition_index});
      if (!log) {
        pout.error_code = int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (log->offline()) {  // its log dir failed an fsync
        pout.error_code = int16_t(ErrorCode::KAFKA_STORAGE_ERROR);
        continue;
      }
      int32_t epoch = p.current_leader_epoch.value;
      if (epoch >= 0 && epoch != kLeaderEpoch) {
        pout.error_code = int16_t(epoch > kLeaderEpoch ? ErrorCode::UNKNOWN_LEADER_EPOCH
                                                       : ErrorCode::FENCED_LEADER_EPOCH);
        continue;
      }
      auto work = [&log, ts = p.timestamp, read_committed] {
        return Lookup(*log, ts, read_committed);
      };
      Found f = co_await RunOn(broker.storage_pool, std::move(work));
      pout.error_code = int16_t(ErrorCode::NONE);
      pout.timestamp = f.timestamp;
      pout.offset = Offset(f.offset);
      if (call.version() == 0 && f.offset >= 0 && p.max_num_offsets > 0) {
        pout.old_style_offsets.push_back(f.offset);
      }
    }
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
