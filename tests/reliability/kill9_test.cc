// kill -9 under real client load. Idempotent acks=all librdkafka producers
// write keyed records whose values name (producer, key, sequence); every
// successful delivery report is written to a ledger (the independent
// verifier). A consumer group reads and commits synchronously, and each commit
// the broker acknowledged is written to the ledger too. At seeded random
// moments the broker is killed with SIGKILL and restarted on the same data dir
// and port; the clients are left alone to reconnect by themselves.
//
// After every restart, and once more at the end, the log is read back with a
// fresh consumer and checked: every acknowledged record sits at its
// acknowledged offset, no value appears twice, nothing appears that was never
// produced, offsets are contiguous, per-key sequences increase with the
// offset, and the group's committed offsets are at least the last commit
// acknowledged before the kill.
//
// Environment: KEEL_KILL9_ITERATIONS (default 8), KEEL_KILL9_SEED (replays a
// run's kill moments). Prints `kill9 iterations: <N> acked: <A> lost: <L>
// duplicated: <D>`.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

constexpr const char* kTopic = "kill9";
constexpr const char* kGroup = "kill9-group";
constexpr int kPartitions = 4;
constexpr int kProducers = 3;
constexpr int kKeysPerProducer = 8;
constexpr milliseconds kVerifyTimeout(30000);

// Settings that make librdkafka come back quickly after the broker restarts.
integration::Settings FastReconnect() {
  return {{"reconnect.backoff.ms", "50"},
          {"reconnect.backoff.max.ms", "500"},
          {"retry.backoff.ms", "100"},
          {"topic.metadata.refresh.interval.ms", "2000"},
          {"log_level", "2"}};  // critical only: refused reconnects are expected
}

// What the clients were told: the independent record of acknowledgements.
class Ledger {
 public:
  void Sent(const std::string& value) {
    std::lock_guard lock(mu_);
    sent_.insert(value);
  }
  void Delivered(int32_t partition, int64_t offset, const std::string& value) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = acked_.emplace(std::make_pair(partition, offset), value);
    if (!inserted && it->second != value) ++conflicting_acks_;
  }
  void DeliveryFailed(rd_kafka_resp_err_t err) {
    std::lock_guard lock(mu_);
    ++failed_;
    last_failure_ = rd_kafka_err2name(err);
  }
  void Fatal(const std::string& what) {
    std::lock_guard lock(mu_);
    fatal_.push_back(what);
  }
  void Committed(int32_t partition, int64_t offset) {
    std::lock_guard lock(mu_);
    int64_t& c = commits_[partition];
    c = std::max(c, offset);
  }

  std::map<std::pair<int32_t, int64_t>, std::string> acked() const {
    std::lock_guard lock(mu_);
    return acked_;
  }
  std::set<std::string> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::map<int32_t, int64_t> commits() const {
    std::lock_guard lock(mu_);
    return commits_;
  }
  size_t acked_count() const {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  size_t failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  std::string last_failure() const {
    std::lock_guard lock(mu_);
    return last_failure_;
  }
  size_t conflicting_acks() const {
    std::lock_guard lock(mu_);
    return conflicting_acks_;
  }
  std::vector<std::string> fatal() const {
    std::lock_guard lock(mu_);
    return fatal_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> sent_;
  std::map<std::pair<int32_t, int64_t>, std::string> acked_;
  std::map<int32_t, int64_t> commits_;
  size_t failed_ = 0;
  size_t conflicting_acks_ = 0;
  std::string last_failure_;
  std::vector<std::string> fatal_;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* ledger = static_cast<Ledger*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ledger->DeliveryFailed(m->err);
    return;
  }
  ledger->Delivered(m->partition, m->offset,
                    std::string(static_cast<const char*>(m->payload), m->len));
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  // Transport errors while the broker is down are expected; fatal ones are not.
  if (err != RD_KAFKA_RESP_ERR__FATAL) return;
  char buf[512];
  rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
  static_cast<Ledger*>(opaque)->Fatal(
      absl::StrCat(rd_kafka_name(rk), ": ", rd_kafka_err2name(orig), " ", buf, " (", reason, ")"));
}

