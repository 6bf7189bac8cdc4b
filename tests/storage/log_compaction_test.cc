// Log::Compact: newest value per key, tombstones, batch fields, codecs,
// the active segment, lag, leftovers of interrupted swaps, and the cleaner's
// scheduling (CompactionState / LogCleaner).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "keel/common/compression.h"
#include "keel/storage/compactor.h"
#include "keel/storage/format.h"
#include "keel/storage/log.h"
#include "keel/storage/log_cleaner.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::KeyedBatch;
using testing::KV;
using testing::ReadRecords;
using testing::StoredRecord;
namespace fs = std::filesystem;

LogConfig CompactConfig() {
  LogConfig c;
  c.cleanup_compact = true;
  c.cleanup_delete = false;
  c.segment_bytes = 4096;
  c.index_interval_bytes = 256;
  c.delete_retention_ms = 1000;
  return c;
}

class LogCompactionTest : public ::testing::Test, public testing::LogFixture {
 protected:
  // Appends one single-record batch per update, then rolls and flushes so
  // every update is in a closed segment below the HW.
  std::map<std::string, StoredRecord> AppendUpdates(Log& log, int count, int keys,
                                                    const std::string& tag = "v") {
    std::map<std::string, StoredRecord> newest;
    for (int i = 0; i < count; ++i) {
      std::string key = "key-" + std::to_string(i % keys);
      std::string value = tag + std::to_string(i) + std::string(40, 'x');
      auto r = log.Append(*Mutable(KeyedBatch({{key, value}}, now_ms)));
      EXPECT_TRUE(r.ok()) << r.status();
      newest[key] = StoredRecord{r->base_offset.value, key, value};
    }
    EXPECT_TRUE(log.Roll().ok());
    EXPECT_TRUE(log.Flush().ok());
    return newest;
  }

  std::vector<uint8_t>* Mutable(std::vector<uint8_t> b) {
    scratch_ = std::move(b);
    return &scratch_;
  }

  static std::vector<StoredRecord> Values(const std::map<std::string, StoredRecord>& m) {
    std::vector<StoredRecord> out;
    for (const auto& [k, r] : m) out.push_back(r);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
    return out;
  }

  std::vector<uint8_t> scratch_;
};

TEST_F(LogCompactionTest, ManyUpdatesToFewKeysShrinkToTheNewestPerKey) {
  auto log = *OpenLog(CompactConfig());
  auto newest = AppendUpdates(*log, 1000, 10);
  ASSERT_GT(log->segment_count(), 10u);
  uint64_t before = log->size_bytes();
  const int64_t end = log->log_end_offset().value;

  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_TRUE(stats->ran);
  EXPECT_EQ(stats->records_removed, 990);
  EXPECT_EQ(ReadRecords(*log), Values(newest));
  EXPECT_LT(log->size_bytes(), before / 20);
  EXPECT_EQ(log->log_end_offset().value, end);  // offsets never change
  EXPECT_EQ(log->clean_offset().value, end);

  // New appends continue after the old end, and the result survives reopen.
  auto more = AppendUpdates(*log, 5, 10, "w");
  for (auto& [k, r] : more) newest[k] = r;
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  auto reopened = *OpenLog(CompactConfig());
  EXPECT_EQ(reopened->clean_offset().value, end);
  std::map<std::string, StoredRecord> seen;
  for (const auto& r : ReadRecords(*reopened)) seen[*r.key] = r;
  EXPECT_EQ(Values(seen), Values(newest));
}

TEST_F(LogCompactionTest, SecondRoundOnlyScansTheNewDirtyPart) {
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 300, 5);
  ASSERT_TRUE(log->Compact({}).ok());
  // Nothing dirty and no tombstones: nothing to do.
  auto idle = log->Compact({});
  ASSERT_TRUE(idle.ok());
  EXPECT_FALSE(idle->ran);
  auto newest = AppendUpdates(*log, 300, 5, "second");
  auto again = log->Compact({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->ran);
  EXPECT_EQ(again->records_removed, 300);  // the 5 old survivors + 295 new
  EXPECT_EQ(ReadRecords(*log), Values(newest));
}

