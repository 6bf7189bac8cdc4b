#include "keel/metrics/request_metrics.h"

#include <mutex>

namespace keel::metrics {
namespace {
bool ValidKey(int16_t k) { return k >= 0 && k < RequestMetrics::kApiKeys; }
bool ValidCode(int16_t c) { return c >= -1 && c < RequestMetrics::kErrorCodes - 1; }
size_t ErrorSlot(int16_t k, int16_t c) {
  return size_t(k) * RequestMetrics::kErrorCodes + size_t(c + 1);
}
}  // namespace

RequestMetrics::RequestMetrics(std::function<std::string(int16_t)> api_name)
    : api_name_(std::move(api_name)),
      requests_(std::make_unique<std::array<Counter, kApiKeys>>()),
      errors_(std::make_unique<std::array<Counter, size_t(kApiKeys) * kErrorCodes>>()) {
  for (auto& h : latency_) h = std::make_unique<Histogram>(LatencySecondsBounds());
}

void RequestMetrics::OnRequest(int16_t api_key, double seconds) {
  if (!ValidKey(api_key)) return;
  (*requests_)[size_t(api_key)].Add();
  latency_[size_t(api_key)]->Observe(seconds);
}

void RequestMetrics::OnError(int16_t api_key, int16_t error_code) {
  if (!ValidKey(api_key) || !ValidCode(error_code) || error_code == 0) return;
  (*errors_)[ErrorSlot(api_key, error_code)].Add();
}

uint64_t RequestMetrics::requests(int16_t api_key) const {
  return ValidKey(api_key) ? (*requests_)[size_t(api_key)].value() : 0;
}

uint64_t RequestMetrics::errors(int16_t api_key, int16_t error_code) const {
  if (!ValidKey(api_key) || !ValidCode(error_code)) return 0;
  return (*errors_)[ErrorSlot(api_key, error_code)].value();
}

RequestMetrics::TopicBytes& RequestMetrics::Topic(std::string_view topic) {
  {
    std::shared_lock lock(topics_mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end()) return *it->second;
  }
  std::unique_lock lock(topics_mu_);
  auto& slot = topics_[std::string(topic)];
  if (!slot) slot = std::make_unique<TopicBytes>();
  return *slot;
}

void RequestMetrics::AddBytesIn(std::string_view topic, uint64_t bytes) { Topic(topic).in.Add(bytes); }
void RequestMetrics::AddBytesOut(std::string_view topic, uint64_t bytes) { Topic(topic).out.Add(bytes); }

void RequestMetrics::Collect(ExpositionWriter& w) const {
  w.Family("keel_requests_total", "Kafka requests handled, by API.", MetricType::kCounter);
  for (int16_t k = 0; k < kApiKeys; ++k) {
    uint64_t n = requests(k);
    if (n > 0) w.Sample("keel_requests_total", {{"api", api_name_(k)}}, double(n));
  }
  w.Family("keel_request_errors_total",
           "Kafka responses carrying an error code, by API and error code (each distinct "
           "non-zero code counts once per response).",
           MetricType::kCounter);
  for (int16_t k = 0; k < kApiKeys; ++k) {
    if (requests(k) == 0) continue;
    for (int16_t c = -1; c < kErrorCodes - 1; ++c) {
      uint64_t n = errors(k, c);
      if (n > 0)
        w.Sample("keel_request_errors_total",
                 {{"api", api_name_(k)}, {"error_code", std::to_string(c)}}, double(n));
    }
  }
  w.Family("keel_request_duration_seconds",
           "Time from a decoded request to its encoded response, by API.", MetricType::kHistogram);
  for (int16_t k = 0; k < kApiKeys; ++k) {
    if (requests(k) == 0) continue;
    w.Histogram("keel_request_duration_seconds", {{"api", api_name_(k)}},
                latency_[size_t(k)]->Snapshot());
  }
  std::shared_lock lock(topics_mu_);
  w.Family("keel_topic_bytes_in_total", "Record batch bytes appended by Produce, by topic.",
           MetricType::kCounter);
  for (const auto& [name, t] : topics_)
    w.Sample("keel_topic_bytes_in_total", {{"topic", name}}, double(t->in.value()));
  w.Family("keel_topic_bytes_out_total", "Record batch bytes returned by Fetch, by topic.",
           MetricType::kCounter);
  for (const auto& [name, t] : topics_)
    w.Sample("keel_topic_bytes_out_total", {{"topic", name}}, double(t->out.value()));
}

}  // namespace keel::metrics
