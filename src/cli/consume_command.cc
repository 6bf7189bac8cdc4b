// keel-admin consume T: fetches records and prints them.
//
// Starts at the group's committed offset (--group G), else at the log start
// (--from-beginning) or the end. Stops after --max-messages records, or,
// without it, once every partition is caught up to its high watermark (last
// stable offset with --isolation read_committed); with --max-messages it
// gives up after --timeout-ms without new records. Control batches are never
// shown; with read_committed, records of aborted transactions are skipped
// using the aborted-transaction list of the Fetch response. With --group the
// new positions are committed at the end (a simple commit: the group must
// have no active members).
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "CLI/CLI.hpp"
#include "cli/cluster_queries.h"
#include "cli/commands.h"
#include "fmt/format.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/common/status_macros.h"
#include "keel/protocol/messages/fetch.h"
#include "keel/protocol/messages/offset_commit.h"

namespace keel::cli {
namespace {

// Highest Fetch version that still names topics (v13+ uses topic ids).
constexpr int16_t kFetchVersionCap = 12;

struct Position {
  int64_t next = 0;
  int64_t end = -1;  // HW or LSO from the last response
};

std::string Text(const std::optional<std::span<const uint8_t>>& bytes) {
  if (!bytes) return "null";
  return BytesToText(bytes->data(), bytes->size());
}

struct ConsumeOptions {
  std::string topic;
  bool from_beginning = false;
  bool print_key = false;
  int64_t max_messages = -1;
  int64_t partition = -1;
  std::optional<std::string> group;
  std::string isolation = "read_uncommitted";
};

absl::Status Consume(Context& ctx, const ConsumeOptions& o) {
  const bool from_beginning = o.from_beginning, print_key = o.print_key;
  const int64_t max_messages = o.max_messages, only_partition = o.partition;
  const auto& group = o.group;
  const std::string* topic_name = &o.topic;
  const int8_t isolation = o.isolation == "read_committed" ? 1 : 0;

  KEEL_ASSIGN_OR_RETURN(client::Client * client, ctx.Client());
  KEEL_ASSIGN_OR_RETURN(TopicInfo topic, DescribeTopic(*client, *topic_name));
  std::vector<int32_t> partitions;
  std::map<int32_t, int32_t> leaders;
  for (const auto& p : topic.partitions) {
    leaders[p.partition] = p.leader;
    if (only_partition < 0 || p.partition == only_partition) partitions.push_back(p.partition);
  }
  if (partitions.empty()) {
    return KafkaError(fmt::format("partition {}-{}", *topic_name, only_partition), 3);
  }

  // Start positions.
  KEEL_ASSIGN_OR_RETURN(auto starts,
                        ListPartitionOffsets(*client, topic, partitions,
                                             from_beginning ? kEarliestTimestamp : kLatestTimestamp,
                                             isolation));
  std::map<int32_t, Position> positions;
  for (int32_t p : partitions) positions[p].next = starts[p];
  if (group) {
    std::map<std::string, std::vector<int32_t>> wanted{{topic.name, partitions}};
    KEEL_ASSIGN_OR_RETURN(auto committed, FetchCommittedOffsets(*client, *group, wanted));
    for (const auto& [tp, offset] : committed) positions[tp.second].next = offset;
  }
  std::map<int32_t, int64_t> start_positions;
  for (const auto& [p, pos] : positions) start_positions[p] = pos.next;

  Json records_json = Json::array();
  int64_t count = 0;
  auto last_progress = std::chrono::steady_clock::now();
  auto timeout = std::chrono::milliseconds(ctx.options().timeout_ms);
  bool done = max_messages == 0;
  std::string pending_error;
  while (!done) {
    // One Fetch per leader; Keel is a single node, so normally one.
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (int32_t p : partitions) by_leader[leaders[p]].push_back(p);
    bool got_any = false;
    for (const auto& [leader, parts] : by_leader) {
      protocol::FetchRequest request;
      request.replica_id = NodeId{-1};
      request.max_wait_ms = 500;
      request.min_bytes = 1;
      request.max_bytes = 4 << 20;
      request.isolation_level = isolation;
      request.session_id = 0;
      request.session_epoch = -1;
      protocol::FetchRequest::FetchTopic ft;
      ft.topic = topic.name;
      for (int32_t p : parts) {
        protocol::FetchRequest::FetchTopic::FetchPartition fp;
        fp.partition = PartitionId{p};
        fp.fetch_offset = Offset{positions[p].next};
        fp.partition_max_bytes = 1 << 20;
        ft.partitions.push_back(fp);
      }
      request.topics.push_back(ft);
      KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client->Node(leader));
      KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::FetchResponse>(request, kFetchVersionCap));
      KEEL_RETURN_IF_ERROR(KafkaError("Fetch", reply.message.error_code));
      for (const auto& rt : reply.message.responses) {
        for (const auto& rp : rt.partitions) {
          int32_t p = rp.partition_index.value;
          KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("Fetch {}-{}", rt.topic, p), rp.error_code));
          Position& pos = positions[p];
          pos.end = isolation == 1 && rp.last_stable_offset.value >= 0 ? rp.last_stable_offset.value
                                                                          : rp.high_watermark.value;
          // Aborted transactions in offset order; a producer is "in an
          // aborted transaction" from its first offset until its ABORT marker.
          std::multimap<int64_t, int64_t> aborted;  // first offset -> producer id
          if (isolation == 1 && rp.aborted_transactions) {
            for (const auto& a : *rp.aborted_transactions) aborted.emplace(a.first_offset.value, a.producer_id.value);
          }
          std::set<int64_t> aborting;
          std::span<const uint8_t> bytes = rp.records.bytes;
          while (!bytes.empty() && !done) {
            auto size = NextBatchSize(bytes);
            if (!size.ok()) return absl::DataLossError(fmt::format("Fetch {}-{}: {}", rt.topic, p, size.status().ToString()));
            if (*size == 0) break;  // a partial batch at the end of the response
            std::span<const uint8_t> batch = bytes.first(*size);
            bytes = bytes.subspan(*size);
            KEEL_ASSIGN_OR_RETURN(BatchHeader h, ValidateBatch(batch));
            while (!aborted.empty() && aborted.begin()->first <= h.last_offset()) {
              aborting.insert(aborted.begin()->second);
              aborted.erase(aborted.begin());
            }
            if (h.last_offset() < pos.next) continue;
            if (h.is_control()) {
              aborting.erase(h.producer_id);
              pos.next = h.last_offset() + 1;
              continue;
            }
            if (h.is_transactional() && aborting.count(h.producer_id)) {
              pos.next = h.last_offset() + 1;
              continue;
            }
            absl::Status s = ForEachRecord(batch, [&](const RecordView& r) -> absl::Status {
              int64_t offset = h.base_offset + r.offset_delta;
              if (offset < pos.next || done) return absl::OkStatus();
              int64_t ts = h.log_append_time() ? h.max_timestamp : h.base_timestamp + r.timestamp_delta;
              if (ctx.json()) {
                Json headers = Json::array();
                for (const auto& hv : r.headers) {
                  headers.push_back({{"key", BytesToText(hv.key.data(), hv.key.size())},
                                     {"value", hv.value ? Json(Text(hv.value)) : Json()}});
                }
                records_json.push_back({{"partition", p},
                                        {"offset", offset},
                                        {"timestamp", ts},
                                        {"key", r.key ? Json(Text(r.key)) : Json()},
                                        {"value", r.value ? Json(Text(r.value)) : Json()},
                                        {"headers", std::move(headers)}});
              } else {
                std::string line = print_key ? Text(r.key) + "\t" + Text(r.value) : Text(r.value);
                line.push_back('\n');
                std::fwrite(line.data(), 1, line.size(), stdout);
              }
              pos.next = offset + 1;
              ++count;
              got_any = true;
              if (max_messages >= 0 && count >= max_messages) done = true;
              return absl::OkStatus();
            });
            if (!s.ok()) return absl::DataLossError(fmt::format("Fetch {}-{}: {}", rt.topic, p, s.ToString()));
            if (!done) pos.next = std::max(pos.next, h.last_offset() + 1);
          }
        }
      }
    }
    if (!ctx.json()) std::fflush(stdout);
    if (done) break;
    auto now = std::chrono::steady_clock::now();
    if (got_any) last_progress = now;
    if (max_messages < 0) {
      bool caught_up = true;
      for (const auto& [p, pos] : positions) caught_up &= pos.end >= 0 && pos.next >= pos.end;
      if (caught_up && !got_any) break;
    } else if (now - last_progress > timeout) {
      pending_error = fmt::format("timed out after {} ms without new records: consumed {} of {}",
                                  ctx.options().timeout_ms, count, max_messages);
      break;
    }
  }

  if (group) {
    bool moved = false;
    for (const auto& [p, pos] : positions) moved |= pos.next != start_positions[p];
    if (moved) {
      KEEL_ASSIGN_OR_RETURN(client::BrokerConnection * conn, client->GroupCoordinator(*group));
      protocol::OffsetCommitRequest request;
      request.group_id = *group;
      request.generation_id_or_member_epoch = -1;
      request.topics.emplace_back();
      request.topics.back().name = topic.name;
      for (const auto& [p, pos] : positions) {
        request.topics.back().partitions.emplace_back();
        auto& cp = request.topics.back().partitions.back();
        cp.partition_index = PartitionId{p};
        cp.committed_offset = Offset{pos.next};
        cp.committed_metadata = "";
      }
      KEEL_ASSIGN_OR_RETURN(auto reply, conn->Call<protocol::OffsetCommitResponse>(request));
      for (const auto& t : reply.message.topics) {
        for (const auto& cp : t.partitions) {
          KEEL_RETURN_IF_ERROR(KafkaError(fmt::format("OffsetCommit for group '{}'", *group), cp.error_code));
        }
      }
    }
  }
  if (ctx.json()) {
    ctx.Emit(Json{{"topic", topic.name}, {"count", count}, {"records", std::move(records_json)}}, "");
  }
  std::fprintf(stderr, "Consumed %lld record(s).\n", static_cast<long long>(count));
  if (!pending_error.empty()) return absl::DeadlineExceededError(pending_error);
  return absl::OkStatus();
}

}  // namespace

void AddConsumeCommand(CLI::App& app, Action* action) {
  auto o = std::make_shared<ConsumeOptions>();
  CLI::App* c = app.add_subcommand(
      "consume", "print records: one value (or key<TAB>value) per line, until caught up or --max-messages");
  c->add_option("TOPIC", o->topic, "topic name")->required();
  c->add_flag("--from-beginning", o->from_beginning, "start at the log start (default: the end)");
  c->add_option("--max-messages", o->max_messages, "stop after N records")
      ->check(CLI::Range(int64_t{0}, INT64_MAX).description("NON-NEGATIVE"));
  c->add_option("--partition", o->partition, "read only this partition")
      ->check(CLI::Range(int64_t{0}, int64_t{INT32_MAX}));
  c->add_option("--group", o->group, "start at, and then commit, the offsets of this (inactive) group");
  c->add_option("--isolation", o->isolation, "read_uncommitted (default) or read_committed")
      ->check(CLI::IsMember({"read_uncommitted", "read_committed"}));
  c->add_flag("--print-key", o->print_key, "print key<TAB>value");
  c->callback([action, o] { *action = [o](Context& ctx) { return Consume(ctx, *o); }; });
}

}  // namespace keel::cli
