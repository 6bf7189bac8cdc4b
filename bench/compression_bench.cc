// Throughput of the record-batch codecs: decompress + iterate every record of
// a 64 KiB batch of 1 KiB records (what produce validation and compaction
// pay), plus decompress alone and compress alone, per codec. Bytes processed
// are uncompressed record bytes, so the codecs compare directly.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "keel/common/compression.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "testutil/batch_builder.h"

namespace keel {
namespace {

constexpr int kRecords = 64;
constexpr size_t kValueSize = 1024;

// A 64 KiB batch of 1 KiB records, uncompressed. Values are JSON-like event
// text drawn from a small vocabulary (deterministic), so every codec finds
// both repeats and skewed byte frequencies, as with typical payloads.
std::string EventValue(std::mt19937& rng) {
  static constexpr const char* kWords[] = {"click", "view", "purchase", "login", "logout",
                                           "search", "cart", "checkout", "mobile", "desktop",
                                           "eu-west", "us-east", "premium", "free", "trial"};
  std::string v;
  while (v.size() < kValueSize) {
    v += "{\"user\":\"u" + std::to_string(rng() % 100000) + "\",\"event\":\"" +
         kWords[rng() % 15] + "\",\"segment\":\"" + kWords[rng() % 15] + "\",\"ts\":" +
         std::to_string(1700000000000 + rng() % 1000000) + "}\n";
  }
  v.resize(kValueSize);
  return v;
}

const std::vector<uint8_t>& PlainBatch() {
  static const std::vector<uint8_t> batch = [] {
    std::mt19937 rng(1);
    std::vector<testutil::TestRecord> records(kRecords);
    for (int i = 0; i < kRecords; ++i) {
      records[i].key = "user-" + std::to_string(i);
      records[i].value = EventValue(rng);
      records[i].timestamp_delta = i;
    }
    return testutil::BuildBatch(records);
  }();
  return batch;
}

std::vector<uint8_t> BatchWith(Compression codec) {
  const std::vector<uint8_t>& plain = PlainBatch();
  std::vector<RecordInput> records;
  std::vector<std::vector<uint8_t>> keys, values;  // owners of the spans
  keys.reserve(kRecords);
  values.reserve(kRecords);
  absl::Status s = ForEachRecord(plain, [&](const RecordView& r) {
    keys.emplace_back(r.key->begin(), r.key->end());
    values.emplace_back(r.value->begin(), r.value->end());
    RecordInput in;
    in.offset_delta = r.offset_delta;
    in.timestamp_delta = r.timestamp_delta;
    in.key = std::span<const uint8_t>(keys.back());
    in.value = std::span<const uint8_t>(values.back());
    records.push_back(in);
    return absl::OkStatus();
  });
  if (!s.ok()) std::abort();
  BatchHeader t = *ParseBatchHeader(plain);
  return BuildRecordBatch(t, records, codec);
}

size_t RecordBytes() { return PlainBatch().size() - kBatchHeaderSize; }

void BM_DecompressAndIterate(benchmark::State& state) {
  const Compression codec = Compression(state.range(0));
  const std::vector<uint8_t> batch = BatchWith(codec);
  state.SetLabel(std::string(CompressionName(codec)));
  for (auto _ : state) {
    size_t value_bytes = 0;
    absl::Status s = ForEachRecord(batch, [&](const RecordView& r) {
      value_bytes += r.value->size();
      return absl::OkStatus();
    });
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(value_bytes);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(RecordBytes()));
  state.counters["batch_bytes"] = double(batch.size());
  state.counters["ratio"] = double(RecordBytes()) / double(batch.size() - kBatchHeaderSize);
}

void BM_Decompress(benchmark::State& state) {
  const Compression codec = Compression(state.range(0));
  const std::vector<uint8_t> batch = BatchWith(codec);
  const std::span<const uint8_t> compressed = std::span(batch).subspan(kBatchHeaderSize);
  state.SetLabel(std::string(CompressionName(codec)));
  for (auto _ : state) {
    auto out = Decompress(codec, compressed, size_t{1} << 20);
    if (!out.ok()) state.SkipWithError(out.status().ToString().c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(RecordBytes()));
}

void BM_Compress(benchmark::State& state) {
  const Compression codec = Compression(state.range(0));
  const std::span<const uint8_t> records = std::span(PlainBatch()).subspan(kBatchHeaderSize);
  state.SetLabel(std::string(CompressionName(codec)));
  for (auto _ : state) {
    auto out = Compress(codec, records);
    if (!out.ok()) state.SkipWithError(out.status().ToString().c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(RecordBytes()));
}

void AllCodecs(benchmark::internal::Benchmark* b) {
  for (int c = 0; c <= int(Compression::kZstd); ++c) b->Arg(c);
}

BENCHMARK(BM_DecompressAndIterate)->Apply(AllCodecs);
BENCHMARK(BM_Decompress)->Apply(AllCodecs);
BENCHMARK(BM_Compress)->Apply(AllCodecs);

}  // namespace
}  // namespace keel

BENCHMARK_MAIN();
