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
  auto f = FilterBatch(batch, h, map, rules, false);
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
  f = FilterBatch(batch, h, map, rules, false);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Keys(f->bytes), (std::vector<std::string>{"b"}));
}

TEST(FilterBatchTest, UnchangedEmptiedAndRemoved) {
  auto batch = At(KeyedBatch({{"a", "1"}}, 1000), 0);
  auto h = *ValidateBatch(batch);
  OffsetMap map;
  CompactionRules rules{2000, 0};
  auto same = FilterBatch(batch, h, map, rules, false);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->outcome, FilteredBatch::Outcome::kUnchanged);

  std::string a = "a";
  map.Put(Bytes(a), 1);
  auto removed = FilterBatch(batch, h, map, rules, false);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->outcome, FilteredBatch::Outcome::kRemoved);
  auto emptied = FilterBatch(batch, h, map, rules, true);
  ASSERT_TRUE(emptied.ok());
  EXPECT_EQ(emptied->outcome, FilteredBatch::Outcome::kEmptied);
  auto eh = ValidateBatch(emptied->bytes);
  ASSERT_TRUE(eh.ok()) << eh.status();
  EXPECT_EQ(eh->records_count, 0);
  EXPECT_EQ(emptied->bytes.size(), kBatchHeaderSize);
}

TEST(FilterBatchTest, TransactionalAndControlBatchesAreKeptAndDoNotShadow) {
  BatchHeader txn;
  txn.producer_id = 3;
  txn.producer_epoch = 0;
  txn.base_sequence = 0;
  txn.attributes = batch_attr::kTransactional;
  auto batch = At(KeyedBatch({{"a", "txn"}}, 1000, Compression::kNone, txn), 50);
  auto h = *ValidateBatch(batch);
  OffsetMap map;
  ASSERT_TRUE(AddBatchToOffsetMap(batch, h, map).ok());
  EXPECT_EQ(map.size(), 0u);
  std::string a = "a";
  map.Put(Bytes(a), 99);
  auto f = FilterBatch(batch, h, map, CompactionRules{5000, 0}, false);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->outcome, FilteredBatch::Outcome::kUnchanged);
}

TEST(FilterBatchTest, CorruptRecordsAreAnError) {
  auto batch = At(KeyedBatch({{"a", "1"}}, 1000), 0);
  auto h = *ValidateBatch(batch);
  batch[kBatchHeaderSize] = 0x7f;  // record length far beyond the batch
  OffsetMap map;
  EXPECT_FALSE(AddBatchToOffsetMap(batch, h, map).ok());
  EXPECT_FALSE(FilterBatch(batch, h, map, CompactionRules{}, false).ok());
}

}  // namespace
}  // namespace keel::storage
