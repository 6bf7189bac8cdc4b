// Read-side benchmarks of the partition Log: sequential fetch-style reads
// (Read + copying the slices), single-offset lookups through the sparse
// index, and raw OffsetIndex lookups.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "keel/storage/file_system.h"
#include "keel/storage/log.h"
#include "keel/storage/segment_index.h"
#include "spdlog/spdlog.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

struct FilledLog {
  testutil::TempDir dir;
  std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
  std::shared_ptr<Log> log;
  int64_t end = 0;

  FilledLog(size_t batch_bytes, size_t total_bytes) {
    LogOptions o;
    o.dir = dir.str() + "/bench-0";
    o.topic_partition = TopicPartition{"bench", PartitionId(0)};
    o.config.segment_bytes = 64 << 20;
    o.config.max_message_bytes = 8 << 20;
    o.fs = fs.get();
    log = *Log::Open(std::move(o));
    auto batch = testutil::BuildSimpleBatch(4, batch_bytes / 4, 3);
    for (size_t written = 0; written < total_bytes; written += batch.size()) {
      if (!log->Append(batch).ok()) std::abort();
    }
    (void)log->Flush();
    end = log->high_watermark().value;
  }
};

void BM_ReadSequential(benchmark::State& state) {
  FilledLog f(size_t(state.range(0)), 128 << 20);
  int64_t next = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto r = f.log->Read(Offset(next), 1 << 20, Offset(f.end));
    if (!r.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    auto data = ReadBytes(r->slices);
    benchmark::DoNotOptimize(data->data());
    bytes += data->size();
    next = r->next_offset.value >= f.end ? 0 : r->next_offset.value;
  }
  state.SetBytesProcessed(int64_t(bytes));
}
BENCHMARK(BM_ReadSequential)->Arg(1 << 10)->Arg(16 << 10)->Arg(64 << 10)->Arg(1 << 20)->UseRealTime();

void BM_ReadRandomOffset(benchmark::State& state) {
  FilledLog f(1 << 10, 64 << 20);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto r = f.log->Read(Offset(int64_t(rng() % uint64_t(f.end))), 1, Offset(f.end));
    benchmark::DoNotOptimize(r->first_offset);
  }
}
BENCHMARK(BM_ReadRandomOffset)->UseRealTime();

void BM_OffsetIndexLookup(benchmark::State& state) {
  size_t n = size_t(state.range(0));
  OffsetIndex index(0, n);
  for (size_t i = 0; i < n; ++i) index.Append(int64_t(i) * 10 + 1, uint64_t(i) * 4096 + 1);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Lookup(int64_t(rng() % (n * 10))));
  }
}
BENCHMARK(BM_OffsetIndexLookup)->Arg(1 << 10)->Arg(1 << 17)->Arg(1 << 20);

}  // namespace
}  // namespace keel::storage

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
