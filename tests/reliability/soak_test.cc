// Soak: everything at once against one broker for KEEL_SOAK_SECONDS (default
// 45; 600 for a long run):
//  - idempotent acks=all producers on three topics;
//  - "soak-events" (3 partitions, no retention) consumed by a group whose
//    members leave and join every few seconds (rebalances), auto-committing;
//  - "soak-retention": small segments and short retention, so segments are
//    deleted while it is written;
//  - "soak-compacted": a compacted topic with small segments over few keys.
// End to end: every acknowledged record of soak-events is consumed by the
// group; retention moved the log start of soak-retention; the compacted topic
// still holds the newest acknowledged value of every key and fewer records
// than were written. The broker's open fds and RSS are read after warm-up and
// at the end of the load; growth above kFdGrowthBound / kRssGrowthBoundKib,
// or descriptors kept on deleted segment files, fail the test.
//
// Prints `soak records verified: <N> fds start/end: a/b rss start/end: x/y KiB`.
// KEEL_SOAK_SEED replays the member churn schedule.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_process.h"
#include "gtest/gtest.h"
#include "rdkafka_client.h"
#include "reliability_support.h"
#include "test_macros.h"

namespace keel::reliability {
namespace {

using integration::BrokerProcess;
using integration::NewHandle;
using integration::RdKafkaPtr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kEvents = "soak-events";
constexpr const char* kRetention = "soak-retention";
constexpr const char* kCompacted = "soak-compacted";
constexpr const char* kGroup = "soak-group";
constexpr int kEventPartitions = 3;
constexpr int kCompactedKeys = 50;
// Documented bounds on what the broker may gain between warm-up and the end
// of the load: segments come and go (retention, compaction, rolls) and group
// members reconnect, but nothing should accumulate.
// Files: each segment has a few (log, indexes); how many segments exist at
// the end depends on where retention and the cleaner are, so the bound is
// loose; the sharp check is that no descriptor points at a deleted file
// (beyond the few a deletion in progress may hold).
constexpr int64_t kFdGrowthBound = 128;
constexpr int64_t kDeletedFdBound = 6;
constexpr int64_t kRssGrowthBoundKib = 128 * 1024;

integration::Settings Quiet() {
  return {{"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "500"},
          {"log_level", "3"}};
}

// Acknowledged (partition, offset) -> value per topic; consumed set of events.
class Ledger {
 public:
  void Acked(const std::string& topic, int32_t p, int64_t o, std::string value) {
    std::lock_guard lock(mu_);
    acked_[topic][{p, o}] = std::move(value);
  }
  void Failed(const std::string& why) {
    std::lock_guard lock(mu_);
    if (failures_.size() < 10) failures_.push_back(why);
    ++failed_;
  }
  void Consumed(int32_t p, int64_t o, std::string value) {
    std::lock_guard lock(mu_);
    consumed_[{p, o}] = std::move(value);
  }
  std::map<std::pair<int32_t, int64_t>, std::string> acked(const std::string& topic) const {
    std::lock_guard lock(mu_);
    auto it = acked_.find(topic);
    return it == acked_.end() ? std::map<std::pair<int32_t, int64_t>, std::string>() : it->second;
  }
  std::map<std::pair<int32_t, int64_t>, std::string> consumed() const {
    std::lock_guard lock(mu_);
    return consumed_;
  }
  size_t failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::pair<int32_t, int64_t>, std::string>> acked_;
  std::map<std::pair<int32_t, int64_t>, std::string> consumed_;
  size_t failed_ = 0;
  std::vector<std::string> failures_;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* ledger = static_cast<Ledger*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ledger->Failed(absl::StrCat("delivery: ", rd_kafka_err2name(m->err)));
    return;
  }
  ledger->Acked(rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                std::string(static_cast<const char*>(m->payload), m->len));
}

// Produces ~1000 records/s to `topic` until `stop`; keys cycle over `keys`
// distinct values; each value is unique.
void ProducerLoop(std::string bootstrap, std::string topic, int keys, size_t value_size,
                  Ledger& ledger, const std::atomic<bool>& stop) {
  integration::Settings s = Quiet();
  s["client.id"] = absl::StrCat("soak-producer-", topic);
  auto producer = NewIdempotentProducer(bootstrap, s, OnDelivery, nullptr, &ledger);
  if (!producer.ok()) {
    ledger.Failed(producer.status().ToString());
    return;
  }
  rd_kafka_t* rk = producer->get();
  int64_t seq = 0;
  const std::string pad(value_size, 'x');
  while (!stop.load()) {
    for (int i = 0; i < 20; ++i, ++seq) {
      const std::string key = absl::StrCat("key-", seq % keys);
      const std::string value = absl::StrCat(topic, ":", seq, ":", pad);
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) ledger.Failed(rd_kafka_err2name(e));
    }
    rd_kafka_poll(rk, 20);
  }
  rd_kafka_flush(rk, 30000);
  if (rd_kafka_outq_len(rk) > 0)
    ledger.Failed(absl::StrCat(topic, ": ", rd_kafka_outq_len(rk), " records never reported"));
}

// One group member: consumes soak-events until told to leave, auto-commits,
// and leaves the group cleanly (commit + LeaveGroup) on close.
class Member {
 public:
  Member(std::string bootstrap, int id, Ledger& ledger)
      : thread_([this, bootstrap, id, &ledger] { Run(bootstrap, id, ledger); }) {}
  ~Member() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run(const std::string& bootstrap, int id, Ledger& ledger) {
    integration::Settings s = Quiet();
    s["group.id"] = kGroup;
    s["client.id"] = absl::StrCat("soak-member-", id);
    s["auto.offset.reset"] = "earliest";
    s["enable.auto.commit"] = "true";
    s["auto.commit.interval.ms"] = "500";
    s["session.timeout.ms"] = "6000";
    s["heartbeat.interval.ms"] = "500";
    auto rk = NewHandle(RD_KAFKA_CONSUMER, bootstrap, s);
    if (!rk.ok()) {
      ledger.Failed(rk.status().ToString());
      return;
    }
    rd_kafka_poll_set_consumer(rk->get());
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, kEvents, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk->get(), topics);
    rd_kafka_topic_partition_list_destroy(topics);
    while (!stop_.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk->get(), 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ledger.Consumed(m->partition, m->offset,
                        std::string(static_cast<const char*>(m->payload), m->len));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk->get());
  }

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(SoakTest, ProducersRebalancingGroupRetentionAndCompactionAtOnce) {
  const int64_t soak_seconds = IntFromEnv("KEEL_SOAK_SECONDS", 45);
  const uint64_t seed = SeedFromEnv("KEEL_SOAK_SEED");
  std::printf("soak: %lld s, seed %llu (replay with KEEL_SOAK_SEED)\n",
              static_cast<long long>(soak_seconds), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  BrokerProcess broker(LoadTestBrokerSettings({{"log.retention.check.interval.ms", "500"},
                                               {"log.cleaner.backoff.ms", "500"}}));
  ASSERT_OK(broker.Start());
  ASSERT_OK(CreateTopics(broker.bootstrap(),
                         {{kEvents, kEventPartitions},
                          {kRetention, 2, {{"segment.bytes", "32768"}, {"retention.ms", "3000"}}},
                          {kCompacted, 1,
                           {{"cleanup.policy", "compact"},
                            {"segment.bytes", "32768"},
                            {"min.cleanable.dirty.ratio", "0.01"}}}},
                         seconds(30)));

  Ledger ledger;
  std::atomic<bool> stop_producers{false};
  std::vector<std::thread> producers;
  std::vector<std::unique_ptr<Member>> members;
  AtScopeExit joiner([&] {
    stop_producers = true;
    for (auto& t : producers)
      if (t.joinable()) t.join();
    members.clear();
  });
  producers.emplace_back(ProducerLoop, broker.bootstrap(), kEvents, 1000, 100, std::ref(ledger),
                         std::cref(stop_producers));
  producers.emplace_back(ProducerLoop, broker.bootstrap(), kRetention, 1000, 200,
                         std::ref(ledger), std::cref(stop_producers));
  producers.emplace_back(ProducerLoop, broker.bootstrap(), kCompacted, kCompactedKeys, 200,
                         std::ref(ledger), std::cref(stop_producers));
  int next_member = 0;
  for (; next_member < 2; ++next_member)
    members.push_back(std::make_unique<Member>(broker.bootstrap(), next_member, ledger));

  const auto start = Clock::now();
  std::this_thread::sleep_for(seconds(std::min<int64_t>(5, soak_seconds / 4)));
  const int64_t fds_start = OpenFdCount(broker.pid());
  const auto kinds_start = OpenFdKinds(broker.pid());
  const size_t members_start = members.size();
  const int64_t rss_start = ProcStatusKib(broker.pid(), "VmRSS");
  // Churn: every 2-6 s a member leaves or a new one joins (1 to 3 members).
  int rebalances = 0;
  while (Clock::now() - start < seconds(soak_seconds)) {
    std::this_thread::sleep_for(milliseconds(2000 + int64_t(rng() % 4000)));
    ASSERT_TRUE(broker.Alive()) << "keel died during the soak";
    const bool join = members.size() < 2 || (members.size() < 3 && rng() % 2 == 0);
    if (join) {
      members.push_back(std::make_unique<Member>(broker.bootstrap(), next_member++, ledger));
    } else {
      members.erase(members.begin() + ptrdiff_t(rng() % members.size()));
    }
    ++rebalances;
  }
  const int64_t fds_end = OpenFdCount(broker.pid());
  const auto kinds_end = OpenFdKinds(broker.pid());
  const int64_t rss_end = ProcStatusKib(broker.pid(), "VmRSS");
  const size_t members_at_end = members.size();

  stop_producers = true;
  for (auto& t : producers) t.join();
  for (const auto& f : ledger.failures()) ADD_FAILURE() << "client: " << f;
  ASSERT_EQ(ledger.failed(), 0u);

  // The group drains every acknowledged event.
  const auto acked_events = ledger.acked(kEvents);
  size_t verified = 0;
  std::vector<std::string> missing;
  const auto drain_deadline = Clock::now() + seconds(30);
  for (;;) {
    const auto consumed = ledger.consumed();
    verified = 0;
    missing.clear();
    for (const auto& [po, value] : acked_events) {
      auto it = consumed.find(po);
      if (it != consumed.end() && it->second == value) {
        ++verified;
      } else if (missing.size() < 10) {
        missing.push_back(absl::StrCat(po.first, "/", po.second, " ", value.substr(0, 30)));
      }
    }
    if (verified == acked_events.size() || Clock::now() > drain_deadline) break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  members.clear();
  for (const auto& m : missing) ADD_FAILURE() << "acknowledged but never consumed: " << m;
  EXPECT_EQ(verified, acked_events.size());
  EXPECT_GT(acked_events.size(), 0u);

  // Retention deleted segments: the log start moved on every partition.
  ASSERT_OK_AND_ASSIGN(auto reader, integration::Consumer::Create(broker.bootstrap(), Quiet()));
  for (int p = 0; p < 2; ++p) {
    int64_t low = -1, high = -1;
    ASSERT_EQ(rd_kafka_query_watermark_offsets(reader->handle(), kRetention, p, &low, &high,
                                               15000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    std::printf("soak: %s/%d log start %lld, end %lld\n", kRetention, p,
                static_cast<long long>(low), static_cast<long long>(high));
    EXPECT_GT(low, 0) << "retention never deleted a segment of partition " << p;
  }

  // Compaction kept the newest value of every key and dropped older ones.
  const auto acked_compacted = ledger.acked(kCompacted);
  std::map<std::string, std::pair<int64_t, std::string>> newest;  // key -> (offset, value)
  for (const auto& [po, value] : acked_compacted) {
    const std::string key = absl::StrCat("key-", [&] {
      const size_t a = value.find(':'), b = value.find(':', a + 1);
      return std::stoll(value.substr(a + 1, b - a - 1)) % kCompactedKeys;
    }());
    newest[key] = {po.second, value};  // map order: offsets ascend
  }
  std::map<int64_t, std::string> log;
  int64_t low = -1, high = -1;
  size_t compacted_away = 0;
  const auto compact_deadline = Clock::now() + seconds(30);
  for (;;) {
    ASSERT_EQ(rd_kafka_query_watermark_offsets(reader->handle(), kCompacted, 0, &low, &high,
                                               15000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_OK_AND_ASSIGN(auto r2, integration::Consumer::Create(broker.bootstrap(), Quiet()));
    ASSERT_OK(r2->Assign(kCompacted, 0, RD_KAFKA_OFFSET_BEGINNING));
    log.clear();
    int64_t next = 0;
    const auto read_deadline = Clock::now() + seconds(30);
    while (next < high && Clock::now() < read_deadline) {
      ASSERT_OK_AND_ASSIGN(auto m, r2->PollOne(milliseconds(200)));
      if (!m.has_value()) continue;
      log[m->offset] = m->value.value_or("");
      next = m->offset + 1;
    }
    ASSERT_GE(next, high) << "could not read the compacted topic to its end";
    compacted_away = size_t(high) - log.size();
    if (compacted_away > 0 || Clock::now() > compact_deadline) break;
    std::this_thread::sleep_for(seconds(1));
  }
  std::printf("soak: %s holds %zu of %lld records (%zu compacted away)\n", kCompacted,
              log.size(), static_cast<long long>(high), compacted_away);
  EXPECT_GT(compacted_away, 0u) << "the cleaner never compacted " << kCompacted;
  for (const auto& [key, ov] : newest) {
    auto it = log.find(ov.first);
    EXPECT_TRUE(it != log.end() && it->second == ov.second)
        << "newest value of " << key << " at offset " << ov.first << " is gone";
  }

  ReportFigure("soak", absl::StrCat("soak records verified: ", verified, " fds start/end: ",
                                    fds_start, "/", fds_end, " rss start/end: ", rss_start, "/",
                                    rss_end, " KiB"));
  std::printf("soak: %d membership changes, %zu retention-topic and %zu compacted-topic records "
              "acknowledged\n",
              rebalances, ledger.acked(kRetention).size(), acked_compacted.size());
  auto kinds = [](const std::map<std::string, int64_t>& k) {
    return absl::StrCat(k.count("socket") ? k.at("socket") : 0, " sockets, ",
                        k.count("file") ? k.at("file") : 0, " files, ",
                        k.count("deleted") ? k.at("deleted") : 0, " deleted files, ",
                        k.count("other") ? k.at("other") : 0, " other");
  };
  std::printf("soak: broker fds at start %s (%zu members); at end %s (%zu members)\n",
              kinds(kinds_start).c_str(), members_start, kinds(kinds_end).c_str(),
              members_at_end);
  EXPECT_LE(fds_end - fds_start, kFdGrowthBound) << "broker descriptors grew";
  // Long after the load (drain and checks above): descriptors of deleted
  // segments must have been released by now.
  const std::vector<std::string> deleted = DeletedFileFds(broker.pid());
  std::printf("soak: %zu descriptors on deleted files at the end of the load, %zu after the "
              "checks\n",
              size_t(kinds_end.count("deleted") ? kinds_end.at("deleted") : 0), deleted.size());
  for (size_t i = 0; i < deleted.size() && i < 20; ++i)
    std::printf("soak:   still open: %s\n", deleted[i].c_str());
  EXPECT_LE(int64_t(deleted.size()), kDeletedFdBound)
      << "descriptors of deleted segment files are kept open";
  EXPECT_LE(rss_end - rss_start, kRssGrowthBoundKib) << "broker RSS grew";
  EXPECT_TRUE(broker.Alive());
}

}  // namespace
}  // namespace keel::reliability
