#include "rdkafka_client.h"

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"

namespace keel::integration {
namespace {

using Clock = std::chrono::steady_clock;

int Ms(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

absl::Status RdError(const std::string& what, rd_kafka_resp_err_t err) {
  return absl::UnknownError(
      absl::StrCat(what, ": ", rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")"));
}

std::optional<std::string> Bytes(const void* p, size_t n) {
  if (p == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(p), n);
}

Message FromRd(const rd_kafka_message_t* m) {
  Message out;
  if (m->rkt != nullptr) out.topic = rd_kafka_topic_name(m->rkt);
  out.partition = m->partition;
  out.offset = m->offset;
  out.key = Bytes(m->key, m->key_len);
  out.value = Bytes(m->payload, m->len);
  out.timestamp = rd_kafka_message_timestamp(m, &out.timestamp_type);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* val = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      out.headers.emplace_back(name, Bytes(val, size));
    }
  }
  return out;
}

absl::StatusOr<rd_kafka_conf_t*> NewConf(const std::string& bootstrap, const Settings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  Settings all = {{"bootstrap.servers", bootstrap}, {"client.id", "keel-integration"}};
  if (const char* dbg = std::getenv("KEEL_RDKAFKA_DEBUG"); dbg != nullptr && *dbg) {
    all["debug"] = dbg;
  }
  for (const auto& [k, v] : settings) all[k] = v;
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("config ", k, "=", v, ": ", err));
    }
  }
  return conf;
}

absl::StatusOr<RdKafkaPtr> NewFromConf(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", err));
  }
  return RdKafkaPtr(rk);
}

}  // namespace

void RdKafkaDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }

absl::StatusOr<RdKafkaPtr> NewHandle(rd_kafka_type_t type, const std::string& bootstrap,
                                     const Settings& settings) {
  auto conf = NewConf(bootstrap, settings);
  if (!conf.ok()) return conf.status();
  return NewFromConf(type, *conf);
}

// ---------------------------------------------------------------- Producer

struct Producer::Reports {
  std::vector<Message> delivered;
  absl::Status first_error;
  size_t done = 0;
};

namespace {
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* r = static_cast<Producer::Reports*>(opaque);
  ++r->done;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (r->first_error.ok()) r->first_error = RdError("delivery failed", m->err);
    return;
  }
  r->delivered.push_back(FromRd(m));
}
}  // namespace

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const std::string& bootstrap,
                                                            Settings settings) {
  settings.emplace("acks", "all");
  auto conf = NewConf(bootstrap, settings);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<Producer> p(new Producer());
  p->reports_ = std::make_unique<Reports>();
  rd_kafka_conf_set_dr_msg_cb(*conf, OnDelivery);
  rd_kafka_conf_set_opaque(*conf, p->reports_.get());
  auto rk = NewFromConf(RD_KAFKA_PRODUCER, *conf);
  if (!rk.ok()) return rk.status();
  p->rk_ = std::move(*rk);
  return p;
}

Producer::~Producer() {
  if (rk_) rd_kafka_flush(rk_.get(), 5000);
}

absl::Status Producer::Produce(const Message& m) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!m.headers.empty()) {
    hdrs = rd_kafka_headers_new(m.headers.size());
    for (const auto& [name, val] : m.headers) {
      rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()),
                          val ? val->data() : nullptr, val ? static_cast<ssize_t>(val->size()) : 0);
    }
  }
  // The RD_KAFKA_V_* macros cast their arguments textually: pass plain values.
  const char* key = m.key ? m.key->data() : nullptr;
  const size_t key_len = m.key ? m.key->size() : 0;
  char* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
  const size_t value_len = m.value ? m.value->size() : 0;
  const int64_t timestamp = m.timestamp > 0 ? m.timestamp : 0;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 50);
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);
      return RdError("produce", err);
    }
    ++enqueued_;
    rd_kafka_poll(rk_.get(), 0);
    return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<Message>> Producer::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (reports_->done < enqueued_ && Clock::now() < deadline) {
    rd_kafka_flush(rk_.get(), 100);
  }
  if (reports_->done < enqueued_) {
    return absl::DeadlineExceededError(absl::StrCat(
        "only ", reports_->done, " of ", enqueued_, " delivery reports within the timeout; ",
        "first error: ", reports_->first_error.ToString()));
  }
  absl::Status err = reports_->first_error;
  std::vector<Message> out = std::move(reports_->delivered);
  *reports_ = Reports();
  enqueued_ = 0;
  if (!err.ok()) return err;
  return out;
}