TEST_F(LogCompactionTest, TombstonesStayForDeleteRetentionThenGo) {
  auto log = *OpenLog(CompactConfig());
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"a", "1"}, {"b", "1"}}, now_ms))).ok());
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"a", std::nullopt}}, now_ms))).ok());
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());

  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_EQ(ReadRecords(*log),
            (std::vector<StoredRecord>{{1, "b", "1"}, {2, "a", std::nullopt}}));
  EXPECT_FALSE(log->CompactionState(now_ms).tombstones_due);

  now_ms += 1000;  // delete.retention.ms after the tombstone's timestamp
  EXPECT_TRUE(log->CompactionState(now_ms).tombstones_due);
  EXPECT_TRUE(log->CompactionState(now_ms).due());
  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->ran);
  EXPECT_EQ(ReadRecords(*log), (std::vector<StoredRecord>{{1, "b", "1"}}));
  EXPECT_FALSE(log->CompactionState(now_ms).tombstones_due);

  // The tombstone expiry survives a restart.
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"b", std::nullopt}}, now_ms))).ok());
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Compact({}).ok());
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  auto reopened = *OpenLog(CompactConfig());
  EXPECT_FALSE(reopened->CompactionState(now_ms).tombstones_due);
  EXPECT_TRUE(reopened->CompactionState(now_ms + 1000).tombstones_due);
}

TEST_F(LogCompactionTest, TheActiveSegmentIsNeverCleaned) {
  auto log = *OpenLog(CompactConfig());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"same", std::to_string(i)}}, now_ms))).ok());
  }
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_EQ(log->segment_count(), 1u);
  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->ran);
  EXPECT_EQ(ReadRecords(*log).size(), 20u);
}

TEST_F(LogCompactionTest, SegmentsAboveTheHighWatermarkOrYoungerThanTheLagWait) {
  LogConfig config = CompactConfig();
  config.min_compaction_lag_ms = 60000;
  auto log = *OpenLog(config);
  AppendUpdates(*log, 200, 3);
  auto young = log->Compact({});
  ASSERT_TRUE(young.ok());
  EXPECT_FALSE(young->ran);
  now_ms += 60001;
  auto old = log->Compact({});
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->ran);
  EXPECT_EQ(ReadRecords(*log).size(), 3u);
}

TEST_F(LogCompactionTest, KeylessRecordsAreDroppedAndOnlyCompactTopicsAreCleaned) {
  LogConfig config = CompactConfig();
  config.cleanup_compact = false;
  config.cleanup_delete = true;
  auto log = *OpenLog(config);
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{std::nullopt, "x"}, {"k", "1"}}, now_ms))).ok());
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"k", "2"}}, now_ms))).ok());
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());
  auto skipped = log->Compact({});
  ASSERT_TRUE(skipped.ok());
  EXPECT_FALSE(skipped->ran);
  EXPECT_FALSE(log->CompactionState(now_ms).due());

  config.cleanup_compact = true;  // compact,delete
  log->UpdateConfig(config);
  EXPECT_TRUE(log->CompactionState(now_ms).due());
  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_EQ(ReadRecords(*log), (std::vector<StoredRecord>{{2, "k", "2"}}));
}

TEST_F(LogCompactionTest, BatchFieldsAreKeptAndIdempotentProducersKeepTheirLastBatch) {
  auto log = *OpenLog(CompactConfig());
  BatchHeader idem;
  idem.producer_id = 7;
  idem.producer_epoch = 3;
  idem.base_sequence = 0;
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"a", "1"}, {"b", "1"}}, now_ms, Compression::kNone, idem)), 5).ok());
  idem.base_sequence = 2;
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"a", "2"}, {"b", "2"}, {"c", "2"}}, now_ms, Compression::kNone, idem)), 5).ok());
  // A plain producer overwrites every key the idempotent one wrote.
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"a", "3"}, {"b", "3"}, {"c", "3"}}, now_ms))).ok());
  // A transaction marker (control batch) is kept whole.
  BatchHeader control;
  control.producer_id = 9;
  control.producer_epoch = 0;
  control.attributes = batch_attr::kControl | batch_attr::kTransactional;
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{std::string("\0\0\0\1", 4), std::string("\0\0\0\0\0\0", 6)}}, now_ms, Compression::kNone, control))).ok());
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());

  ASSERT_TRUE(log->Compact({}).ok());
  std::vector<BatchHeader> headers;
  auto records = ReadRecords(*log, &headers);
  ASSERT_EQ(headers.size(), 3u);
  // The first idempotent batch is gone; the second stays as an empty batch
  // keeping its offsets, sequence range, epoch and leader epoch.
  EXPECT_EQ(headers[0].base_offset, 2);
  EXPECT_EQ(headers[0].records_count, 0);
  EXPECT_EQ(headers[0].last_offset_delta, 2);
  EXPECT_EQ(headers[0].producer_id, 7);
  EXPECT_EQ(headers[0].producer_epoch, 3);
  EXPECT_EQ(headers[0].base_sequence, 2);
  EXPECT_EQ(headers[0].partition_leader_epoch, 5);
  EXPECT_EQ(headers[1].base_offset, 5);
  EXPECT_EQ(headers[1].records_count, 3);
  EXPECT_TRUE(headers[2].is_control());
  EXPECT_EQ(headers[2].producer_id, 9);
  EXPECT_EQ(records.size(), 4u);  // a3 b3 c3 + the marker's record
}