// One idempotent producer: keys "p<id>k<k>", values "p<id>:k<k>:s<seq>" with a
// per-key sequence, produced in a loop with a bounded number outstanding.
void ProducerLoop(int id, std::string bootstrap, Ledger& ledger, const std::atomic<bool>& stop) {
  integration::Settings s = FastReconnect();
  s["client.id"] = absl::StrCat("kill9-producer-", id);
  s["message.timeout.ms"] = "300000";  // outlive every restart: no gaps in a key
  auto producer = NewIdempotentProducer(bootstrap, s, OnDelivery, OnError, &ledger);
  if (!producer.ok()) {
    ledger.Fatal(producer.status().ToString());
    return;
  }
  rd_kafka_t* rk = producer->get();
  std::vector<int64_t> seq(kKeysPerProducer, 0);
  int next_key = 0;
  while (!stop.load()) {
    if (rd_kafka_outq_len(rk) > 2000) {
      rd_kafka_poll(rk, 10);
      continue;
    }
    for (int i = 0; i < 20; ++i) {
      const int k = next_key;
      next_key = (next_key + 1) % kKeysPerProducer;
      const std::string key = absl::StrCat("p", id, "k", k);
      const std::string value = absl::StrCat("p", id, ":k", k, ":s", seq[k]);
      ledger.Sent(value);
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ledger.Fatal(absl::StrCat("producev: ", rd_kafka_err2name(e)));
        break;
      }
      ++seq[k];
    }
    // About 2000 records/s per producer: a long run's log stays readable in
    // every verification pass.
    rd_kafka_poll(rk, 0);
    std::this_thread::sleep_for(milliseconds(10));
  }
  // Wait for every outstanding delivery report (the broker is up by now).
  rd_kafka_flush(rk, 60000);
  if (rd_kafka_outq_len(rk) > 0) {
    ledger.Fatal(absl::StrCat("producer ", id, ": ", rd_kafka_outq_len(rk),
                              " records without a delivery report after 60 s"));
  }
}

// A group member that commits synchronously every 100 records (and on a
// timer); every commit acknowledged without error goes to the ledger.
void GroupConsumerLoop(std::string bootstrap, Ledger& ledger, const std::atomic<bool>& stop,
                       std::atomic<int64_t>& consumed) {
  integration::Settings s = FastReconnect();
  s["group.id"] = kGroup;
  s["client.id"] = "kill9-group-member";
  s["enable.auto.commit"] = "false";
  s["auto.offset.reset"] = "earliest";
  s["session.timeout.ms"] = "6000";
  s["heartbeat.interval.ms"] = "500";
  auto rk_or = NewHandle(RD_KAFKA_CONSUMER, bootstrap, s);
  if (!rk_or.ok()) {
    ledger.Fatal(rk_or.status().ToString());
    return;
  }
  RdKafkaPtr rk = std::move(*rk_or);
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, kTopic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ledger.Fatal(absl::StrCat("subscribe: ", rd_kafka_err2name(e)));
    return;
  }
  std::map<int32_t, int64_t> next;  // partition -> offset after the last record read
  int since_commit = 0;
  auto last_commit = Clock::now();
  auto commit = [&] {
    if (next.empty()) return;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(next.size()));
    for (const auto& [p, o] : next) rd_kafka_topic_partition_list_add(list, kTopic, p)->offset = o;
    if (rd_kafka_commit(rk.get(), list, /*async=*/0) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
          ledger.Committed(list->elems[i].partition, list->elems[i].offset);
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
    since_commit = 0;
    last_commit = Clock::now();
  };
  while (!stop.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        next[m->partition] = m->offset + 1;
        consumed.fetch_add(1);
        ++since_commit;
      }
      rd_kafka_message_destroy(m);
    }
    if (since_commit >= 100 || (since_commit > 0 && Clock::now() - last_commit > milliseconds(300)))
      commit();
  }
  rd_kafka_consumer_close(rk.get());
}

struct Verdict {
  size_t checked = 0;        // acknowledged records looked up
  size_t lost = 0;           // acknowledged but absent or different at its offset
  size_t duplicated = 0;     // extra copies of a value in the log
  size_t invented = 0;       // values in the log that were never produced
  size_t order = 0;          // per-key sequence not increasing with the offset
  size_t gaps = 0;           // missing offsets below the high watermark
  std::vector<std::string> examples;

  void Example(std::string s) {
    if (examples.size() < 10) examples.push_back(std::move(s));
  }
};

