// Shared fixture pieces for storage tests: a log in a temp dir with a fake
// clock, and batch helpers.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log.h"
#include "storage/counting_file_system.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage::testing {

inline std::vector<uint8_t> BatchAt(int records, int64_t timestamp, size_t value_size = 100,
                                    uint32_t seed = 1) {
  std::vector<keel::testutil::TestRecord> recs;
  for (int i = 0; i < records; ++i) {
    recs.push_back({std::string("k") + std::to_string(i),
                    std::string(value_size, char('a' + (seed + i) % 26)), {}, 0});
  }
  keel::testutil::BatchOptions o;
  o.base_timestamp = timestamp;
  return keel::testutil::BuildBatch(recs, o);
}

// One record for KeyedBatch; nullopt key/value = null.
struct KV {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

inline std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// A batch of keyed records (offset deltas 0..n-1, timestamps = `timestamp`),
// compressed with `codec`; `header` supplies producer fields and attributes.
inline std::vector<uint8_t> KeyedBatch(const std::vector<KV>& records, int64_t timestamp,
                                       Compression codec = Compression::kNone,
                                       BatchHeader header = {}) {
  std::vector<RecordInput> in;
  for (size_t i = 0; i < records.size(); ++i) {
    RecordInput r;
    r.offset_delta = int32_t(i);
    if (records[i].key) r.key = Bytes(*records[i].key);
    if (records[i].value) r.value = Bytes(*records[i].value);
    in.push_back(r);
  }
  header.base_timestamp = timestamp;
  header.max_timestamp = timestamp;
  return BuildRecordBatch(header, in, codec);
}

struct StoredRecord {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
  bool operator==(const StoredRecord&) const = default;
};

// Every record readable below the HW, in order; each batch must validate.
// `headers` (optional) receives every batch header.
inline std::vector<StoredRecord> ReadRecords(Log& log, std::vector<BatchHeader>* headers = nullptr) {
  std::vector<StoredRecord> out;
  auto r = log.Read(log.log_start_offset(), 1 << 30, log.high_watermark());
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return out;
  auto bytes = ReadBytes(r->slices);
  EXPECT_TRUE(bytes.ok());
  std::span<const uint8_t> rest(*bytes);
  while (!rest.empty()) {
    auto size = NextBatchSize(rest);
    EXPECT_TRUE(size.ok() && *size > 0);
    if (!size.ok() || *size == 0) break;
    auto batch = rest.subspan(0, *size);
    auto h = ValidateBatch(batch);
    EXPECT_TRUE(h.ok()) << h.status();
    if (!h.ok()) break;
    if (headers) headers->push_back(*h);
    auto s = ForEachRecord(batch, [&](const RecordView& v) {
      StoredRecord rec{h->base_offset + v.offset_delta, std::nullopt, std::nullopt};
      if (v.key) rec.key.emplace(reinterpret_cast<const char*>(v.key->data()), v.key->size());
      if (v.value) rec.value.emplace(reinterpret_cast<const char*>(v.value->data()), v.value->size());
      out.push_back(std::move(rec));
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    rest = rest.subspan(*size);
  }
  return out;
}

class LogFixture {
 public:
  LogFixture() : posix_(NewPosixFileSystem()), fs_(posix_.get()) {}

  std::string dir() const { return JoinPath(tmp_.str(), "topic-0"); }

  absl::StatusOr<std::shared_ptr<Log>> OpenLog(LogConfig config = {},
                                               std::shared_ptr<Flusher> flusher = nullptr) {
    LogOptions o;
    o.dir = dir();
    o.topic_partition = TopicPartition{"topic", PartitionId(0)};
    o.config = config;
    o.fs = &fs_;
    o.clock_ms = [this] { return now_ms.load(); };
    o.flusher = std::move(flusher);
    o.on_high_watermark = [this](const TopicPartition&, Offset hw) { last_hw_seen = hw.value; };
    return Log::Open(std::move(o));
  }

  // Appends and returns the stored (patched) bytes.
  std::vector<uint8_t> AppendOk(Log& log, std::vector<uint8_t> batch) {
    auto r = log.Append(batch);
    EXPECT_TRUE(r.ok()) << r.status();
    return batch;
  }

  absl::StatusOr<AppendResult> AppendTemp(Log& log, std::vector<uint8_t> batch) {
    return log.Append(batch);
  }

  std::vector<uint8_t> ReadAll(Log& log) {
    auto r = log.Read(log.log_start_offset(), 1 << 30, log.high_watermark());
    EXPECT_TRUE(r.ok()) << r.status();
    auto bytes = ReadBytes(r->slices);
    EXPECT_TRUE(bytes.ok());
    return *bytes;
  }

  keel::testutil::TempDir tmp_;
  std::unique_ptr<FileSystem> posix_;
  CountingFileSystem fs_;
  std::atomic<int64_t> now_ms{1700000000000};
  std::atomic<int64_t> last_hw_seen{-1};
};

}  // namespace keel::storage::testing