TEST_F(LogCompactionTest, ReadsAndTimestampLookupsWorkAcrossGaps) {
  auto log = *OpenLog(CompactConfig());
  for (int i = 0; i < 100; ++i) {
    std::string key = i % 10 == 9 ? "keep-" + std::to_string(i) : "churn";
    ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{key, std::string(100, 'v')}}, now_ms + i))).ok());
  }
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Compact({}).ok());
  // Offsets 9, 19, ..., 99 ("keep-*") and 98 (the newest "churn") survive.
  auto r = log->Read(Offset(10), 1 << 20, log->high_watermark());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_offset.value, 19);
  auto t = log->FindOffsetByTimestamp(now_ms + 50);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->offset, 59);
}

class CodecCompactionTest : public LogCompactionTest,
                            public ::testing::WithParamInterface<Compression> {};

TEST_P(CodecCompactionTest, CompressedBatchesAreRecompressedWithTheirCodec) {
  auto log = *OpenLog(CompactConfig());
  std::map<std::string, std::string> newest;
  for (int round = 0; round < 30; ++round) {
    std::vector<KV> recs;
    for (int k = 0; k < 4; ++k) {
      std::string key = "k" + std::to_string((round + k) % 6);
      std::string value = "r" + std::to_string(round) + "-" + std::string(200, char('a' + k));
      recs.push_back({key, value});
      newest[key] = value;
    }
    ASSERT_TRUE(log->Append(*Mutable(KeyedBatch(recs, now_ms, GetParam()))).ok());
  }
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Compact({}).ok());
  std::vector<BatchHeader> headers;
  auto records = ReadRecords(*log, &headers);
  std::map<std::string, std::string> seen;
  for (const auto& r : records) seen[*r.key] = *r.value;
  EXPECT_EQ(seen, newest);
  EXPECT_EQ(records.size(), newest.size());
  for (const auto& h : headers) {
    EXPECT_EQ(h.compression(), GetParam());
    EXPECT_EQ(h.last_offset_delta, 3);  // kept even if the tail records went
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecCompactionTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kSnappy, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST_F(LogCompactionTest, UncommittedCleanedFileIsDiscardedOnOpen) {
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 200, 4);
  auto before = ReadRecords(*log);
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  // A crash after writing a cleaned file but before its rename to .swap.
  std::ofstream(fs::path(dir()) / SegmentFileName(0, kCleanedSuffix)) << "half written";
  auto reopened = *OpenLog(CompactConfig());
  EXPECT_FALSE(fs::exists(fs::path(dir()) / SegmentFileName(0, kCleanedSuffix)));
  EXPECT_EQ(ReadRecords(*reopened), before);
}