absl::StatusOr<std::vector<Message>> Producer::ProduceAll(const std::vector<Message>& messages,
                                                          std::chrono::milliseconds timeout) {
  for (const Message& m : messages) {
    absl::Status st = Produce(m);
    if (!st.ok()) return st;
  }
  return Flush(timeout);
}

// ---------------------------------------------------------------- Consumer

// The legacy (group-less) consumer API: rd_kafka_consume_start_queue() on
// explicit partitions, so no group coordinator is needed.
absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const std::string& bootstrap,
                                                            Settings settings) {
  auto rk = NewHandle(RD_KAFKA_CONSUMER, bootstrap, settings);
  if (!rk.ok()) return rk.status();
  std::unique_ptr<Consumer> c(new Consumer());
  c->rk_ = std::move(*rk);
  return c;
}

Consumer::~Consumer() {
  for (auto& [rkt, p] : started_) rd_kafka_consume_stop(rkt, p);
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  for (rd_kafka_topic_t* rkt : topics_) rd_kafka_topic_destroy(rkt);
}

absl::Status Consumer::Assign(const std::string& topic, int32_t partition, int64_t offset) {
  if (queue_ == nullptr) queue_ = rd_kafka_queue_new(rk_.get());
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
  if (rkt == nullptr) return RdError("topic_new", rd_kafka_last_error());
  topics_.push_back(rkt);
  if (rd_kafka_consume_start_queue(rkt, partition, offset, queue_) != 0) {
    return RdError("consume_start", rd_kafka_last_error());
  }
  started_.emplace_back(rkt, partition);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Message>> Consumer::PollOne(std::chrono::milliseconds timeout) {
  if (queue_ == nullptr) return absl::FailedPreconditionError("nothing assigned");
  rd_kafka_message_t* m = rd_kafka_consume_queue(queue_, Ms(timeout));
  if (m == nullptr) return std::optional<Message>();
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    absl::Status st = RdError(
        absl::StrCat("consume error on partition ", m->partition, " at offset ", m->offset, " (",
                     rd_kafka_message_errstr(m), ")"),
        m->err);
    rd_kafka_message_destroy(m);
    return st;
  }
  Message out = FromRd(m);
  rd_kafka_message_destroy(m);
  return std::optional<Message>(std::move(out));
}

absl::StatusOr<std::vector<Message>> Consumer::Consume(size_t count,
                                                       std::chrono::milliseconds timeout) {
  std::vector<Message> out;
  const auto deadline = Clock::now() + timeout;
  while (out.size() < count && Clock::now() < deadline) {
    auto m = PollOne(std::chrono::milliseconds(200));
    if (!m.ok()) return m.status();
    if (m->has_value()) out.push_back(std::move(**m));
  }
  if (out.size() < count) {
    return absl::DeadlineExceededError(
        absl::StrCat("consumed ", out.size(), " of ", count, " messages before the timeout"));
  }
  return out;
}

// ---------------------------------------------------------------- Admin

absl::StatusOr<std::unique_ptr<Admin>> Admin::Create(const std::string& bootstrap) {
  auto rk = NewHandle(RD_KAFKA_PRODUCER, bootstrap, {});
  if (!rk.ok()) return rk.status();
  std::unique_ptr<Admin> a(new Admin());
  a->rk_ = std::move(*rk);
  return a;
}

namespace {

constexpr int kAdminTimeoutMs = 15000;

struct Queue {
  explicit Queue(rd_kafka_t* rk) : q(rd_kafka_queue_new(rk)) {}
  ~Queue() { rd_kafka_queue_destroy(q); }
  rd_kafka_queue_t* q;
};

rd_kafka_AdminOptions_t* Options(rd_kafka_t* rk, rd_kafka_admin_op_t op) {
  rd_kafka_AdminOptions_t* o = rd_kafka_AdminOptions_new(rk, op);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(o, kAdminTimeoutMs, err, sizeof err);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    rd_kafka_AdminOptions_set_operation_timeout(o, 10000, err, sizeof err);
  }
  return o;
}

