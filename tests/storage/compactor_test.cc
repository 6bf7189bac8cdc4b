// OffsetMap and FilterBatch: the record-level rules of compaction.
#include "keel/storage/compactor.h"

#include <gtest/gtest.h>

#include "keel/common/records.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::Bytes;
using testing::KeyedBatch;

std::vector<uint8_t> At(std::vector<uint8_t> batch, int64_t base) {
  PatchBaseOffset(batch, base);
  return batch;
}

std::vector<std::string> Keys(std::span<const uint8_t> batch) {
  std::vector<std::string> out;
  EXPECT_TRUE(ForEachRecord(batch, [&](const RecordView& r) {
                out.emplace_back(r.key ? std::string(reinterpret_cast<const char*>(r.key->data()), r.key->size())
                                       : "<null>");
                return absl::OkStatus();
              }).ok());
  return out;
}

TEST(OffsetMapTest, KeepsTheLargestOffsetPerKeyAndCountsMemory) {
  OffsetMap map;
  std::string a = "a", b = "bb";
  map.Put(Bytes(a), 5);
  map.Put(Bytes(a), 3);
  map.Put(Bytes(b), 1);
  EXPECT_EQ(map.Get(Bytes(a)), 5);
  EXPECT_EQ(map.Get(Bytes(b)), 1);
  EXPECT_EQ(map.Get(Bytes(std::string("c"))), std::nullopt);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.memory_bytes(), 3 + 2 * OffsetMap::kEntryOverhead);
}

TEST(FilterBatchTest, KeepsNewestDropsSupersededTombstonesAndKeyless) {
  const int64_t ts = 1000;
  auto batch = At(KeyedBatch({{"a", "1"}, {"b", "1"}, {std::nullopt, "x"}, {"c", std::nullopt}}, ts), 10);
  auto h = *ValidateBatch(batch);
  OffsetMap map;
  AddBatchToOffsetMap(batch, h, map).IgnoreError();
  std::string a = "a";
  map.Put(Bytes(a), 20);  // a newer "a" exists later
  CompactionRules rules{ts + 10, 100};  // the tombstone of "c" is young
  auto f = FilterBatch(batch, h, map, rules, BatchContext{});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->outcome, FilteredBatch::Outcome::kRewritten);
  EXPECT_EQ(f->records_kept, 2);
  EXPECT_EQ(f->records_removed, 2);
  EXPECT_EQ(f->next_tombstone_expiry_ms, ts + 100);
  auto out = ValidateBatch(f->bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->base_offset, 10);
  EXPECT_EQ(out->last_offset_delta, 3);
  EXPECT_EQ(out->records_count, 2);
  EXPECT_EQ(Keys(f->bytes), (std::vector<std::string>{"b", "c"}));

  rules.now_ms = ts + 100;  // now the tombstone may go
  f = FilterBatch(batch, h, map, rules, BatchContext{});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Keys(f->bytes), (std::vector<std::string>{"b"}));
}

TEST(FilterBatchTest, UnchangedEmptiedAndRemoved) {
  auto batch = At(KeyedBatch({{"a", "1"}}, 1000), 0);
  auto h = *ValidateBatch(batch);
  OffsetMap map;
  CompactionRules rules{2000, 0};
  auto same = FilterBatch(batch, h, map, rules, BatchContext{});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->outcome, FilteredBatch::Outcome::kUnchanged);

  std::string a = "a";
  map.Put(Bytes(a), 1);
  auto removed = FilterBatch(batch, h, map, rules, BatchContext{});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->outcome, FilteredBatch::Outcome::kRemoved);
  auto emptied = FilterBatch(batch, h, map, rules, BatchContext{.keep_empty = true});
  ASSERT_TRUE(emptied.ok());
  EXPECT_EQ(emptied->outcome, FilteredBatch::Outcome::kEmptied);
  auto eh = ValidateBatch(emptied->bytes);
  ASSERT_TRUE(eh.ok()) << eh.status();
  EXPECT_EQ(eh->records_count, 0);
  EXPECT_EQ(emptied->bytes.size(), kBatchHeaderSize);
}