TEST_F(LogCompactionTest, CommittedSwapIsCompletedOnOpen) {
  // Build the "after" state in one log, copy its first cleaned segment as a
  // swap file into a copy of the "before" state, and open that.
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 200, 4);
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  fs::path before_dir = fs::path(tmp_.str()) / "before";
  fs::copy(dir(), before_dir, fs::copy_options::recursive);
  {
    auto compacting = *OpenLog(CompactConfig());
    LogConfig big = CompactConfig();
    big.segment_bytes = 1 << 20;  // one group: every closed segment
    compacting->UpdateConfig(big);
    ASSERT_TRUE(compacting->Compact({}).ok());
    ASSERT_TRUE(compacting->Close().ok());
  }
  std::vector<int64_t> before_bases;
  for (const auto& e : fs::directory_iterator(before_dir)) {
    if (auto b = ParseSegmentFileName(e.path().filename().string(), kLogSuffix)) before_bases.push_back(*b);
  }
  std::sort(before_bases.begin(), before_bases.end());
  ASSERT_GT(before_bases.size(), 3u);
  const int64_t swap_end = before_bases.back();  // the active segment is not in the group
  fs::copy_file(fs::path(dir()) / SegmentFileName(0, kLogSuffix), before_dir / SwapFileName(0, swap_end));
  fs::remove_all(dir());
  fs::rename(before_dir, dir());

  auto recovered = *OpenLog(CompactConfig());
  EXPECT_EQ(recovered->segment_count(), 2u);  // the swapped-in group + the active segment
  for (const auto& e : fs::directory_iterator(dir())) {
    EXPECT_FALSE(e.path().string().ends_with(".swap")) << e.path();
  }
  auto records = ReadRecords(*recovered);
  EXPECT_EQ(records.size(), 4u);
}

TEST_F(LogCompactionTest, CompactionStartsAtTheLogStartOffset) {
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 400, 4);
  ASSERT_TRUE(log->DeleteRecordsBefore(Offset(200)).ok());
  ASSERT_TRUE(log->Compact({}).ok());
  for (const auto& r : ReadRecords(*log)) EXPECT_GE(r.offset, 200);
  EXPECT_EQ(ReadRecords(*log).size(), 4u);
}

TEST_F(LogCompactionTest, SegmentsRemovedDuringARoundAbortItCleanly) {
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 400, 4);
  // The first fdatasync of the round is the cleaned file's: delete every
  // closed segment right then, as retention or DeleteRecords could.
  bool fired = false;
  fs_.before_data_sync = [&] {
    if (fired) return;
    fired = true;
    ASSERT_TRUE(log->DeleteRecordsBefore(Offset(-1)).ok());
  };
  auto r = log->Compact({});
  fs_.before_data_sync = nullptr;
  ASSERT_TRUE(fired);
  EXPECT_TRUE(absl::IsAborted(r.status())) << r.status();
  EXPECT_FALSE(log->offline());
  for (const auto& e : fs::directory_iterator(dir())) {
    EXPECT_FALSE(e.path().string().ends_with(".cleaned")) << e.path();
    EXPECT_FALSE(e.path().string().ends_with(".swap")) << e.path();
  }
  EXPECT_TRUE(ReadRecords(*log).empty());
  EXPECT_TRUE(log->Append(*Mutable(KeyedBatch({{"k", "after"}}, now_ms))).ok());
}

TEST_F(LogCompactionTest, TheCleanerCompactsTheDirtiestDueLogs) {
  auto log = *OpenLog(CompactConfig());
  AppendUpdates(*log, 500, 5);
  LogCleanerOptions o;
  o.clock_ms = [this] { return now_ms.load(); };
  o.list_logs = [&] { return std::vector<std::shared_ptr<Log>>{log}; };
  LogCleaner cleaner(o);
  auto pass = cleaner.RunPass();
  EXPECT_EQ(pass.logs_compacted, 1);
  EXPECT_EQ(pass.records_removed, 495);
  EXPECT_GT(pass.bytes_reclaimed, 0u);
  // Below min.cleanable.dirty.ratio: a few new updates are not worth a round.
  LogConfig lazy = CompactConfig();
  lazy.min_cleanable_dirty_ratio = 0.99;
  log->UpdateConfig(lazy);
  AppendUpdates(*log, 3, 5);
  EXPECT_FALSE(log->CompactionState(now_ms).due());
  EXPECT_EQ(cleaner.RunPass().logs_compacted, 0);
}

