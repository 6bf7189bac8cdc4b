// Thin RAII helpers over librdkafka's C API for integration tests: create
// producer / consumer / admin handles against a bootstrap address, produce
// with delivery reports, and consume an assigned partition.
//
// Everything returns absl::Status / StatusOr with librdkafka's error text, so a
// failing test names the client-side error precisely. Handles are owned by
// the returned objects and destroyed with them. Not thread-safe: use one
// handle from one thread (librdkafka's own threads are internal).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel::integration {

using Settings = std::map<std::string, std::string>;

// One record as produced or consumed.
struct Message {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  int64_t timestamp = -1;
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
};

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

// Creates a handle of `type` with bootstrap.servers set and `settings` applied.
// Client logs go to stderr (so they appear in the CTest output on failure).
absl::StatusOr<RdKafkaPtr> NewHandle(rd_kafka_type_t type, const std::string& bootstrap,
                                     const Settings& settings);

// A producer that records delivery reports.
class Producer {
 public:
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const std::string& bootstrap,
                                                           Settings settings = {});
  ~Producer();

  // Enqueues one record (partition -1 = partitioner; timestamp 0 = now).
  absl::Status Produce(const Message& m);
  // Flushes and returns the delivery report of every record enqueued since the
  // previous call, in delivery order, or the first delivery error.
  absl::StatusOr<std::vector<Message>> Flush(std::chrono::milliseconds timeout);
  // Produces all of `messages` and waits for every delivery report.
  absl::StatusOr<std::vector<Message>> ProduceAll(const std::vector<Message>& messages,
                                                  std::chrono::milliseconds timeout);
  rd_kafka_t* handle() const { return rk_.get(); }

  struct Reports;

 private:
  Producer() = default;
  RdKafkaPtr rk_;
  std::unique_ptr<Reports> reports_;
  size_t enqueued_ = 0;
};

// A consumer without a group: partitions are assigned explicitly.
class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const std::string& bootstrap,
                                                           Settings settings = {});
  ~Consumer();
  // `offset` may be RD_KAFKA_OFFSET_BEGINNING / _END or an absolute offset.
  absl::Status Assign(const std::string& topic, int32_t partition, int64_t offset);
  // Polls until `count` messages arrived or `timeout` passed. Consumer errors
  // other than partition EOF are returned as a status.
  absl::StatusOr<std::vector<Message>> Consume(size_t count, std::chrono::milliseconds timeout);
  // Polls once; returns nullopt on timeout, a Message, or the error.
  absl::StatusOr<std::optional<Message>> PollOne(std::chrono::milliseconds timeout);
  rd_kafka_t* handle() const { return rk_.get(); }

 private:
  Consumer() = default;
  RdKafkaPtr rk_;  // destroyed after the destructor body released the below
  rd_kafka_queue_t* queue_ = nullptr;
  std::vector<rd_kafka_topic_t*> topics_;
  std::vector<std::pair<rd_kafka_topic_t*, int32_t>> started_;
};

// Topic creation / deletion / description through librdkafka's Admin API.
class Admin {
 public:
  static absl::StatusOr<std::unique_ptr<Admin>> Create(const std::string& bootstrap);
  // Returns the per-topic result code (RD_KAFKA_RESP_ERR_NO_ERROR on success);
  // a request-level failure is returned as a status.
  absl::StatusOr<rd_kafka_resp_err_t> CreateTopic(const std::string& name, int partitions,
                                                  const Settings& configs = {});
  absl::StatusOr<rd_kafka_resp_err_t> DeleteTopic(const std::string& name);
  absl::StatusOr<rd_kafka_resp_err_t> CreatePartitions(const std::string& name, int total);
  // Returns the topic's config entries (name -> value; null values as nullopt).
  absl::StatusOr<std::map<std::string, std::optional<std::string>>> DescribeTopicConfigs(
      const std::string& name);
  // rd_kafka_AlterConfigs on one resource (replaces its overrides). Returns the
  // resource's error code and error string.
  struct ResourceResult {
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string message;
  };
  absl::StatusOr<ResourceResult> AlterConfigs(rd_kafka_ResourceType_t type,
                                              const std::string& name, const Settings& configs,
                                              bool validate_only = false);
  // rd_kafka_DeleteRecords: partition -> offset to delete before (-1 = high
  // watermark). Returns partition -> {error, low watermark}.
  struct DeletedRecords {
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    int64_t low_watermark = -1;
  };
  absl::StatusOr<std::map<int32_t, DeletedRecords>> DeleteRecords(
      const std::string& topic, const std::map<int32_t, int64_t>& before);
  rd_kafka_t* handle() const { return rk_.get(); }

 private:
  Admin() = default;
  RdKafkaPtr rk_;
};

struct TopicInfo {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<int32_t> partition_leaders;  // indexed by partition id
};
struct ClusterInfo {
  std::vector<std::pair<int32_t, std::string>> brokers;  // id, "host:port"
  std::map<std::string, TopicInfo> topics;
};

// Fetches metadata for all topics (`topic` empty) or for one topic, through `rk`.
absl::StatusOr<ClusterInfo> FetchMetadata(rd_kafka_t* rk, const std::string& topic,
                                          std::chrono::milliseconds timeout);

// Polls metadata until `topic` is reported with no error and `partitions`
// partitions that all have a leader, or the timeout passes.
absl::Status WaitForTopic(rd_kafka_t* rk, const std::string& topic, int partitions,
                          std::chrono::milliseconds timeout);

}  // namespace keel::integration
