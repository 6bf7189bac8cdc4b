// keel-loadgen: a librdkafka load generator for Kafka-wire brokers (Keel, or
// the mock peer). See LoadgenUsage() for the options.
//
// Produce: each producer thread owns one rd_kafka_t and a poller thread that
// serves its delivery reports as soon as they arrive (so a paced sender's
// sleep never delays a report). Every message carries its send time
// (CLOCK_MONOTONIC ns) as its opaque; the report's arrival minus that time is
// one latency sample; percentiles are exact over all samples. Throughput is
// acknowledged payload over [common start, last delivery report].
//
// Consume: one consumer starts every partition at its low watermark (the
// partition-queue API: no group, no coordinator) and reads up to the high
// watermarks it saw when it started; throughput is payload over [start, last
// wanted message].
//
// Output: text, or one JSON object with --json. Exit status 1 when nothing was
// acknowledged, when a delivery failed, or when consuming did not finish.
#include <time.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "latency_samples.h"
#include "loadgen_options.h"

namespace keel::bench {
namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SleepUntilNs(int64_t t) {
  timespec ts{time_t(t / 1000000000), long(t % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

bool Set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v, std::string* err) {
  char buf[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), buf, sizeof(buf)) != RD_KAFKA_CONF_OK) {
    *err = k + "=" + v + ": " + buf;
    return false;
  }
  return true;
}

// A client configuration with the common and the -X properties.
rd_kafka_conf_t* BaseConf(const LoadgenOptions& o, std::string* err) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  bool ok = Set(conf, "bootstrap.servers", o.bootstrap, err) && Set(conf, "log_level", "3", err);
  for (const auto& [k, v] : o.extra) ok = ok && Set(conf, k, v, err);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  return conf;
}

// ---------------------------------------------------------------- topic

// Number of partitions of `topic` per the broker's metadata; -1 if unknown.
int PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int n = -1;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      n = md->topics[0].partition_cnt;
      for (int i = 0; i < md->topics[0].partition_cnt; ++i)
        if (md->topics[0].partitions[i].leader < 0) n = -1;  // not ready yet
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return n;
}

// Creates the topic with CreateTopics (an existing topic is fine) and waits
// until metadata shows it with the wanted partition count.
bool EnsureTopic(const LoadgenOptions& o, std::string* err) {
  rd_kafka_conf_t* conf = BaseConf(o, err);
  if (conf == nullptr) return false;
  char buf[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, buf, sizeof(buf));
  if (rk == nullptr) {
    *err = std::string("rd_kafka_new: ") + buf;
    return false;
  }
  std::string create_note;
  if (o.create_topic) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, 1, buf, sizeof(buf));
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, 30000, buf, sizeof(buf));
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 40000);
    if (ev == nullptr) {
      create_note = "CreateTopics: no answer";
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      create_note = std::string("CreateTopics: ") + rd_kafka_event_error_string(ev);
    } else {
      size_t cnt = 0;
      const rd_kafka_topic_result_t** res =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
      for (size_t i = 0; i < cnt; ++i) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
          create_note = std::string("CreateTopics: ") + rd_kafka_err2str(e);
      }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
  }
  // The topic may have been made by other means (the mock peer's --topic);
  // what matters is that it exists with the wanted partition count.
  int n = -1;
  for (int attempt = 0; attempt < 100; ++attempt) {
    n = PartitionCount(rk, o.topic);
    if (n == o.partitions) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rd_kafka_destroy(rk);
  if (n != o.partitions) {
    *err = "topic " + o.topic + " has " + std::to_string(n) + " partitions, wanted " +
           std::to_string(o.partitions) + (create_note.empty() ? "" : " (" + create_note + ")");
    return false;
  }
  if (!create_note.empty()) std::fprintf(stderr, "keel-loadgen: note: %s\n", create_note.c_str());
  return true;
}

// ---------------------------------------------------------------- produce

