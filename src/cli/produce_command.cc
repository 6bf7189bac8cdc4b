// keel-admin produce T: lines from stdin become records (acks=all).
//
// Each line (without its '\n') is one record value; with --key-separator C
// the text before the first C is the key. Records go to --partition p, or
// by the key's murmur2 hash like Kafka's default partitioner, or round-robin
// for records without a key. Up to 1000 records / 1 MiB per batch.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
#include "cli/cluster_queries.h"
#include "cli/commands.h"
#include "fmt/format.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/common/status_macros.h"
#include "keel/protocol/messages/produce.h"

namespace keel::cli {
namespace {

constexpr size_t kMaxBatchRecords = 1000;
constexpr size_t kMaxBatchBytes = size_t{1} << 20;

// Kafka's murmur2 (32-bit, seed 0x9747b28c), as its default partitioner
// applies it to the serialized key.
uint32_t Murmur2(const std::string& data) {
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  uint32_t h = 0x9747b28c ^ uint32_t(data.size());
  size_t len = data.size();
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t k = uint32_t(p[i]) | uint32_t(p[i + 1]) << 8 | uint32_t(p[i + 2]) << 16 |
                 uint32_t(p[i + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (len - i) {
    case 3: h ^= uint32_t(p[i + 2]) << 16; [[fallthrough]];
    case 2: h ^= uint32_t(p[i + 1]) << 8; [[fallthrough]];
    case 1:
      h ^= uint32_t(p[i]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

struct PendingRecord {
  std::optional<std::string> key;
  std::string value;
};

struct PartitionResult {
  int64_t records = 0;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
};

absl::Status SendBatch(client::Client& client, const TopicInfo& topic, int32_t partition,
                       int32_t leader, const std::vector<PendingRecord>& pending, int64_t timeout_ms,
                       PartitionResult* result) {
  std::vector<RecordInput> records;
  records.reserve(pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    RecordInput r;
    r.offset_delta = int32_t(i);
    if (pending[i].key) {
      r.key = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pending[i].key->data()),
                                       pending[i].key->size());
    }
    r.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pending[i].value.data()),
                                       pending[i].value.size());
    records.push_back(std::move(r));
  }
  BatchHeader header;
  header.magic = kBatchMagicV2;
  header.base_timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  header.max_timestamp = header.base_timestamp;
  std::vector<uint8_t> batch = BuildRecordBatch(header, records, Compression::kNone);

  protocol::ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = int32_t(timeout_ms);
  protocol::ProduceRequest::TopicProduceData t;
  t.name = topic.name;
  protocol::ProduceRequest::TopicProduceData::PartitionProduceData p;
  p.index = PartitionId{partition};
  p.records = protocol::RecordsRef{batch, false};
  t.partition_data.push_back(p);
  request.topic_data.push_back(t);
  KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client.Node(leader));
  KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::ProduceResponse>(request));
  for (const auto& rt : reply.message.responses) {
    for (const auto& rp : rt.partition_responses) {
      KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("produce to {}-{}", rt.name, rp.index.value),
                                      rp.error_code, rp.error_message));
      if (result->first_offset < 0) result->first_offset = rp.base_offset.value;
      result->last_offset = rp.base_offset.value + int64_t(pending.size()) - 1;
      result->records += int64_t(pending.size());
    }
  }
  return absl::OkStatus();
}

struct ProduceOptions {
  std::string topic;
  std::optional<std::string> separator;
  int64_t partition = -1;
};

