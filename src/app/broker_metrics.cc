#include "broker_metrics.h"

#include <array>

#include "keel/common/coding.h"
#include "keel/common/record_batch.h"

namespace keel::app {

using metrics::ExpositionWriter;
using metrics::MetricType;

FlushMetrics::FlushMetrics()
    : latency_(metrics::FsyncSecondsBounds()), batches_(metrics::CountBounds()) {}

void FlushMetrics::OnLogFlushed(std::chrono::nanoseconds took, uint64_t batches) {
  if (batches == 0) return;  // nothing acknowledged waited on this flush
  latency_.Observe(std::chrono::duration<double>(took).count());
  batches_.Observe(double(batches));
}

void FlushMetrics::Collect(ExpositionWriter& w) const {
  w.Family("keel_log_flush_duration_seconds",
           "Group-commit flush of one partition log (fdatasync of its unsynced segments), for "
           "flushes that made appended batches durable.",
           MetricType::kHistogram);
  w.Histogram("keel_log_flush_duration_seconds", {}, latency_.Snapshot());
  w.Family("keel_log_flush_batches", "Record batches made durable by one group-commit flush.",
           MetricType::kHistogram);
  w.Histogram("keel_log_flush_batches", {}, batches_.Snapshot());
}

namespace {

struct PartitionRow {
  std::string topic;
  int32_t partition;
  std::shared_ptr<storage::Log> log;
};

std::vector<PartitionRow> AllPartitions(const partition::PartitionManager& partitions) {
  std::vector<PartitionRow> rows;
  for (const auto& t : partitions.ListTopics()) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      auto log = partitions.GetLog(TopicPartition{t.name, PartitionId(p)});
      if (log) rows.push_back({t.name, p, std::move(log)});
    }
  }
  return rows;
}

metrics::Labels TpLabels(const std::string& topic, int32_t partition) {
  return {{"topic", topic}, {"partition", std::to_string(partition)}};
}

// Timestamp (ms) of the batch holding `offset`: its LogAppendTime if the
// topic uses it, else the batch's first timestamp. nullopt if unreadable.
std::optional<int64_t> BatchTimestampAt(const storage::Log& log, Offset offset) {
  auto read = log.Read(offset, 1, log.high_watermark());
  if (!read.ok() || read->slices.empty()) return std::nullopt;
  const storage::FileSlice& s = read->slices.front();
  if (s.size < kBatchHeaderSize) return std::nullopt;
  std::array<uint8_t, kBatchHeaderSize> h{};
  auto n = s.file->PRead(s.position, std::span<uint8_t>(h.data(), h.size()));
  if (!n.ok() || *n < h.size()) return std::nullopt;
  namespace bo = batch_offsets;
  int16_t attributes = int16_t(coding::LoadBE16(h.data() + bo::kAttributes));
  size_t at = (attributes & batch_attr::kLogAppendTime) ? bo::kMaxTimestamp : bo::kBaseTimestamp;
  return int64_t(coding::LoadBE64(h.data() + at));
}

}  // namespace

void CollectPartitionMetrics(const partition::PartitionManager& partitions, ExpositionWriter& w) {
  auto rows = AllPartitions(partitions);
  struct G {
    const char* name;
    const char* help;
    double (*value)(const storage::Log&);
  };
  static const G gauges[] = {
      {"keel_partition_log_end_offset", "Offset the next appended record gets.",
       [](const storage::Log& l) { return double(l.log_end_offset().value); }},
      {"keel_partition_log_start_offset", "First offset still in the log.",
       [](const storage::Log& l) { return double(l.log_start_offset().value); }},
      {"keel_partition_high_watermark",
       "Offset below which records are durable and readable by consumers.",
       [](const storage::Log& l) { return double(l.high_watermark().value); }},
      {"keel_partition_size_bytes", "Bytes of the partition's segment files.",
       [](const storage::Log& l) { return double(l.size_bytes()); }},
  };
  for (const auto& g : gauges) {
    w.Family(g.name, g.help, MetricType::kGauge);
    for (const auto& r : rows) w.Sample(g.name, TpLabels(r.topic, r.partition), g.value(*r.log));
  }
}

void CollectGroupMetrics(const partition::PartitionManager& partitions,
                         coordinator::GroupCoordinator& groups, const WallClockMs& now_ms,
                         ExpositionWriter& w) {
  struct Row {
    metrics::Labels labels;
    int64_t committed;
    int64_t lag;
    double lag_seconds;
  };
  std::vector<Row> rows;
  const int64_t now = now_ms();
  for (const auto& g : groups.List({})) {
    auto fetched = groups.FetchOffsets(g.group_id, std::nullopt);
    for (const auto& o : fetched.offsets) {
      if (o.offset.value < 0) continue;
      auto log = partitions.GetLog(o.tp);
      if (!log) continue;
      int64_t hw = log->high_watermark().value;
      int64_t lag = std::max<int64_t>(0, hw - o.offset.value);
      double lag_seconds = 0;
      if (lag > 0) {
        Offset first_unconsumed(std::max(o.offset.value, log->log_start_offset().value));
        if (auto ts = BatchTimestampAt(*log, first_unconsumed); ts && *ts > 0)
          lag_seconds = std::max<double>(0, double(now - *ts) / 1000.0);
      }
      rows.push_back({{{"group", g.group_id},
                       {"topic", o.tp.topic},
                       {"partition", std::to_string(o.tp.partition.value)}},
                      o.offset.value,
                      lag,
                      lag_seconds});
    }
  }
  w.Family("keel_group_committed_offset", "Offset committed by the consumer group.",
           MetricType::kGauge);
  for (const auto& r : rows) w.Sample("keel_group_committed_offset", r.labels, double(r.committed));
  w.Family("keel_group_lag_records",
           "High watermark minus the committed offset (records the group has yet to consume).",
           MetricType::kGauge);
  for (const auto& r : rows) w.Sample("keel_group_lag_records", r.labels, double(r.lag));
  w.Family("keel_group_lag_seconds",
           "Now minus the timestamp of the first unconsumed record (of the batch holding the "
           "committed offset); 0 when caught up.",
           MetricType::kGauge);
  for (const auto& r : rows) w.Sample("keel_group_lag_seconds", r.labels, r.lag_seconds);
}

void CollectServerMetrics(const server::Server& server, ExpositionWriter& w) {
  w.Family("keel_connections", "Open Kafka client connections.", MetricType::kGauge);
  w.Sample("keel_connections", {}, double(server.connection_count()));
  w.Family("keel_connections_accepted_total", "Kafka client connections accepted.",
           MetricType::kCounter);
  w.Sample("keel_connections_accepted_total", {}, double(server.accepted_count()));
  const server::RequestMemoryPool& pool = server.memory_pool();
  w.Family("keel_request_memory_reserved_bytes",
           "Bytes reserved by requests read and not yet answered (queued.max.request.bytes).",
           MetricType::kGauge);
  w.Sample("keel_request_memory_reserved_bytes", {}, double(pool.reserved()));
  w.Family("keel_request_memory_limit_bytes",
           "queued.max.request.bytes (-1 = unbounded).", MetricType::kGauge);
  w.Sample("keel_request_memory_limit_bytes", {}, double(pool.capacity()));
  w.Family("keel_request_memory_pauses_total",
           "Times a connection stopped reading because its next request did not fit in "
           "queued.max.request.bytes.",
           MetricType::kCounter);
  w.Sample("keel_request_memory_pauses_total", {}, double(pool.pause_count()));
}

}  // namespace keel::app