// Reads every partition from the start to its high watermark (queried after
// `acked` was taken) and checks it against `acked` and what the ledger says
// was ever produced.
absl::StatusOr<Verdict> VerifyLog(const std::string& bootstrap,
                                  const std::map<std::pair<int32_t, int64_t>, std::string>& acked,
                                  const Ledger& ledger) {
  auto consumer_or = integration::Consumer::Create(bootstrap, FastReconnect());
  if (!consumer_or.ok()) return consumer_or.status();
  auto& consumer = *consumer_or;
  std::map<int32_t, int64_t> high;
  // Every check rereads the whole log, which grows with the iterations (about
  // 5 million records after 100 of them): allow 10 s more per million acked
  // records, so a long run on a busy machine does not time out on reading.
  const auto deadline = Clock::now() + kVerifyTimeout +
                        milliseconds(int64_t(acked.size()) / 100);
  for (int32_t p = 0; p < kPartitions; ++p) {
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    while (Clock::now() < deadline) {
      e = rd_kafka_query_watermark_offsets(consumer->handle(), kTopic, p, &lo, &hi, 5000);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return absl::UnavailableError(absl::StrCat("watermarks of partition ", p, ": ",
                                                 rd_kafka_err2name(e)));
    high[p] = hi;
    if (hi > 0) {
      absl::Status st = consumer->Assign(kTopic, p, RD_KAFKA_OFFSET_BEGINNING);
      if (!st.ok()) return st;
    }
  }
  std::map<std::pair<int32_t, int64_t>, std::string> log;
  std::map<int32_t, int64_t> reached;
  auto done = [&] {
    for (const auto& [p, hi] : high) {
      if (hi > 0 && reached[p] < hi) return false;
    }
    return true;
  };
  while (!done()) {
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("read back only ", log.size(), " records before the timeout"));
    }
    auto m = consumer->PollOne(milliseconds(200));
    if (!m.ok()) return m.status();
    if (!m->has_value()) continue;
    const integration::Message& msg = **m;
    if (msg.offset >= high[msg.partition]) continue;  // appended after the snapshot
    log[{msg.partition, msg.offset}] = msg.value.value_or("");
    reached[msg.partition] = std::max(reached[msg.partition], msg.offset + 1);
  }

  // Taken after the read: everything in the log was enqueued before this.
  const std::set<std::string> sent = ledger.sent();
  Verdict v;
  for (const auto& [po, value] : acked) {
    ++v.checked;
    auto it = log.find(po);
    if (it == log.end() || it->second != value) {
      ++v.lost;
      v.Example(absl::StrCat("acked ", value, " at ", po.first, "/", po.second, " but the log has ",
                             it == log.end() ? "nothing" : it->second));
    }
  }
  std::map<std::string, int> copies;
  std::map<std::string, std::pair<int64_t, int64_t>> last_seq;  // key -> (seq, offset)
  std::map<int32_t, int64_t> expect_offset;
  for (const auto& [po, value] : log) {
    const auto [p, o] = po;
    if (o != expect_offset[p]) {
      v.gaps += size_t(o - expect_offset[p]);
      v.Example(absl::StrCat("offsets ", expect_offset[p], "..", o - 1, " of partition ", p,
                             " missing"));
    }
    expect_offset[p] = o + 1;
    if (++copies[value] > 1) {
      ++v.duplicated;
      v.Example(absl::StrCat(value, " appears again at ", p, "/", o));
    }
    if (!sent.count(value)) {
      ++v.invented;
      v.Example(absl::StrCat("never produced: '", value, "' at ", p, "/", o));
      continue;
    }
    std::vector<std::string> parts = absl::StrSplit(value, ':');
    int64_t seq = -1;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[2].substr(1), &seq)) continue;
    const std::string key = absl::StrCat(parts[0], parts[1]);
    auto it = last_seq.find(key);
    if (it != last_seq.end() && it->second.first >= seq) {
      ++v.order;
      v.Example(absl::StrCat("key ", key, ": seq ", seq, " at offset ", o, " after seq ",
                             it->second.first, " at offset ", it->second.second));
    }
    last_seq[key] = {seq, o};
  }
  for (const auto& [p, hi] : high) {
    if (expect_offset[p] < hi) v.gaps += size_t(hi - expect_offset[p]);
  }
  return v;
}

// Committed offsets of the group as the broker reports them now.
absl::StatusOr<std::map<int32_t, int64_t>> FetchCommitted(const std::string& bootstrap) {
  integration::Settings s = FastReconnect();
  s["group.id"] = kGroup;
  s["client.id"] = "kill9-commit-checker";
  auto rk = NewHandle(RD_KAFKA_CONSUMER, bootstrap, s);
  if (!rk.ok()) return rk.status();
  const auto deadline = Clock::now() + kVerifyTimeout;
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
  while (Clock::now() < deadline) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
    for (int p = 0; p < kPartitions; ++p) rd_kafka_topic_partition_list_add(list, kTopic, p);
    e = rd_kafka_committed(rk->get(), list, 5000);
    std::map<int32_t, int64_t> out;
    bool ok = e == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; ok && i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        e = list->elems[i].err;
        ok = false;
      }
      out[list->elems[i].partition] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (ok) return out;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return absl::UnavailableError(absl::StrCat("OffsetFetch: ", rd_kafka_err2name(e)));
}

