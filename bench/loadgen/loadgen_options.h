// Command line of keel-loadgen: what to produce/consume, against which broker,
// with which librdkafka settings. ParseLoadgenOptions never exits; it returns
// an error message (or the usage text when --help is given) instead.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace keel::bench {

struct LoadgenOptions {
  std::string bootstrap;           // --bootstrap host:port (required)
  bool produce = true;             // --mode produce|consume|both|create
  bool consume = false;            // (create: only make the topic, then exit)
  std::string topic = "keel-bench";
  int partitions = 1;              // --partitions: wanted partition count
  bool create_topic = true;        // --no-create-topic skips the admin call
  int record_size = 100;           // payload bytes per record (no key)
  int producers = 1;               // threads, one rd_kafka_t each
  std::string acks = "all";        // all | 1 | 0
  int linger_ms = 5;
  int batch_size = 0;              // batch.size in bytes; 0 = client default
  std::string compression = "none";
  double rate = 0;                 // total msgs/s over all producers; 0 = max
  double duration_s = 10;          // produce duration, unless messages > 0
  int64_t messages = 0;            // total messages to produce (0 = duration)
  double consume_timeout_s = 60;   // give up consuming after this long
  std::vector<std::pair<std::string, std::string>> extra;  // -X key=value
  bool json = false;
};

// Returns "" on success; otherwise the error (or usage) text to print.
std::string ParseLoadgenOptions(int argc, char** argv, LoadgenOptions* out);

std::string LoadgenUsage();

}  // namespace keel::bench