// Transactional data: committed batches compact like others, aborted ones go
// whole, markers go after a delete horizon, open transactions wait.
class TxnCompactionTest : public LogCompactionTest {
 protected:
  // One transactional batch of `pid`, sequences counted per producer.
  AppendResult Txn(Log& log, int64_t pid, const std::vector<KV>& kvs) {
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = 0;
    h.base_sequence = next_seq_[pid];
    h.attributes = batch_attr::kTransactional;
    next_seq_[pid] += int32_t(kvs.size());
    auto r = log.Append(*Mutable(KeyedBatch(kvs, now_ms, Compression::kNone, h)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AppendResult{};
  }
  int64_t End(Log& log, int64_t pid, ControlType type) {
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = 0;
    h.attributes = batch_attr::kTransactional | batch_attr::kControl;
    std::string key("\0\0\0", 3);
    key.push_back(char(type));
    auto r = log.Append(*Mutable(KeyedBatch({{key, std::string(6, '\0')}}, now_ms, Compression::kNone, h)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->base_offset.value : -1;
  }
  void Plain(Log& log, const std::string& key, const std::string& value) {
    ASSERT_TRUE(log.Append(*Mutable(KeyedBatch({{key, value}}, now_ms))).ok());
  }
  void Seal(Log& log) {
    ASSERT_TRUE(log.Roll().ok());
    ASSERT_TRUE(log.Flush().ok());
  }

  // What a read_committed consumer sees, as a client computes it: batches
  // below the LSO; a producer listed in the fetch's aborted transactions is
  // skipped from the entry's first offset until its ABORT marker. Returns
  // key -> newest value (tombstones erase).
  static std::map<std::string, std::string> ReadCommitted(Log& log) {
    std::map<std::string, std::string> view;
    const Offset lso = log.last_stable_offset();
    auto r = log.Read(log.log_start_offset(), 1 << 30, lso);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return view;
    std::vector<AbortedTxn> aborted = log.AbortedTransactions(log.log_start_offset(), lso);
    std::sort(aborted.begin(), aborted.end(),
              [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
    size_t next_aborted = 0;
    std::set<int64_t> skipping;
    auto bytes = *ReadBytes(r->slices);
    std::span<const uint8_t> rest(bytes);
    while (!rest.empty()) {
      size_t size = *NextBatchSize(rest);
      auto batch = rest.subspan(0, size);
      rest = rest.subspan(size);
      auto h = *ValidateBatch(batch);
      while (next_aborted < aborted.size() && aborted[next_aborted].first_offset <= h.last_offset()) {
        skipping.insert(aborted[next_aborted++].producer_id);
      }
      if (h.is_control()) {
        if (ParseControlType(batch) == ControlType::kAbort) skipping.erase(h.producer_id);
        continue;
      }
      if (h.is_transactional() && skipping.contains(h.producer_id)) continue;
      EXPECT_TRUE(ForEachRecord(batch, [&](const RecordView& v) {
                    std::string key(reinterpret_cast<const char*>(v.key->data()), v.key->size());
                    if (v.value) {
                      view[key].assign(reinterpret_cast<const char*>(v.value->data()), v.value->size());
                    } else {
                      view.erase(key);
                    }
                    return absl::OkStatus();
                  }).ok());
    }
    return view;
  }

  static std::vector<std::pair<int64_t, int64_t>> AbortMarkers(Log& log) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const AbortedTxn& a : log.AbortedTransactions(Offset(0), Offset(1 << 30))) {
      out.emplace_back(a.producer_id, a.last_offset);
    }
    return out;
  }

  std::map<int64_t, int32_t> next_seq_;
};

TEST_F(TxnCompactionTest, CommittedTransactionalRecordsCompactWithPlainOnes) {
  auto log = *OpenLog(CompactConfig());
  for (int i = 0; i < 40; ++i) Plain(*log, "k" + std::to_string(i % 4), "plain" + std::to_string(i));
  Txn(*log, 7, {{"k0", "txn-a"}, {"k1", "txn-a"}});
  Txn(*log, 7, {{"k2", "txn-b"}});
  End(*log, 7, ControlType::kCommit);
  Plain(*log, "k1", "plain-last");  // shadows the committed k1
  Seal(*log);
  const auto before = ReadCommitted(*log);
  EXPECT_EQ(before.at("k0"), "txn-a");
  EXPECT_EQ(before.at("k1"), "plain-last");
  const uint64_t bytes_before = log->size_bytes();

  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadCommitted(*log), before);
  EXPECT_LT(log->size_bytes(), bytes_before);
  std::vector<BatchHeader> headers;
  auto records = ReadRecords(*log, &headers);
  std::map<std::string, int> copies;
  for (const auto& r : records) {
    if (r.key && r.key->starts_with("k")) copies[*r.key]++;
  }
  // One record per key survives; the committed transaction's k0 and k2 are
  // the newest, so its marker stays too.
  EXPECT_EQ(copies, (std::map<std::string, int>{{"k0", 1}, {"k1", 1}, {"k2", 1}, {"k3", 1}}));
  EXPECT_TRUE(std::any_of(headers.begin(), headers.end(), [](const auto& h) { return h.is_control(); }));
}

TEST_F(TxnCompactionTest, AbortedRecordsAreRemovedAndNeverShadowACommittedValue) {
  auto log = *OpenLog(CompactConfig());
  Plain(*log, "k", "committed");
  Txn(*log, 8, {{"k", "aborted"}, {"other", "aborted"}});
  End(*log, 8, ControlType::kAbort);
  Txn(*log, 8, {{"j", "committed"}});  // the producer's newest batch is not the aborted one
  End(*log, 8, ControlType::kCommit);
  Seal(*log);
  const auto before = ReadCommitted(*log);
  EXPECT_EQ(before, (std::map<std::string, std::string>{{"j", "committed"}, {"k", "committed"}}));

  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_EQ(ReadCommitted(*log), before);
  for (const auto& r : ReadRecords(*log)) EXPECT_NE(r.value, "aborted") << r.offset;
  // The value the aborted record would have shadowed is still stored.
  auto records = ReadRecords(*log);
  EXPECT_TRUE(std::any_of(records.begin(), records.end(),
                          [](const auto& r) { return r.key == "k" && r.value == "committed"; }));
}

TEST_F(TxnCompactionTest, TheNewestAbortedBatchOfAProducerStaysEmptyWithItsMarker) {
  auto log = *OpenLog(CompactConfig());
  Txn(*log, 9, {{"k", "aborted"}});
  const int64_t marker = End(*log, 9, ControlType::kAbort);
  Seal(*log);
  ASSERT_TRUE(log->Compact({}).ok());
  now_ms += 10'000;
  ASSERT_TRUE(log->Compact({}).ok());
  std::vector<BatchHeader> headers;
  auto records = ReadRecords(*log, &headers);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].records_count, 0);  // sequence range kept for the producer state
  EXPECT_EQ(headers[0].producer_id, 9);
  EXPECT_TRUE(headers[1].is_control());    // its transaction still has a batch
  EXPECT_EQ(headers[1].base_offset, marker);
  EXPECT_TRUE(ReadCommitted(*log).empty());
  // The producer continues where it left off.
  Txn(*log, 9, {{"k", "next"}});
  End(*log, 9, ControlType::kCommit);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadCommitted(*log).at("k"), "next");
}