TEST(Kill9Test, AcknowledgedRecordsAndCommitsSurviveRepeatedKill9) {
  const uint64_t seed = SeedFromEnv("KEEL_KILL9_SEED");
  const int iterations = int(IntFromEnv("KEEL_KILL9_ITERATIONS", 8));
  std::printf("kill9 seed: %llu (replay with KEEL_KILL9_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);

  BrokerProcess broker(LoadTestBrokerSettings());
  ASSERT_OK(broker.Start());
  ASSERT_OK(CreateTopics(broker.bootstrap(), {{kTopic, kPartitions}}, kVerifyTimeout));

  Ledger ledger;
  std::atomic<bool> stop_producers{false};
  std::atomic<bool> stop_consumer{false};
  std::atomic<int64_t> consumed{0};
  std::vector<std::thread> producers;
  for (int i = 0; i < kProducers; ++i)
    producers.emplace_back(ProducerLoop, i, broker.bootstrap(), std::ref(ledger),
                           std::cref(stop_producers));
  std::thread consumer(GroupConsumerLoop, broker.bootstrap(), std::ref(ledger),
                       std::cref(stop_consumer), std::ref(consumed));
  AtScopeExit stop_all([&] {
    stop_producers = true;
    for (auto& t : producers)
      if (t.joinable()) t.join();
    stop_consumer = true;
    if (consumer.joinable()) consumer.join();
  });

  Verdict total;
  size_t commit_regressions = 0;
  int done = 0;
  for (; done < iterations; ++done) {
    // Let load build up (and the group settle) before the next kill.
    const auto run_for = milliseconds(300 + int64_t(rng() % 1500));
    std::this_thread::sleep_for(run_for);
    const size_t acked_before = ledger.acked_count();
    ASSERT_OK(broker.Kill());
    const auto commits_before = ledger.commits();
    const auto acked = ledger.acked();
    ASSERT_OK(broker.Start());
    ASSERT_OK_AND_ASSIGN(Verdict v, VerifyLog(broker.bootstrap(), acked, ledger));
    ASSERT_OK_AND_ASSIGN(auto committed, FetchCommitted(broker.bootstrap()));
    for (const auto& [p, c] : commits_before) {
      if (committed[p] < c) {
        ++commit_regressions;
        ADD_FAILURE() << "iteration " << done + 1 << ": partition " << p
                      << " committed offset went back from " << c << " to " << committed[p];
      }
    }
    std::printf("kill9 iteration %d: ran %lld ms, acked %zu at kill, checked %zu, lost %zu, "
                "duplicated %zu, invented %zu, order %zu, gaps %zu, consumed %lld\n",
                done + 1, static_cast<long long>(run_for.count()), acked_before, v.checked,
                v.lost, v.duplicated, v.invented, v.order, v.gaps,
                static_cast<long long>(consumed.load()));
    std::fflush(stdout);
    for (const auto& e : v.examples) ADD_FAILURE() << "iteration " << done + 1 << ": " << e;
    if (v.lost + v.duplicated + v.invented + v.order + v.gaps > 0) {
      total = v;
      ++done;
      break;
    }
  }

  // The clients must make progress on their own after the last restart.
  const size_t acked_after_restarts = ledger.acked_count();
  const int64_t consumed_after_restarts = consumed.load();
  const auto progress_deadline = Clock::now() + kVerifyTimeout;
  while (Clock::now() < progress_deadline &&
         (ledger.acked_count() < acked_after_restarts + 500 ||
          consumed.load() < consumed_after_restarts + 100)) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_GE(ledger.acked_count(), acked_after_restarts + 500)
      << "producers did not resume after the last restart";
  EXPECT_GE(consumed.load(), consumed_after_restarts + 100)
      << "the group consumer did not resume after the last restart";
  stop_all.Run();

  // Final check over everything acknowledged, after every producer flushed.
  ASSERT_OK_AND_ASSIGN(Verdict final_v,
                       VerifyLog(broker.bootstrap(), ledger.acked(), ledger));
  for (const auto& e : final_v.examples) ADD_FAILURE() << "final: " << e;
  const size_t lost = std::max(total.lost, final_v.lost);
  const size_t duplicated = std::max(total.duplicated, final_v.duplicated);
  ReportFigure("kill9", absl::StrCat("kill9 iterations: ", done, " acked: ", ledger.acked_count(),
                                     " lost: ", lost, " duplicated: ", duplicated));
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(duplicated, 0u);
  EXPECT_EQ(std::max(total.invented, final_v.invented), 0u);
  EXPECT_EQ(std::max(total.order, final_v.order), 0u);
  EXPECT_EQ(std::max(total.gaps, final_v.gaps), 0u);
  EXPECT_EQ(commit_regressions, 0u);
  EXPECT_EQ(ledger.conflicting_acks(), 0u) << "two records acknowledged at one offset";
  EXPECT_EQ(ledger.failed(), 0u) << "deliveries failed, last: " << ledger.last_failure();
  for (const auto& f : ledger.fatal()) ADD_FAILURE() << "client: " << f;
  EXPECT_EQ(final_v.checked, ledger.acked_count());
}

}  // namespace
}  // namespace keel::reliability