struct ProducerState {
  LatencySamples latency;               // owned by the poller thread
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> last_report_ns{0};
  std::string first_error;              // written by the poller thread only
  int64_t sent = 0;                     // written by the sender only
  int64_t record_size = 0;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<ProducerState*>(opaque);
  int64_t now = NowNs();
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    st->latency.Add(now - int64_t(reinterpret_cast<intptr_t>(m->_private)));
    st->acked.fetch_add(1, std::memory_order_relaxed);
  } else {
    if (st->failed.fetch_add(1, std::memory_order_relaxed) == 0)
      st->first_error = rd_kafka_err2str(m->err);
  }
  st->last_report_ns.store(now, std::memory_order_release);
}

struct ProduceResult {
  int64_t acked = 0, failed = 0, bytes = 0;
  double seconds = 0;
  LatencySamples latency;
  std::string error;
};

// Runs one producer until its quota or the deadline, then waits for every
// outstanding delivery report (at most 60 s more).
void RunProducer(const LoadgenOptions& o, rd_kafka_t* rk, ProducerState* st,
                 const std::vector<char>* payload, int64_t quota, double rate, int64_t start_ns,
                 int64_t deadline_ns, std::string* err) {
  std::atomic<bool> stop_polling{false};
  std::thread poller([&] {
    while (!stop_polling.load(std::memory_order_acquire)) rd_kafka_poll(rk, 50);
    rd_kafka_poll(rk, 0);
  });
  size_t span = payload->size() - size_t(o.record_size);
  int64_t period = rate > 0 ? int64_t(1e9 / rate) : 0;
  SleepUntilNs(start_ns);
  for (int64_t i = 0; quota <= 0 || i < quota; ++i) {
    if (period > 0) {
      int64_t target = start_ns + i * period;
      if (target >= deadline_ns && quota <= 0) break;
      SleepUntilNs(target);
    }
    int64_t now = NowNs();
    if (quota <= 0 && now >= deadline_ns) break;
    const char* value = payload->data() + (span == 0 ? 0 : (size_t(i) * 4099) % span);
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value), size_t(o.record_size)),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(intptr_t(NowNs()))), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        *err = std::string("produce: ") + rd_kafka_err2str(e);
        quota = i;  // stop sending
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!err->empty()) break;
    ++st->sent;
  }
  int64_t drain_deadline = NowNs() + int64_t(60e9);
  while (st->acked.load() + st->failed.load() < st->sent && NowNs() < drain_deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  stop_polling.store(true, std::memory_order_release);
  poller.join();
  if (st->acked.load() + st->failed.load() < st->sent && err->empty())
    *err = "delivery reports missing after 60 s";
}

bool Produce(const LoadgenOptions& o, ProduceResult* out) {
  // Pseudo-random payload bytes (incompressible), shared by every message.
  std::vector<char> payload(size_t(o.record_size) + (1 << 20));
  std::mt19937_64 rng(42);
  for (auto& c : payload) c = char(rng());

  int n = o.producers;
  std::vector<ProducerState> states(n);
  std::vector<rd_kafka_t*> clients(n, nullptr);
  for (int p = 0; p < n; ++p) {
    std::string err;
    rd_kafka_conf_t* conf = BaseConf(o, &err);
    bool ok = conf != nullptr && Set(conf, "acks", o.acks, &err) &&
              Set(conf, "linger.ms", std::to_string(o.linger_ms), &err) &&
              Set(conf, "compression.type", o.compression, &err) &&
              (o.batch_size == 0 || Set(conf, "batch.size", std::to_string(o.batch_size), &err));
    if (!ok) {
      if (conf) rd_kafka_conf_destroy(conf);
      out->error = err;
      return false;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
    rd_kafka_conf_set_opaque(conf, &states[p]);
    char buf[512];
    clients[p] = rd_kafka_new(RD_KAFKA_PRODUCER, conf, buf, sizeof(buf));
    if (clients[p] == nullptr) {
      out->error = std::string("rd_kafka_new: ") + buf;
      return false;
    }
    // Connect and learn the partitions before the clock starts.
    PartitionCount(clients[p], o.topic);
  }
  int64_t start = NowNs() + 20'000'000;
  int64_t deadline = start + int64_t(o.duration_s * 1e9);
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p) {
    int64_t quota = 0;
    if (o.messages > 0) quota = o.messages / n + (p < o.messages % n ? 1 : 0);
    if (o.messages > 0 && quota == 0) continue;
    threads.emplace_back(RunProducer, std::cref(o), clients[p], &states[p], &payload, quota,
                         o.rate / n, start, deadline, &errors[p]);
  }
  for (auto& t : threads) t.join();
  int64_t end = start;
  for (int p = 0; p < n; ++p) {
    ProducerState& st = states[p];
    out->acked += st.acked.load();
    out->failed += st.failed.load();
    out->latency.Merge(st.latency);
    end = std::max(end, st.last_report_ns.load());
    if (out->error.empty() && !errors[p].empty()) out->error = errors[p];
    if (out->error.empty() && !st.first_error.empty()) out->error = "delivery: " + st.first_error;
    rd_kafka_destroy(clients[p]);
  }
  out->bytes = out->acked * o.record_size;
  out->seconds = double(end - start) / 1e9;
  out->latency.Finish();
  return out->error.empty() && out->acked > 0;
}

