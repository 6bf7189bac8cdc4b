// Append throughput of the partition Log, next to the raw ceiling of the same
// disk: plain write() + fdatasync() of the same sizes in the same directory.
//
//   BM_RawWriteFdatasync/<bytes>     write + fdatasync per buffer
//   BM_AppendDurable/<bytes>         Log::Append + WaitDurable (one producer)
//   BM_AppendDurablePrealloc/<bytes> same, segments preallocated with fallocate
//   BM_AppendDurableWindow8/<bytes>  8 appends in flight, then wait (group commit)
//   BM_AppendNoFsync/<bytes>         Log::Append only (page cache)
//
// After the run a table prints append MB/s / raw MB/s per size, measured in
// this run (compare ratios, never absolute numbers across machines).
#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "keel/storage/file_system.h"
#include "keel/storage/flusher.h"
#include "keel/storage/log.h"
#include "spdlog/spdlog.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

std::vector<uint8_t> BatchOfSize(size_t bytes) {
  // One record; the value fills the batch to about `bytes`.
  size_t overhead = 61 + 20;
  return testutil::BuildSimpleBatch(1, bytes > overhead ? bytes - overhead : 1, 7);
}

void BM_RawWriteFdatasync(benchmark::State& state) {
  testutil::TempDir dir;
  std::vector<uint8_t> buf(size_t(state.range(0)), 0x5a);
  int fd = ::open((dir.str() + "/raw").c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  uint64_t written = 0;
  for (auto _ : state) {
    if (::write(fd, buf.data(), buf.size()) != ssize_t(buf.size())) state.SkipWithError("write failed");
    if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync failed");
    written += buf.size();
    if (written > (256u << 20)) {  // keep the file bounded
      ::ftruncate(fd, 0);
      ::lseek(fd, 0, SEEK_SET);
      written = 0;
    }
  }
  ::close(fd);
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

struct BenchLog {
  testutil::TempDir dir;
  std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
  std::shared_ptr<Flusher> flusher = std::make_shared<Flusher>();
  std::shared_ptr<Log> log;

  explicit BenchLog(bool with_flusher, int64_t preallocate = 0) {
    if (with_flusher) flusher->Start();
    LogOptions o;
    o.dir = dir.str() + "/bench-0";
    o.topic_partition = TopicPartition{"bench", PartitionId(0)};
    o.config.segment_bytes = 256 << 20;
    o.config.preallocate_bytes = preallocate;
    o.config.retention_bytes = 0;
    o.fs = fs.get();
    if (with_flusher) o.flusher = flusher;
    log = *Log::Open(std::move(o));
  }
  ~BenchLog() { flusher->Stop(); }
  // Keeps disk use bounded: drop closed segments.
  void Trim() {
    if (log->segment_count() > 2) (void)log->ApplyRetention(0);
  }
};

class Waiter {
 public:
  void Arm(int n) {
    std::lock_guard<std::mutex> l(m_);
    pending_ = n;
  }
  absl::AnyInvocable<void(absl::Status)> Done() {
    return [this](absl::Status s) {
      std::lock_guard<std::mutex> l(m_);
      if (!s.ok()) failed_ = true;
      if (--pending_ == 0) cv_.notify_one();
    };
  }
  bool Wait() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return pending_ == 0; });
    return !failed_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int pending_ = 0;
  bool failed_ = false;
};

void DurableAppends(benchmark::State& state, int64_t preallocate, int window) {
  BenchLog b(true, preallocate);
  auto batch = BatchOfSize(size_t(state.range(0)));
  Waiter waiter;
  for (auto _ : state) {
    waiter.Arm(window);
    for (int i = 0; i < window; ++i) {
      auto r = b.log->Append(batch);
      if (!r.ok()) {
        state.SkipWithError("append failed");
        return;
      }
      b.log->WaitDurable(r->last_offset, waiter.Done());
    }
    if (!waiter.Wait()) state.SkipWithError("fsync failed");
    b.Trim();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * window * int64_t(batch.size()));
}

void BM_AppendDurable(benchmark::State& state) { DurableAppends(state, 0, 1); }
void BM_AppendDurablePrealloc(benchmark::State& state) { DurableAppends(state, 256 << 20, 1); }
void BM_AppendDurableWindow8(benchmark::State& state) { DurableAppends(state, 0, 8); }

void BM_AppendNoFsync(benchmark::State& state) {
  BenchLog b(false);
  auto batch = BatchOfSize(size_t(state.range(0)));
  for (auto _ : state) {
    auto r = b.log->Append(batch);
    if (!r.ok()) state.SkipWithError("append failed");
    if (b.log->size_bytes() > (512u << 20)) {
      state.PauseTiming();
      (void)b.log->Flush();
      b.Trim();
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
}

#define KEEL_SIZES ->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)
BENCHMARK(BM_RawWriteFdatasync) KEEL_SIZES->MinTime(0.5)->UseRealTime();
BENCHMARK(BM_AppendDurable) KEEL_SIZES->MinTime(0.5)->UseRealTime();
BENCHMARK(BM_AppendDurablePrealloc) KEEL_SIZES->MinTime(0.5)->UseRealTime();
BENCHMARK(BM_AppendDurableWindow8) KEEL_SIZES->MinTime(0.5)->UseRealTime();
BENCHMARK(BM_AppendNoFsync) KEEL_SIZES->MinTime(0.5)->UseRealTime();

// Prints the usual console output and remembers bytes/s per (name, size).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      std::string name = r.benchmark_name();
      size_t slash = name.find('/');
      if (slash == std::string::npos) continue;
      std::string base = name.substr(0, slash);
      long size = std::stol(name.substr(slash + 1, name.find('/', slash + 1) - slash - 1));
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) rates_[size][base] = double(it->second);
    }
  }
  void PrintRatios() const {
    std::printf("\nappend MB/s / raw write+fdatasync MB/s (same run, same directory)\n");
    std::printf("%10s %10s %10s %10s %10s %10s %10s\n", "bytes", "raw MB/s", "durable", "prealloc",
                "window8", "nofsync", "ratio(d)");
    for (const auto& [size, m] : rates_) {
      auto get = [&](const char* k) {
        auto it = m.find(k);
        return it == m.end() ? 0.0 : it->second / 1e6;
      };
      double raw = get("BM_RawWriteFdatasync");
      std::printf("%10ld %10.1f %10.1f %10.1f %10.1f %10.1f %9.2f  prealloc %.2f  window8 %.2f\n",
                  size, raw, get("BM_AppendDurable"), get("BM_AppendDurablePrealloc"),
                  get("BM_AppendDurableWindow8"), get("BM_AppendNoFsync"),
                  raw > 0 ? get("BM_AppendDurable") / raw : 0.0,
                  raw > 0 ? get("BM_AppendDurablePrealloc") / raw : 0.0,
                  raw > 0 ? get("BM_AppendDurableWindow8") / raw : 0.0);
    }
  }

 private:
  std::map<long, std::map<std::string, double>> rates_;
};

}  // namespace
}  // namespace keel::storage

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  keel::storage::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