TEST_F(TxnCompactionTest, OpenTransactionsAndEverythingAfterThemWait) {
  auto log = *OpenLog(CompactConfig());
  for (int i = 0; i < 20; ++i) Plain(*log, "k", "early" + std::to_string(i));
  Seal(*log);
  const int64_t txn_first = Txn(*log, 10, {{"k", "open"}}).base_offset.value;
  Seal(*log);
  for (int i = 0; i < 20; ++i) Plain(*log, "k", "late" + std::to_string(i));
  Seal(*log);
  EXPECT_EQ(log->last_stable_offset().value, txn_first);

  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_LE(stats->clean_end_offset, txn_first);
  auto records = ReadRecords(*log);
  const auto late = std::count_if(records.begin(), records.end(), [&](const auto& r) {
    return r.offset >= txn_first;
  });
  EXPECT_EQ(late, 21);  // the open transaction's record and all 20 later ones
  EXPECT_EQ(std::count_if(records.begin(), records.end(), [&](const auto& r) { return r.offset < txn_first; }), 1);

  End(*log, 10, ControlType::kCommit);
  Seal(*log);
  ASSERT_TRUE(log->Compact({}).ok());
  records = ReadRecords(*log);
  EXPECT_EQ(std::count_if(records.begin(), records.end(), [](const auto& r) { return r.key == "k"; }), 1);
  EXPECT_EQ(ReadCommitted(*log).at("k"), "late19");
}

