// CRC-32C throughput, hardware and portable paths, over record-batch sizes.
#include <vector>

#include "benchmark/benchmark.h"
#include "keel/common/crc32c.h"

namespace {

void BM_Crc32cHardware(benchmark::State& state) {
  std::vector<uint8_t> buf(state.range(0), 0xA5);
  for (auto _ : state)
    benchmark::DoNotOptimize(keel::crc32c::ExtendHardware(0, buf.data(), buf.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32cHardware)->Range(1 << 10, 1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
  std::vector<uint8_t> buf(state.range(0), 0xA5);
  for (auto _ : state)
    benchmark::DoNotOptimize(keel::crc32c::ExtendPortable(0, buf.data(), buf.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Range(1 << 10, 1 << 20);

}  // namespace

BENCHMARK_MAIN();