// Waits for the admin result event; returns it (caller destroys) or an error.
absl::StatusOr<rd_kafka_event_t*> AwaitResult(Queue& q, const char* what) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q.q, kAdminTimeoutMs + 5000);
  if (ev == nullptr) return absl::DeadlineExceededError(absl::StrCat(what, ": no result"));
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    absl::Status st = absl::UnknownError(absl::StrCat(
        what, " request failed: ", rd_kafka_err2name(rd_kafka_event_error(ev)), " (",
        rd_kafka_event_error_string(ev), ")"));
    rd_kafka_event_destroy(ev);
    return st;
  }
  return ev;
}

absl::StatusOr<rd_kafka_resp_err_t> SingleTopicResult(const rd_kafka_topic_result_t** res,
                                                      size_t cnt, const std::string& name,
                                                      const char* what) {
  if (cnt != 1) return absl::DataLossError(absl::StrCat(what, ": ", cnt, " topic results"));
  if (name != rd_kafka_topic_result_name(res[0])) {
    return absl::DataLossError(
        absl::StrCat(what, ": result for unexpected topic ", rd_kafka_topic_result_name(res[0])));
  }
  return rd_kafka_topic_result_error(res[0]);
}

}  // namespace

absl::StatusOr<rd_kafka_resp_err_t> Admin::CreateTopic(const std::string& name, int partitions,
                                                       const Settings& configs) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
  if (nt == nullptr) return absl::InvalidArgumentError(err);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_CreateTopics(rk_.get(), &nt, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_NewTopic_destroy(nt);
  auto ev = AwaitResult(q, "CreateTopics");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(*ev), &cnt);
  auto r = SingleTopicResult(res, cnt, name, "CreateTopics");
  rd_kafka_event_destroy(*ev);
  return r;
}

absl::StatusOr<rd_kafka_resp_err_t> Admin::DeleteTopic(const std::string& name) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS);
  rd_kafka_DeleteTopics(rk_.get(), &dt, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_DeleteTopic_destroy(dt);
  auto ev = AwaitResult(q, "DeleteTopics");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(*ev), &cnt);
  auto r = SingleTopicResult(res, cnt, name, "DeleteTopics");
  rd_kafka_event_destroy(*ev);
  return r;
}

absl::StatusOr<rd_kafka_resp_err_t> Admin::CreatePartitions(const std::string& name, int total) {
  char err[512];
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(name.c_str(), total, err, sizeof err);
  if (np == nullptr) return absl::InvalidArgumentError(err);
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
  rd_kafka_CreatePartitions(rk_.get(), &np, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_NewPartitions_destroy(np);
  auto ev = AwaitResult(q, "CreatePartitions");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(*ev), &cnt);
  auto r = SingleTopicResult(res, cnt, name, "CreatePartitions");
  rd_kafka_event_destroy(*ev);
  return r;
}

