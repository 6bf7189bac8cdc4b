// keel-mock-peer: librdkafka's in-memory mock cluster as a separate process,
// the "peer" broker that bench/run-e2e.py measures Keel against.
//
//   keel-mock-peer [--topic NAME:PARTITIONS]...
//
// Starts rd_kafka_mock_cluster_new() with one broker, creates the named topics,
// prints one line "BOOTSTRAP <host:port>" on stdout, flushes it, and then
// serves until SIGTERM or SIGINT. Running it as its own process lets the
// caller read the peer's CPU time from /proc/<pid>/stat exactly as it reads
// Keel's.
//
// What the mock of librdkafka 2.0.2 does (the first two seen with keel-loadgen,
// the limits read from the mock's sources and matching what a consumer saw):
// - an admin CreateTopics never completes (the client waits for a controller
//   the mock never names), hence --topic here;
// - an unknown topic is auto-created with 4 partitions on first use;
// - each partition keeps at most 5 MiB or 100000 batches and drops the oldest
//   batches beyond that, so consumers must read data spread over many
//   partitions (see "Benchmarks" in README.md).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace {

int Usage() {
  std::fprintf(stderr, "usage: keel-mock-peer [--topic NAME:PARTITIONS]...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--topic" && i + 1 < argc) {
      std::string spec = argv[++i];
      size_t colon = spec.rfind(':');
      if (colon == std::string::npos || colon == 0) return Usage();
      int parts = std::atoi(spec.c_str() + colon + 1);
      if (parts <= 0) return Usage();
      topics.emplace_back(spec.substr(0, colon), parts);
    } else {
      return Usage();
    }
  }

  // Block the stop signals before librdkafka starts its threads, so that only
  // sigwait() below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The mock cluster needs a host handle; a producer that never produces.
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "keel-mock-peer: rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, 1);
  if (cluster == nullptr) {
    std::fprintf(stderr, "keel-mock-peer: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  for (const auto& [name, parts] : topics) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, name.c_str(), parts, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "keel-mock-peer: topic %s: %s\n", name.c_str(), rd_kafka_err2str(e));
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(rk);
      return 1;
    }
  }
  std::printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
