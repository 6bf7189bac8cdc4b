#include "reliability_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::reliability {

int64_t IntFromEnv(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  int64_t out = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &out)) return fallback;
  return out;
}

uint64_t SeedFromEnv(const char* name) {
  const char* v = std::getenv(name);
  uint64_t out = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &out)) return out;
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd();
}

int64_t ProcStatusKib(pid_t pid, std::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  const std::string prefix = absl::StrCat(std::string(field), ":");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string digits;
    for (char c : line.substr(prefix.size())) {
      if (c >= '0' && c <= '9') digits += c;
    }
    int64_t v = -1;
    return absl::SimpleAtoi(digits, &v) ? v : -1;
  }
  return -1;
}

int64_t OpenFdCount(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  if (ec) return -1;
  int64_t n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  return n;
}

std::map<std::string, int64_t> OpenFdKinds(pid_t pid) {
  std::map<std::string, int64_t> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    if (ec) {
      ec.clear();
      continue;
    }
    if (target.rfind("socket:", 0) == 0) {
      ++out["socket"];
    } else if (!target.empty() && target[0] == '/') {
      constexpr std::string_view kDeleted = " (deleted)";
      const bool deleted = target.size() > kDeleted.size() &&
                           target.compare(target.size() - kDeleted.size(), kDeleted.size(),
                                          kDeleted) == 0;
      ++out[deleted ? "deleted" : "file"];
    } else {
      ++out["other"];
    }
  }
  return out;
}

std::vector<std::string> DeletedFileFds(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    if (ec) {
      ec.clear();
      continue;
    }
    if (target.size() > 10 && target.compare(target.size() - 10, 10, " (deleted)") == 0)
      out.push_back(target);
  }
  return out;
}

void ReportFigure(const std::string& name, const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  const char* dir = std::getenv("KEEL_FIGURES_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(absl::StrCat(dir, "/", name, ".txt"), std::ios::app);
  out << line << "\n";
}

size_t CountLines(std::string_view text, std::string_view needle) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(pos, end - pos).find(needle) != std::string_view::npos) ++n;
    pos = end + 1;
  }
  return n;
}

integration::BrokerSettings LoadTestBrokerSettings(integration::BrokerSettings extra) {
  integration::BrokerSettings out = {{"auto.create.topics.enable", "false"},
                                     {"group.initial.rebalance.delay.ms", "0"},
                                     {"offsets.topic.num.partitions", "1"}};
  for (auto& [k, v] : extra) out[k] = std::move(v);
  return out;
}

absl::Status CreateTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics,
                          std::chrono::milliseconds timeout) {
  auto admin = integration::Admin::Create(bootstrap);
  if (!admin.ok()) return admin.status();
  for (const TopicSpec& t : topics) {
    auto err = (*admin)->CreateTopic(t.name, t.partitions, t.configs);
    if (!err.ok()) return err.status();
    if (*err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError(
          absl::StrCat("CreateTopics ", t.name, ": ", rd_kafka_err2name(*err)));
    }
  }
  for (const TopicSpec& t : topics) {
    absl::Status st = integration::WaitForTopic((*admin)->handle(), t.name, t.partitions, timeout);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<integration::RdKafkaPtr> NewIdempotentProducer(
    const std::string& bootstrap, const integration::Settings& settings,
    void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*),
    void (*on_error)(rd_kafka_t*, int, const char*, void*), void* opaque) {
  integration::Settings all = {{"enable.idempotence", "true"}, {"acks", "all"},
                               {"linger.ms", "5"}};
  for (const auto& [k, v] : settings) all[k] = v;
  all["bootstrap.servers"] = bootstrap;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("producer config ", k, ": ", err));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  if (on_error != nullptr) rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", err));
  }
  return integration::RdKafkaPtr(rk);
}

}  // namespace keel::reliability