BatchHeader TxnHeader(int64_t pid) {
  BatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = 0;
  h.base_sequence = 0;
  h.attributes = batch_attr::kTransactional;
  return h;
}

std::vector<uint8_t> Marker(int64_t pid, ControlType type, int64_t ts, int64_t offset) {
  BatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = 0;
  h.attributes = batch_attr::kTransactional | batch_attr::kControl;
  std::string key("\0\0\0", 3);
  key.push_back(char(type));
  return At(KeyedBatch({{key, std::string(6, '\0')}}, ts, Compression::kNone, h), offset);
}

TEST(FilterBatchTest, CommittedTransactionalRecordsShadowAndAreShadowed) {
  auto batch = At(KeyedBatch({{"a", "txn"}, {"b", "txn"}}, 1000, Compression::kNone, TxnHeader(3)), 50);
  auto h = *ValidateBatch(batch);
  OffsetMap map;
  ASSERT_TRUE(AddBatchToOffsetMap(batch, h, map).ok());
  EXPECT_EQ(map.Get(Bytes(std::string("a"))), 50);
  EXPECT_EQ(map.Get(Bytes(std::string("b"))), 51);
  std::string a = "a";
  map.Put(Bytes(a), 99);  // a newer "a" later in the log
  auto f = FilterBatch(batch, h, map, CompactionRules{5000, 0}, BatchContext{});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->outcome, FilteredBatch::Outcome::kRewritten);
  EXPECT_EQ(Keys(f->bytes), (std::vector<std::string>{"b"}));
  auto out = ValidateBatch(f->bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->is_transactional());
  EXPECT_EQ(out->producer_id, 3);
  EXPECT_EQ(out->last_offset_delta, 1);
}

TEST(FilterBatchTest, AbortedBatchesAreRemovedWholeOrKeptEmpty) {
  auto batch = At(KeyedBatch({{"a", "aborted"}}, 1000, Compression::kNone, TxnHeader(3)), 50);
  auto h = *ValidateBatch(batch);
  OffsetMap map;  // nothing newer: a committed batch would stay unchanged
  BatchContext ctx;
  ctx.aborted = true;
  auto removed = FilterBatch(batch, h, map, CompactionRules{5000, 0}, ctx);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->outcome, FilteredBatch::Outcome::kRemoved);
  EXPECT_EQ(removed->records_removed, 1);
  ctx.keep_empty = true;  // the producer's newest batch keeps its sequence range
  auto emptied = FilterBatch(batch, h, map, CompactionRules{5000, 0}, ctx);
  ASSERT_TRUE(emptied.ok());
  EXPECT_EQ(emptied->outcome, FilteredBatch::Outcome::kEmptied);
  auto eh = ValidateBatch(emptied->bytes);
  ASSERT_TRUE(eh.ok()) << eh.status();
  EXPECT_EQ(eh->records_count, 0);
  EXPECT_EQ(eh->base_sequence, 0);
  EXPECT_TRUE(eh->is_transactional());
}

TEST(FilterBatchTest, AnEmptyBatchNoLongerNeededIsRemoved) {
  auto full = At(KeyedBatch({{"a", "1"}}, 1000, Compression::kNone, TxnHeader(3)), 7);
  auto empty = BuildRecordBatch(*ValidateBatch(full), {}, Compression::kNone);
  auto h = *ValidateBatch(empty);
  OffsetMap map;
  auto kept = FilterBatch(empty, h, map, CompactionRules{5000, 0}, BatchContext{.keep_empty = true});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->outcome, FilteredBatch::Outcome::kUnchanged);
  auto gone = FilterBatch(empty, h, map, CompactionRules{5000, 0}, BatchContext{});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->outcome, FilteredBatch::Outcome::kRemoved);
}