absl::StatusOr<std::map<std::string, std::optional<std::string>>> Admin::DescribeTopicConfigs(
    const std::string& name) {
  rd_kafka_ConfigResource_t* cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_DescribeConfigs(rk_.get(), &cr, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_ConfigResource_destroy(cr);
  auto ev = AwaitResult(q, "DescribeConfigs");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_ConfigResource_t** res = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(*ev), &cnt);
  absl::StatusOr<std::map<std::string, std::optional<std::string>>> out;
  if (cnt != 1) {
    out = absl::DataLossError(absl::StrCat("DescribeConfigs: ", cnt, " resources in result"));
  } else if (rd_kafka_ConfigResource_error(res[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* text = rd_kafka_ConfigResource_error_string(res[0]);
    out = RdError(absl::StrCat("DescribeConfigs resource error (", text ? text : "", ")"),
                  rd_kafka_ConfigResource_error(res[0]));
  } else {
    std::map<std::string, std::optional<std::string>> m;
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(res[0], &n);
    for (size_t i = 0; i < n; ++i) {
      const char* v = rd_kafka_ConfigEntry_value(entries[i]);
      m[rd_kafka_ConfigEntry_name(entries[i])] =
          v ? std::optional<std::string>(v) : std::nullopt;
    }
    out = std::move(m);
  }
  rd_kafka_event_destroy(*ev);
  return out;
}

absl::StatusOr<Admin::ResourceResult> Admin::AlterConfigs(rd_kafka_ResourceType_t type,
                                                          const std::string& name,
                                                          const Settings& configs,
                                                          bool validate_only) {
  rd_kafka_ConfigResource_t* cr = rd_kafka_ConfigResource_new(type, name.c_str());
  for (const auto& [k, v] : configs) rd_kafka_ConfigResource_set_config(cr, k.c_str(), v.c_str());
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
  if (validate_only) {
    char err[256];
    rd_kafka_AdminOptions_set_validate_only(o, 1, err, sizeof err);
  }
  rd_kafka_AlterConfigs(rk_.get(), &cr, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_ConfigResource_destroy(cr);
  auto ev = AwaitResult(q, "AlterConfigs");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_ConfigResource_t** res =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(*ev), &cnt);
  absl::StatusOr<ResourceResult> out;
  if (cnt != 1) {
    out = absl::DataLossError(absl::StrCat("AlterConfigs: ", cnt, " resources in result"));
  } else {
    const char* text = rd_kafka_ConfigResource_error_string(res[0]);
    out = ResourceResult{rd_kafka_ConfigResource_error(res[0]), text ? text : ""};
  }
  rd_kafka_event_destroy(*ev);
  return out;
}

absl::StatusOr<std::map<int32_t, Admin::DeletedRecords>> Admin::DeleteRecords(
    const std::string& topic, const std::map<int32_t, int64_t>& before) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(before.size()));
  for (const auto& [p, offset] : before)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = offset;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(list);
  rd_kafka_topic_partition_list_destroy(list);
  Queue q(rk_.get());
  rd_kafka_AdminOptions_t* o = Options(rk_.get(), RD_KAFKA_ADMIN_OP_DELETERECORDS);
  char err[256];
  rd_kafka_AdminOptions_set_operation_timeout(o, 10000, err, sizeof err);
  rd_kafka_DeleteRecords(rk_.get(), &del, 1, o, q.q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_DeleteRecords_destroy(del);
  auto ev = AwaitResult(q, "DeleteRecords");
  if (!ev.ok()) return ev.status();
  const rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(*ev));
  std::map<int32_t, DeletedRecords> out;
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    out[tp.partition] = DeletedRecords{tp.err, tp.offset};
  }
  rd_kafka_event_destroy(*ev);
  return out;
}

// ---------------------------------------------------------------- Metadata

absl::StatusOr<ClusterInfo> FetchMetadata(rd_kafka_t* rk, const std::string& topic,
                                          std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = nullptr;
  if (!topic.empty()) rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, topic.empty() ? 1 : 0, rkt, &md, Ms(timeout));
  if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return RdError("metadata request", err);
  ClusterInfo info;
  for (int i = 0; i < md->broker_cnt; ++i) {
    info.brokers.emplace_back(md->brokers[i].id, absl::StrCat(md->brokers[i].host, ":",
                                                              md->brokers[i].port));
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    TopicInfo ti;
    ti.error = t.err;
    ti.partition_leaders.assign(t.partition_cnt, -2);
    for (int p = 0; p < t.partition_cnt; ++p) {
      const int32_t id = t.partitions[p].id;
      if (id >= 0 && id < t.partition_cnt) ti.partition_leaders[id] = t.partitions[p].leader;
    }
    info.topics[t.topic] = std::move(ti);
  }
  rd_kafka_metadata_destroy(md);
  return info;
}

absl::Status WaitForTopic(rd_kafka_t* rk, const std::string& topic, int partitions,
                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  absl::Status last = absl::DeadlineExceededError("no metadata attempt");
  while (Clock::now() < deadline) {
    auto md = FetchMetadata(rk, topic, std::chrono::milliseconds(5000));
    if (!md.ok()) {
      last = md.status();
    } else if (auto it = md->topics.find(topic); it == md->topics.end()) {
      last = absl::NotFoundError(absl::StrCat("topic ", topic, " absent from metadata"));
    } else if (it->second.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      last = RdError(absl::StrCat("topic ", topic, " metadata error"), it->second.error);
    } else if (static_cast<int>(it->second.partition_leaders.size()) != partitions) {
      last = absl::FailedPreconditionError(absl::StrCat(
          "topic ", topic, " has ", it->second.partition_leaders.size(), " partitions, want ",
          partitions));
    } else {
      bool all_led = true;
      for (int32_t leader : it->second.partition_leaders) all_led &= leader >= 0;
      if (all_led) return absl::OkStatus();
      last = absl::UnavailableError(absl::StrCat("topic ", topic, " has leaderless partitions"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("waiting for topic: ", last.ToString()));
}

}  // namespace keel::integration
