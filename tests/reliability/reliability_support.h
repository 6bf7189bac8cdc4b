// Shared helpers of the reliability tests (kill -9, hostile clients, soak):
// seeds and sizes from the environment, readings of a process from /proc, the
// one-line figures each test prints for scripts/reliability-figures.sh, and
// the broker and producer setup the client-load tests share.
//
// Promises:
//  - ReportFigure prints the line on stdout and, when KEEL_FIGURES_DIR is set,
//    appends it to <KEEL_FIGURES_DIR>/<name>.txt (the figures script reads those
//    files after CTest ran the tests).
//  - The /proc readers return -1 when the process or the field is gone; they
//    never throw.
// Thread-safety: every function is safe to call from any thread (no shared
// state besides the files written).
#pragma once

#include <librdkafka/rdkafka.h>
#include <sys/types.h>

#include <chrono>
#include <functional>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker_process.h"
#include "rdkafka_client.h"

namespace keel::reliability {

// The value of environment variable `name` when it holds an integer, else
// `fallback`.
int64_t IntFromEnv(const char* name, int64_t fallback);

// A seed: the integer in environment variable `name` when set, else a fresh
// random one. The caller prints it so that a failure can be replayed.
uint64_t SeedFromEnv(const char* name);

// A field of /proc/<pid>/status measured in KiB ("VmHWM", "VmRSS"), or -1.
int64_t ProcStatusKib(pid_t pid, std::string_view field);

// Number of open file descriptors of `pid` (entries of /proc/<pid>/fd), or -1.
int64_t OpenFdCount(pid_t pid);

// Open descriptors of `pid` by kind: "socket", "file" (paths), "deleted"
// (files unlinked while still open), "other" (pipes, eventfds, anon inodes).
// Empty if unreadable.
std::map<std::string, int64_t> OpenFdKinds(pid_t pid);

// Targets of the descriptors of `pid` that point at deleted files.
std::vector<std::string> DeletedFileFds(pid_t pid);

// Prints `line` (plus a newline) and records it under `name` (see above).
void ReportFigure(const std::string& name, const std::string& line);

// Number of lines of `text` that contain `needle`.
size_t CountLines(std::string_view text, std::string_view needle);

// ---- broker and client setup of the load tests (kill -9, soak) ----

struct TopicSpec {
  std::string name;
  int partitions = 1;
  integration::Settings configs;
};

// Settings of a load test's broker: topics only created explicitly, no
// initial rebalance delay, one __consumer_offsets partition; `extra` added.
integration::BrokerSettings LoadTestBrokerSettings(integration::BrokerSettings extra = {});

// Creates every topic of `topics` on the broker at `bootstrap` and waits
// until its metadata shows all their partitions (at most `timeout` each).
absl::Status CreateTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics,
                          std::chrono::milliseconds timeout);

// An idempotent acks=all producer (linger.ms 5) with `settings` on top,
// reporting deliveries to `on_delivery` and errors to `on_error` (if not
// null), both with `opaque`.
absl::StatusOr<integration::RdKafkaPtr> NewIdempotentProducer(
    const std::string& bootstrap, const integration::Settings& settings,
    void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*),
    void (*on_error)(rd_kafka_t*, int, const char*, void*), void* opaque);

// Runs `fn` when the scope ends: joins a test's client threads on every way
// out of it, ASSERTs included. Run() runs it early (once).
class AtScopeExit {
 public:
  explicit AtScopeExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~AtScopeExit() { Run(); }
  AtScopeExit(const AtScopeExit&) = delete;
  AtScopeExit& operator=(const AtScopeExit&) = delete;
  void Run() {
    if (fn_) std::exchange(fn_, nullptr)();
  }

 private:
  std::function<void()> fn_;
};

}  // namespace keel::reliability