absl::Status Produce(Context& ctx, const ProduceOptions& o) {
  const auto& separator = o.separator;
  const int64_t fixed_partition = o.partition;
  const std::string* topic_name = &o.topic;

  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(TopicInfo topic, DescribeTopic(*client, *topic_name));
  if (topic.partitions.empty()) return absl::FailedPreconditionError("the topic has no partitions");
  std::map<int32_t, int32_t> leaders;
  for (const auto& p : topic.partitions) leaders[p.partition] = p.leader;
  if (fixed_partition >= 0 && !leaders.count(int32_t(fixed_partition))) {
    return KafkaError(fmt::format("partition {}-{}", *topic_name, fixed_partition), 3);
  }

  std::map<int32_t, std::vector<PendingRecord>> pending;
  std::map<int32_t, size_t> pending_bytes;
  std::map<int32_t, PartitionResult> results;
  auto flush = [&](int32_t partition) -> absl::Status {
    auto& records = pending[partition];
    if (records.empty()) return absl::OkStatus();
    KEEL_RETURN_IF_ERROR(SendBatch(*client, topic, partition, leaders[partition], records,
                                   ctx.options().timeout_ms, &results[partition]));
    records.clear();
    pending_bytes[partition] = 0;
    return absl::OkStatus();
  };

  std::string line;
  size_t round_robin = 0;
  int64_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    PendingRecord record;
    if (separator) {
      size_t at = line.find(*separator);
      if (at == std::string::npos) {
        return absl::FailedPreconditionError(
            fmt::format("line {} has no key separator '{}'", line_number, *separator));
      }
      record.key = line.substr(0, at);
      record.value = line.substr(at + separator->size());
    } else {
      record.value = line;
    }
    int32_t partition;
    if (fixed_partition >= 0) {
      partition = int32_t(fixed_partition);
    } else if (record.key) {
      partition = topic.partitions[(Murmur2(*record.key) & 0x7fffffff) % topic.partitions.size()].partition;
    } else {
      partition = topic.partitions[round_robin++ % topic.partitions.size()].partition;
    }
    pending_bytes[partition] += record.value.size() + (record.key ? record.key->size() : 0) + 16;
    pending[partition].push_back(std::move(record));
    if (pending[partition].size() >= kMaxBatchRecords || pending_bytes[partition] >= kMaxBatchBytes) {
      KEEL_RETURN_IF_ERROR(flush(partition));
    }
  }
  for (auto& [partition, _] : pending) KEEL_RETURN_IF_ERROR(flush(partition));

  Json jparts = Json::array();
  Table table{{"PARTITION", "RECORDS", "FIRST-OFFSET", "LAST-OFFSET"}, {}};
  int64_t total = 0;
  for (const auto& [partition, r] : results) {
    total += r.records;
    jparts.push_back({{"partition", partition},
                      {"records", r.records},
                      {"first_offset", r.first_offset},
                      {"last_offset", r.last_offset}});
    table.rows.push_back({std::to_string(partition), std::to_string(r.records),
                          std::to_string(r.first_offset), std::to_string(r.last_offset)});
  }
  Json doc = {{"topic", topic.name}, {"records", total}, {"partitions", std::move(jparts)}};
  // The human summary goes to stderr: stdout stays free for pipelines.
  if (ctx.json()) {
    ctx.Emit(doc, "");
  } else {
    std::fprintf(stderr, "Produced %lld record(s) to %s.\n%s", static_cast<long long>(total),
                 topic.name.c_str(), total > 0 ? table.Render().c_str() : "");
  }
  return absl::OkStatus();
}

}  // namespace

void AddProduceCommand(CLI::App& app, Action* action) {
  auto o = std::make_shared<ProduceOptions>();
  CLI::App* p = app.add_subcommand("produce", "lines from stdin become records, written with acks=all");
  p->add_option("TOPIC", o->topic, "topic name")->required();
  p->add_option("--key-separator", o->separator, "the text before it is the record key (picks the partition)")
      ->check(CLI::Validator(
          [](std::string& s) { return s.empty() ? std::string("must not be empty") : std::string(); }, "NON-EMPTY"));
  p->add_option("--partition", o->partition, "write every record to this partition")
      ->check(CLI::Range(int64_t{0}, int64_t{INT32_MAX}));
  p->callback([action, o] { *action = [o](Context& ctx) { return Produce(ctx, *o); }; });
}

}  // namespace keel::cli