// ---------------------------------------------------------------- consume

struct ConsumeResult {
  int64_t messages = 0, bytes = 0, expected = 0;
  double seconds = 0;
  std::string error;
};

bool Consume(const LoadgenOptions& o, ConsumeResult* out) {
  std::string err;
  rd_kafka_conf_t* conf = BaseConf(o, &err);
  if (conf == nullptr) {
    out->error = err;
    return false;
  }
  char buf[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, buf, sizeof(buf));
  if (rk == nullptr) {
    out->error = std::string("rd_kafka_new: ") + buf;
    return false;
  }
  int parts = PartitionCount(rk, o.topic);
  if (parts <= 0) {
    out->error = "topic " + o.topic + " not found";
    rd_kafka_destroy(rk);
    return false;
  }
  std::vector<int64_t> low(parts, 0), high(parts, 0);
  int remaining = 0;
  for (int p = 0; p < parts && out->error.empty(); ++p) {
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), p, &low[p], &high[p], 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) out->error = std::string("watermarks: ") + rd_kafka_err2str(e);
    if (high[p] > low[p]) {
      out->expected += high[p] - low[p];
      ++remaining;
    }
  }
  if (!out->error.empty()) {
    rd_kafka_destroy(rk);
    return false;
  }
  // The partition-queue ("simple") consumer API: no group, no coordinator.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  int64_t start = NowNs(), end = start;
  int64_t deadline = start + int64_t(o.consume_timeout_s * 1e9);
  for (int p = 0; p < parts; ++p)
    if (high[p] > low[p]) rd_kafka_consume_start_queue(rkt, p, low[p], q);
  while (remaining > 0 && NowNs() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consume_queue(q, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      int p = m->partition;
      if (p >= 0 && p < parts && m->offset < high[p]) {
        ++out->messages;
        out->bytes += int64_t(m->len);
        if (m->offset + 1 >= high[p]) {
          --remaining;
          end = NowNs();
        }
      }
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && out->error.empty()) {
      out->error = std::string("consume: ") + rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  out->seconds = double(end - start) / 1e9;
  if (remaining > 0 && out->error.empty())
    out->error = std::to_string(remaining) + " partitions not read to the end";
  for (int p = 0; p < parts; ++p)
    if (high[p] > low[p]) rd_kafka_consume_stop(rkt, p);
  rd_kafka_queue_destroy(q);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return out->error.empty();
}

// ---------------------------------------------------------------- output

double PerSecond(double v, double s) { return s > 0 ? v / s : 0; }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (uint8_t(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\u%04x", c);
      out += b;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void PrintJson(const LoadgenOptions& o, const ProduceResult* p, const ConsumeResult* c) {
  std::printf("{\"topic\": %s, \"partitions\": %d, \"record_size\": %d, \"producers\": %d, "
              "\"acks\": %s, \"linger_ms\": %d, \"batch_size\": %d, \"compression\": %s, "
              "\"rate\": %.1f",
              JsonString(o.topic).c_str(), o.partitions, o.record_size, o.producers,
              JsonString(o.acks).c_str(), o.linger_ms, o.batch_size,
              JsonString(o.compression).c_str(), o.rate);
  if (p != nullptr) {
    const LatencySamples& l = p->latency;
    std::printf(", \"produce\": {\"messages\": %" PRId64 ", \"failed\": %" PRId64
                ", \"bytes\": %" PRId64 ", \"seconds\": %.6f, \"msgs_per_s\": %.1f, "
                "\"mb_per_s\": %.3f, \"latency_us\": {\"samples\": %zu, \"p50\": %.1f, "
                "\"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f, \"mean\": %.1f}, \"error\": %s}",
                p->acked, p->failed, p->bytes, p->seconds, PerSecond(double(p->acked), p->seconds),
                PerSecond(double(p->bytes) / 1e6, p->seconds), l.count(), l.Percentile(50) / 1e3,
                l.Percentile(99) / 1e3, l.Percentile(99.9) / 1e3, l.Max() / 1e3, l.Mean() / 1e3,
                JsonString(p->error).c_str());
  }
  if (c != nullptr) {
    std::printf(", \"consume\": {\"messages\": %" PRId64 ", \"expected\": %" PRId64
                ", \"bytes\": %" PRId64 ", \"seconds\": %.6f, \"msgs_per_s\": %.1f, "
                "\"mb_per_s\": %.3f, \"error\": %s}",
                c->messages, c->expected, c->bytes, c->seconds,
                PerSecond(double(c->messages), c->seconds),
                PerSecond(double(c->bytes) / 1e6, c->seconds), JsonString(c->error).c_str());
  }
  std::printf("}\n");
}

void PrintText(const ProduceResult* p, const ConsumeResult* c) {
  if (p != nullptr) {
    const LatencySamples& l = p->latency;
    std::printf("produce: %" PRId64 " msgs (%" PRId64 " failed) in %.3f s: %.0f msgs/s, %.2f MB/s\n",
                p->acked, p->failed, p->seconds, PerSecond(double(p->acked), p->seconds),
                PerSecond(double(p->bytes) / 1e6, p->seconds));
    std::printf("latency (send -> delivery report, us): p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                l.Percentile(50) / 1e3, l.Percentile(99) / 1e3, l.Percentile(99.9) / 1e3,
                l.Max() / 1e3);
    if (!p->error.empty()) std::printf("produce error: %s\n", p->error.c_str());
  }
  if (c != nullptr) {
    std::printf("consume: %" PRId64 " of %" PRId64 " msgs in %.3f s: %.0f msgs/s, %.2f MB/s\n",
                c->messages, c->expected, c->seconds, PerSecond(double(c->messages), c->seconds),
                PerSecond(double(c->bytes) / 1e6, c->seconds));
    if (!c->error.empty()) std::printf("consume error: %s\n", c->error.c_str());
  }
}

int Main(int argc, char** argv) {
  LoadgenOptions o;
  std::string msg = ParseLoadgenOptions(argc, argv, &o);
  if (msg == LoadgenUsage()) {
    std::fputs(msg.c_str(), stdout);
    return 0;
  }
  if (!msg.empty()) {
    std::fputs(msg.c_str(), stderr);
    return 2;
  }
  std::string err;
  bool create_only = !o.produce && !o.consume;
  if ((o.produce || create_only) && !EnsureTopic(o, &err)) {
    std::fprintf(stderr, "keel-loadgen: %s\n", err.c_str());
    return 1;
  }
  if (create_only) return 0;
  bool ok = true;
  ProduceResult pr;
  ConsumeResult cr;
  if (o.produce) ok = Produce(o, &pr) && ok;
  if (o.consume) ok = Consume(o, &cr) && ok;
  if (o.json) {
    PrintJson(o, o.produce ? &pr : nullptr, o.consume ? &cr : nullptr);
  } else {
    PrintText(o.produce ? &pr : nullptr, o.consume ? &cr : nullptr);
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) { return keel::bench::Main(argc, argv); }