TEST_F(TxnCompactionTest, ATransactionWhoseMarkerIsNotDurableWaits) {
  auto log = *OpenLog(CompactConfig());
  for (int i = 0; i < 10; ++i) Plain(*log, "k", "v" + std::to_string(i));
  const int64_t txn_first = Txn(*log, 11, {{"k", "aborted"}}).base_offset.value;
  Seal(*log);
  End(*log, 11, ControlType::kAbort);
  // The marker is appended (the transaction is closed in the producer
  // state) but not yet below the high watermark: a power cut could lose it.
  ASSERT_LT(log->high_watermark().value, log->log_end_offset().value);
  auto stats = log->Compact({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_FALSE(stats->ran && stats->clean_end_offset > txn_first);
  EXPECT_EQ(ReadRecords(*log).size(), 11u);

  Seal(*log);
  ASSERT_TRUE(log->Compact({}).ok());
  auto records = ReadRecords(*log);
  EXPECT_FALSE(std::any_of(records.begin(), records.end(), [](const auto& r) { return r.value == "aborted"; }));
  EXPECT_EQ(ReadCommitted(*log).at("k"), "v9");
}

TEST_F(TxnCompactionTest, MarkersGoOneDeleteRetentionAfterTheirTransactionEmptied) {
  auto log = *OpenLog(CompactConfig());
  Txn(*log, 12, {{"a", "committed-then-shadowed"}});
  const int64_t commit = End(*log, 12, ControlType::kCommit);
  Txn(*log, 13, {{"b", "aborted"}});
  const int64_t abort = End(*log, 13, ControlType::kAbort);
  Plain(*log, "a", "newer");
  Seal(*log);
  // Forget the producers so their newest batches are not kept empty.
  now_ms += 100;
  ASSERT_EQ(log->ExpireProducers(now_ms, 10), 2u);
  const auto view = ReadCommitted(*log);
  auto markers_of = [&] {
    std::vector<BatchHeader> headers, out;
    ReadRecords(*log, &headers);
    for (const auto& h : headers) if (h.is_control()) out.push_back(h);
    return out;
  };

  // Round 1: the data goes, the markers get a horizon.
  ASSERT_TRUE(log->Compact({}).ok());
  auto markers = markers_of();
  ASSERT_EQ(markers.size(), 2u);
  for (const auto& m : markers) {
    EXPECT_TRUE(m.attributes & batch_attr::kDeleteHorizon);
    EXPECT_EQ(m.base_timestamp, now_ms + CompactConfig().delete_retention_ms);
  }
  EXPECT_EQ(markers[0].base_offset, commit);
  EXPECT_EQ(markers[1].base_offset, abort);
  EXPECT_EQ(AbortMarkers(*log), (std::vector<std::pair<int64_t, int64_t>>{{13, abort}}));
  EXPECT_EQ(ReadCommitted(*log), view);

  // Before the horizon they stay; the cleaner is told when to come back.
  now_ms += CompactConfig().delete_retention_ms - 1;
  EXPECT_FALSE(log->CompactionState(now_ms).due());
  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_EQ(markers_of().size(), 2u);
  now_ms += 1;
  EXPECT_TRUE(log->CompactionState(now_ms).due());
  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_TRUE(markers_of().empty());
  EXPECT_TRUE(AbortMarkers(*log).empty());  // a fetch no longer reports it
  EXPECT_EQ(ReadCommitted(*log), view);
}

TEST_F(TxnCompactionTest, RestartsAfterCompactionKeepLsoAbortedListAndView) {
  for (int mode = 0; mode < 3; ++mode) {  // clean close; crash; crash without producer snapshot
    SCOPED_TRACE(mode);
    fs::remove_all(dir());
    next_seq_.clear();
    auto log = *OpenLog(CompactConfig());
    for (int i = 0; i < 30; ++i) Plain(*log, "k" + std::to_string(i % 3), "p" + std::to_string(i));
    Txn(*log, 20, {{"k0", "c20"}, {"x", "c20"}});
    End(*log, 20, ControlType::kCommit);
    Txn(*log, 21, {{"k1", "a21"}});
    Txn(*log, 22, {{"k2", "c22"}});
    Txn(*log, 21, {{"y", "a21"}});
    End(*log, 21, ControlType::kAbort);
    End(*log, 22, ControlType::kCommit);
    Txn(*log, 21, {{"k1", "c21"}});
    End(*log, 21, ControlType::kCommit);
    Seal(*log);
    Txn(*log, 23, {{"k0", "open"}});  // open across the restart
    Seal(*log);
    for (int i = 0; i < 10; ++i) Plain(*log, "z", "late" + std::to_string(i));
    Seal(*log);
    const auto view = ReadCommitted(*log);
    ASSERT_TRUE(log->Compact({}).ok());
    EXPECT_EQ(ReadCommitted(*log), view);
    const Offset lso = log->last_stable_offset();
    const auto aborted = AbortMarkers(*log);
    ASSERT_EQ(aborted.size(), 1u);
    const auto states = log->ProducerStates();
    const auto records = ReadRecords(*log);

    if (mode == 0) {
      ASSERT_TRUE(log->Close().ok());
    }
    log.reset();
    if (mode == 2) fs::remove(fs::path(dir()) / std::string(kProducerSnapshotFile));
    auto reopened = *OpenLog(CompactConfig());
    EXPECT_EQ(reopened->last_stable_offset(), lso);
    EXPECT_EQ(AbortMarkers(*reopened), aborted);
    EXPECT_EQ(ReadCommitted(*reopened), view);
    EXPECT_EQ(ReadRecords(*reopened), records);
    auto reopened_states = reopened->ProducerStates();
    for (int64_t pid : {20, 21, 22, 23}) {
      ASSERT_TRUE(reopened_states.contains(pid)) << pid;
      EXPECT_EQ(reopened_states[pid].txn_first_offset, states.at(pid).txn_first_offset) << pid;
      ASSERT_FALSE(reopened_states[pid].batches.empty()) << pid;
      EXPECT_EQ(reopened_states[pid].batches.back().last_sequence,
                states.at(pid).batches.back().last_sequence) << pid;
    }
    // Committing the open transaction frees the LSO as before.
    next_seq_[23] = 1;
    End(*reopened, 23, ControlType::kCommit);
    ASSERT_TRUE(reopened->Flush().ok());
    EXPECT_EQ(reopened->last_stable_offset(), reopened->high_watermark());
    EXPECT_EQ(ReadCommitted(*reopened).at("k0"), "open");
    ASSERT_TRUE(reopened->Close().ok());
  }
}

TEST_F(TxnCompactionTest, AnAbortEntryFromAnOlderSnapshotWhoseMarkerWentIsForgotten) {
  auto log = *OpenLog(CompactConfig());
  Txn(*log, 30, {{"k", "aborted"}});
  const int64_t abort = End(*log, 30, ControlType::kAbort);
  Seal(*log);  // the snapshot written at this roll lists the aborted transaction
  now_ms += 100;
  ASSERT_EQ(log->ExpireProducers(now_ms, 10), 1u);
  ASSERT_TRUE(log->Compact({}).ok());
  now_ms += CompactConfig().delete_retention_ms;
  ASSERT_TRUE(log->Compact({}).ok());
  EXPECT_TRUE(AbortMarkers(*log).empty());
  // The producer (state expired) starts over and commits in the active segment.
  BatchHeader h;
  h.producer_id = 30;
  h.producer_epoch = 1;
  h.base_sequence = 0;
  h.attributes = batch_attr::kTransactional;
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{"k", "committed"}}, now_ms, Compression::kNone, h))).ok());
  BatchHeader m = h;
  m.base_sequence = -1;
  m.attributes |= batch_attr::kControl;
  ASSERT_TRUE(log->Append(*Mutable(KeyedBatch({{std::string("\0\0\0\1", 4), std::string(6, '\0')}}, now_ms,
                                              Compression::kNone, m))).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadCommitted(*log).at("k"), "committed");
  log.reset();  // crash: the next open loads the older snapshot
  auto reopened = *OpenLog(CompactConfig());
  EXPECT_TRUE(AbortMarkers(*reopened).empty()) << abort;
  EXPECT_EQ(ReadCommitted(*reopened).at("k"), "committed");
}

}  // namespace
}  // namespace keel::storage
