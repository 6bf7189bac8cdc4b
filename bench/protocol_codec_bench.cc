// Codec throughput for the two hot paths: decoding a Produce request (records
// stay a view into the input) and encoding a Fetch response (records attached
// as external fragments, not copied). Compare ratios within one run.
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "keel/protocol/messages/fetch.h"
#include "keel/protocol/messages/produce.h"
#include "testutil/batch_builder.h"

namespace keel::protocol {
namespace {

constexpr int kTopics = 4;
constexpr int kPartitions = 8;

std::vector<uint8_t> EncodedProduce(int16_t version, const std::vector<uint8_t>& batch) {
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 30000;
  for (int t = 0; t < kTopics; ++t) {
    auto& topic = req.topic_data.emplace_back();
    topic.name = "topic-" + std::to_string(t);
    for (int p = 0; p < kPartitions; ++p) {
      auto& part = topic.partition_data.emplace_back();
      part.index = PartitionId{p};
      part.records = RecordsRef{batch, false};
    }
  }
  Writer w;
  req.Encode(w, version);
  return w.Flatten();
}

FetchResponse MakeFetch(const std::vector<uint8_t>& batch) {
  FetchResponse resp;
  for (int t = 0; t < kTopics; ++t) {
    auto& topic = resp.responses.emplace_back();
    topic.topic = "topic-" + std::to_string(t);
    for (int p = 0; p < kPartitions; ++p) {
      auto& part = topic.partitions.emplace_back();
      part.partition_index = PartitionId{p};
      part.high_watermark = Offset{1000};
      part.last_stable_offset = Offset{1000};
      part.log_start_offset = Offset{0};
      part.records = RecordsRef{batch, false};
    }
  }
  return resp;
}

void BM_ProduceRequestDecode(benchmark::State& state) {
  const int16_t version = int16_t(state.range(0));
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(16, 256);
  std::vector<uint8_t> bytes = EncodedProduce(version, batch);
  for (auto _ : state) {
    Reader r(bytes);
    ProduceRequest req;
    absl::Status s = req.Decode(r, version);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(req.topic_data.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_ProduceRequestDecode)->Arg(8)->Arg(9);

void BM_ProduceRequestEncode(benchmark::State& state) {
  const int16_t version = int16_t(state.range(0));
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(16, 256);
  std::vector<uint8_t> bytes = EncodedProduce(version, batch);
  Reader r(bytes);
  ProduceRequest req;
  if (!req.Decode(r, version).ok()) state.SkipWithError("decode failed");
  for (auto _ : state) {
    Writer w;
    req.Encode(w, version);
    benchmark::DoNotOptimize(w.size());
  }
}
BENCHMARK(BM_ProduceRequestEncode)->Arg(8)->Arg(9);

void BM_FetchResponseEncode(benchmark::State& state) {
  const int16_t version = int16_t(state.range(0));
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(64, 512);
  FetchResponse resp = MakeFetch(batch);
  size_t total = 0;
  for (auto _ : state) {
    Writer w;
    resp.Encode(w, version);
    auto fragments = w.Fragments();
    benchmark::DoNotOptimize(fragments.data());
    total = w.size();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(total));
}
BENCHMARK(BM_FetchResponseEncode)->Arg(11)->Arg(12)->Arg(15);

void BM_FetchResponseDecode(benchmark::State& state) {
  const int16_t version = int16_t(state.range(0));
  std::vector<uint8_t> batch = testutil::BuildSimpleBatch(64, 512);
  Writer w;
  MakeFetch(batch).Encode(w, version);
  std::vector<uint8_t> bytes = w.Flatten();
  for (auto _ : state) {
    Reader r(bytes);
    FetchResponse resp;
    absl::Status s = resp.Decode(r, version);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_FetchResponseDecode)->Arg(11)->Arg(12)->Arg(15);

}  // namespace
}  // namespace keel::protocol

BENCHMARK_MAIN();
