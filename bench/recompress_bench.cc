// CPU cost of compression.type on a topic: recompressing one 1 MiB batch (1
// KiB JSON-like records) sent uncompressed, or sent with lz4, to each target
// codec at Kafka's default level. Bytes processed are the uncompressed
// record bytes, so the figures are MB/s of produced data one core sustains.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "keel/common/compression.h"
#include "keel/common/recompress.h"
#include "keel/common/record_batch.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

constexpr int kRecords = 1024;
constexpr size_t kValueSize = 1024;

const std::vector<uint8_t>& PlainBatch() {
  static const std::vector<uint8_t> batch = [] {
    static constexpr const char* kWords[] = {"click", "view", "purchase", "login", "logout",
                                             "search", "cart", "checkout", "mobile", "desktop",
                                             "eu-west", "us-east", "premium", "free", "trial"};
    std::mt19937 rng(1);
    std::vector<testutil::TestRecord> records(kRecords);
    for (int i = 0; i < kRecords; ++i) {
      std::string v;
      while (v.size() < kValueSize) {
        v += "{\"user\":\"u" + std::to_string(rng() % 100000) + "\",\"event\":\"" +
             kWords[rng() % 15] + "\",\"segment\":\"" + kWords[rng() % 15] + "\",\"ts\":" +
             std::to_string(1700000000000 + rng() % 1000000) + "}\n";
      }
      v.resize(kValueSize);
      records[i].key = "user-" + std::to_string(i);
      records[i].value = std::move(v);
      records[i].timestamp_delta = i;
    }
    return testutil::BuildBatch(records);
  }();
  return batch;
}

std::vector<uint8_t> SourceBatch(Compression codec) {
  const auto& plain = PlainBatch();
  if (codec == Compression::kNone) return plain;
  auto h = ValidateBatch(plain);
  return *RecompressBatch(plain, *h, codec, DefaultCompressionLevel(codec));
}

void BM_Recompress(benchmark::State& state) {
  const Compression from = Compression(state.range(0));
  const Compression to = Compression(state.range(1));
  const std::vector<uint8_t> src = SourceBatch(from);
  const BatchHeader header = *ValidateBatch(src);
  size_t out_size = 0;
  for (auto _ : state) {
    auto out = RecompressBatch(src, header, to, DefaultCompressionLevel(to));
    if (!out.ok()) {
      state.SkipWithError("recompress failed");
      return;
    }
    out_size = out->size();
    benchmark::DoNotOptimize(out->data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(PlainBatch().size()));
  state.counters["in_bytes"] = double(src.size());
  state.counters["out_bytes"] = double(out_size);
  state.SetLabel(std::string(CompressionName(from)) + "->" + std::string(CompressionName(to)));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int from : {0, 3})
    for (int to : {0, 1, 2, 3, 4})
      if (from != to) b->Args({from, to});
}
BENCHMARK(BM_Recompress)->Apply(Args)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace keel

BENCHMARK_MAIN();
