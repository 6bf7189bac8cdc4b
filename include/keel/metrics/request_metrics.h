// Per-API request counters, error counters and latency histograms, and byte
// counters per topic: the metrics updated on the request path.
//
// Hot-path cost: OnRequest/OnError are relaxed atomic adds into arrays indexed
// by API key (and error code); no lock. Topic byte counters take a shared
// (reader) lock to find the topic's counters and a unique lock only the first
// time a topic is seen.
// Thread-safety: all methods are thread-safe. Owned by the app; handlers reach
// it through BrokerContext.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "keel/metrics/exposition.h"
#include "keel/metrics/histogram.h"

namespace keel::metrics {

class RequestMetrics {
 public:
  static constexpr int kApiKeys = 128;      // api keys 0..127 are tracked
  static constexpr int kErrorCodes = 160;   // error codes -1..158 are tracked

  // `api_name` names an API key for the `api` label (e.g. "Produce").
  explicit RequestMetrics(std::function<std::string(int16_t)> api_name);
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // One request of `api_key` answered (or failed) after `seconds`.
  void OnRequest(int16_t api_key, double seconds);
  // A response of `api_key` carried `error_code` (non-zero).
  void OnError(int16_t api_key, int16_t error_code);
  // Record bytes appended to / returned from `topic`.
  void AddBytesIn(std::string_view topic, uint64_t bytes);
  void AddBytesOut(std::string_view topic, uint64_t bytes);

  uint64_t requests(int16_t api_key) const;
  uint64_t errors(int16_t api_key, int16_t error_code) const;

  // Writes keel_requests_total, keel_request_errors_total,
  // keel_request_duration_seconds, keel_topic_bytes_in_total and
  // keel_topic_bytes_out_total.
  void Collect(ExpositionWriter& w) const;

 private:
  struct TopicBytes {
    Counter in;
    Counter out;
  };
  TopicBytes& Topic(std::string_view topic);

  std::function<std::string(int16_t)> api_name_;
  std::unique_ptr<std::array<Counter, kApiKeys>> requests_;
  std::unique_ptr<std::array<Counter, size_t(kApiKeys) * kErrorCodes>> errors_;
  std::array<std::unique_ptr<Histogram>, kApiKeys> latency_;
  mutable std::shared_mutex topics_mu_;
  std::map<std::string, std::unique_ptr<TopicBytes>, std::less<>> topics_;
};

}  // namespace keel::metrics
