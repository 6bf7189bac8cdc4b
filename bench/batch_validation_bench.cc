// Cost of checking what a producer sent, per uncompressed batch shape
// (records x value bytes; keys "k<i>"), in bytes of batch per second:
//
//   BM_ValidateBatch/<records>/<value>        length, magic, CRC-32C only
//   BM_ValidateRecords/<records>/<value>      + every record's framing, offset
//                                             deltas and timestamps
//   BM_ValidateProduceRecords/<records>/<value>  the broker's Produce check
//                                             (ValidateProduceRecords) over a
//                                             partition payload of 8 batches
//
// Compressed batches (inflate + iterate) are in compression_bench.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "produce_validation.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

std::vector<uint8_t> Batch(const benchmark::State& state) {
  return testutil::BuildSimpleBatch(int(state.range(0)), size_t(state.range(1)), 11);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->Args({1, 1024})->Args({100, 100})->Args({16, 1024})->Args({1000, 100})->Args({64, 16384});
}

void BM_ValidateBatch(benchmark::State& state) {
  std::vector<uint8_t> batch = Batch(state);
  for (auto _ : state) {
    auto header = ValidateBatch(batch);
    if (!header.ok()) state.SkipWithError("invalid batch");
    benchmark::DoNotOptimize(header);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
  state.SetItemsProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ValidateBatch)->Apply(Shapes);

void BM_ValidateRecords(benchmark::State& state) {
  std::vector<uint8_t> batch = Batch(state);
  for (auto _ : state) {
    absl::Status s = ValidateRecords(batch);
    if (!s.ok()) state.SkipWithError("invalid records");
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
  state.SetItemsProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ValidateRecords)->Apply(Shapes);

void BM_ValidateProduceRecords(benchmark::State& state) {
  constexpr int kBatches = 8;
  std::vector<uint8_t> one = Batch(state);
  std::vector<uint8_t> payload;
  for (int i = 0; i < kBatches; ++i) payload.insert(payload.end(), one.begin(), one.end());
  for (auto _ : state) {
    server::ProduceValidation v = server::ValidateProduceRecords(payload, {.max_message_bytes = int64_t(1) << 30});
    if (v.error != protocol::ErrorCode::NONE) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(payload.size()));
  state.SetItemsProcessed(int64_t(state.iterations()) * kBatches * state.range(0));
}
BENCHMARK(BM_ValidateProduceRecords)->Apply(Shapes);

}  // namespace
}  // namespace keel

BENCHMARK_MAIN();
