// Helper process for the crash test: appends batches to a Log with
// fsync-before-ack from several threads and, after each batch is durable,
// writes one line "<base offset> <records> <value size> <seed>\n" to stdout
// (one write(2) of < PIPE_BUF bytes, so lines never interleave). Runs until
// killed.
//
// Usage: crash_appender <partition dir> <seed> <preallocate 0|1>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "keel/storage/file_system.h"
#include "keel/storage/flusher.h"
#include "keel/storage/log.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "testutil/batch_builder.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <dir> <seed> <preallocate>\n", argv[0]);
    return 2;
  }
  // stdout carries the acknowledgements; logs go to stderr.
  auto logger = spdlog::stderr_logger_mt("storage");
  auto fs = keel::storage::NewPosixFileSystem();
  auto flusher = std::make_shared<keel::storage::Flusher>();
  flusher->Start();
  keel::storage::LogOptions o;
  o.dir = argv[1];
  o.topic_partition = keel::TopicPartition{"crash", keel::PartitionId(0)};
  o.config.segment_bytes = 64 * 1024;
  o.config.index_interval_bytes = 1024;
  if (std::atoi(argv[3]) != 0) o.config.preallocate_bytes = 64 * 1024;
  o.fs = fs.get();
  o.flusher = flusher;
  auto log = keel::storage::Log::Open(std::move(o));
  if (!log.ok()) {
    std::fprintf(stderr, "open failed: %s\n", log.status().ToString().c_str());
    return 1;
  }
  uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 7 + uint64_t(t));
      for (uint64_t i = 0;; ++i) {
        int records = 1 + int(rng() % 5);
        size_t value_size = size_t(rng() % 3000);
        uint32_t batch_seed = uint32_t(rng());
        auto batch = keel::testutil::BuildSimpleBatch(records, value_size, batch_seed);
        auto r = (*log)->Append(batch);
        if (!r.ok()) {
          std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
          std::_Exit(1);
        }
        std::promise<absl::Status> p;
        (*log)->WaitDurable(r->last_offset, [&p](absl::Status s) { p.set_value(s); });
        absl::Status s = p.get_future().get();
        if (!s.ok()) std::_Exit(1);
        std::string line = std::to_string(r->base_offset.value) + " " + std::to_string(records) + " " +
                           std::to_string(value_size) + " " + std::to_string(batch_seed) + "\n";
        if (::write(1, line.data(), line.size()) != ssize_t(line.size())) std::_Exit(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