TEST(FilterBatchTest, MarkersStayWhileDataRemainsThenGetAHorizonThenGo) {
  auto marker = Marker(3, ControlType::kAbort, 1000, 60);
  auto h = *ValidateBatch(marker);
  OffsetMap map;
  CompactionRules rules{5000, 300};
  auto kept = FilterBatch(marker, h, map, rules, BatchContext{});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->outcome, FilteredBatch::Outcome::kUnchanged);

  // The transaction is empty: the first pass stamps the horizon.
  auto stamped = FilterBatch(marker, h, map, rules, BatchContext{.txn_empty = true});
  ASSERT_TRUE(stamped.ok());
  EXPECT_EQ(stamped->outcome, FilteredBatch::Outcome::kRewritten);
  EXPECT_EQ(stamped->next_tombstone_expiry_ms, 5300);
  auto sh = ValidateBatch(stamped->bytes);
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_TRUE(sh->attributes & batch_attr::kDeleteHorizon);
  EXPECT_EQ(sh->base_timestamp, 5300);
  EXPECT_EQ(sh->max_timestamp, h.max_timestamp);
  EXPECT_EQ(ParseControlType(stamped->bytes), ControlType::kAbort);

  // Before the horizon it stays (and asks to be revisited); at it, it goes.
  rules.now_ms = 5299;
  auto waiting = FilterBatch(stamped->bytes, *sh, map, rules, BatchContext{.txn_empty = true});
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->outcome, FilteredBatch::Outcome::kUnchanged);
  EXPECT_EQ(waiting->next_tombstone_expiry_ms, 5300);
  rules.now_ms = 5300;
  auto gone = FilterBatch(stamped->bytes, *sh, map, rules, BatchContext{.txn_empty = true});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->outcome, FilteredBatch::Outcome::kRemoved);
  // A control batch never enters the key map.
  ASSERT_TRUE(AddBatchToOffsetMap(marker, h, map).ok());
  EXPECT_EQ(map.size(), 0u);
}

TEST(AbortedTxnIndexTest, MatchesTheProducerWithinFirstAndMarkerOffsets) {
  std::vector<AbortedTxn> aborted{{7, 10, 20}, {8, 12, 14}, {7, 30, 30}, {7, 40, 45}};
  AbortedTxnIndex index(aborted);
  EXPECT_FALSE(index.IsAborted(7, 9));
  EXPECT_TRUE(index.IsAborted(7, 10));
  EXPECT_TRUE(index.IsAborted(7, 20));
  EXPECT_FALSE(index.IsAborted(7, 21));
  EXPECT_TRUE(index.IsAborted(7, 30));
  EXPECT_FALSE(index.IsAborted(7, 35));
  EXPECT_TRUE(index.IsAborted(7, 41));
  EXPECT_FALSE(index.IsAborted(7, 46));
  EXPECT_FALSE(index.IsAborted(8, 11));
  EXPECT_TRUE(index.IsAborted(8, 13));
  EXPECT_FALSE(index.IsAborted(9, 13));
}

TEST(TxnRetentionTest, AMarkerIsEmptyOnlyIfNoBatchOfItsTransactionWasKept) {
  TxnRetention t;
  EXPECT_TRUE(t.OnMarker(1));  // no data at all
  t.OnDataBatch(1, false);
  t.OnDataBatch(2, true);
  t.OnDataBatch(1, true);
  t.OnDataBatch(1, false);
  EXPECT_FALSE(t.OnMarker(1));
  EXPECT_TRUE(t.OnMarker(1));  // the next transaction starts empty
  EXPECT_FALSE(t.OnMarker(2));
  t.OnDataBatch(3, false);
  EXPECT_TRUE(t.OnMarker(3));
}

TEST(FilterBatchTest, CorruptRecordsAreAnError) {
  auto batch = At(KeyedBatch({{"a", "1"}}, 1000), 0);
  auto h = *ValidateBatch(batch);
  batch[kBatchHeaderSize] = 0x7f;  // record length far beyond the batch
  OffsetMap map;
  EXPECT_FALSE(AddBatchToOffsetMap(batch, h, map).ok());
  EXPECT_FALSE(FilterBatch(batch, h, map, CompactionRules{}, BatchContext{}).ok());
}

}  // namespace
}  // namespace keel::storage
