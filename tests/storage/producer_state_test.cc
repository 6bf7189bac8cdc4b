// ProducerStateTable: Kafka's sequence/epoch rules, the five-batch cache,
// expiry and the snapshot format; and the Log's use of it (duplicates,
// errors, state across clean and unclean reopen, truncation).
#include "keel/storage/producer_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <map>
#include <random>

#include "keel/storage/format.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::KeyedBatch;
namespace fs = std::filesystem;

BatchHeader Idem(int64_t pid, int16_t epoch, int32_t seq, int32_t count, int64_t base_offset) {
  BatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.last_offset_delta = count - 1;
  h.records_count = count;
  h.base_offset = base_offset;
  return h;
}

TEST(ProducerStateTest, SequencesMustFollowAndRetriesAreDuplicates) {
  ProducerStateTable t;
  EXPECT_EQ(t.Check(Idem(1, 0, 0, 3, 0)).outcome, ProducerCheck::kOk);
  t.Apply(Idem(1, 0, 0, 3, 0), 100);
  EXPECT_EQ(t.Check(Idem(1, 0, 3, 2, 10)).outcome, ProducerCheck::kOk);
  t.Apply(Idem(1, 0, 3, 2, 10), 101);

  auto dup = t.Check(Idem(1, 0, 0, 3, 99));
  EXPECT_EQ(dup.outcome, ProducerCheck::kDuplicate);
  EXPECT_EQ(dup.duplicate_of.first_offset, 0);
  EXPECT_EQ(dup.duplicate_of.last_offset, 2);
  EXPECT_EQ(t.Check(Idem(1, 0, 6, 1, 0)).outcome, ProducerCheck::kOutOfOrderSequence);  // gap
  EXPECT_EQ(t.Check(Idem(1, 0, 4, 1, 0)).outcome, ProducerCheck::kOutOfOrderSequence);  // overlap
  EXPECT_EQ(t.Check(Idem(2, 0, 5, 1, 0)).outcome, ProducerCheck::kUnknownProducer);
}

TEST(ProducerStateTest, EpochsFenceAndRestartSequences) {
  ProducerStateTable t;
  t.Apply(Idem(1, 3, 0, 1, 0), 100);
  EXPECT_EQ(t.Check(Idem(1, 2, 1, 1, 0)).outcome, ProducerCheck::kInvalidEpoch);
  EXPECT_EQ(t.Check(Idem(1, 4, 1, 1, 0)).outcome, ProducerCheck::kOutOfOrderSequence);
  EXPECT_EQ(t.Check(Idem(1, 4, 0, 1, 0)).outcome, ProducerCheck::kOk);
  t.Apply(Idem(1, 4, 0, 1, 5), 101);
  EXPECT_EQ(t.Find(1)->epoch, 4);
  EXPECT_EQ(t.Find(1)->batches.size(), 1u);
}

TEST(ProducerStateTest, OnlyTheLastFiveBatchesAreCachedAndSequencesWrap) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) t.Apply(Idem(1, 0, i, 1, i), 100);
  EXPECT_EQ(t.Find(1)->batches.size(), ProducerStateTable::kMaxCachedBatches);
  EXPECT_EQ(t.Check(Idem(1, 0, 2, 1, 0)).outcome, ProducerCheck::kDuplicate);
  EXPECT_EQ(t.Check(Idem(1, 0, 1, 1, 0)).outcome, ProducerCheck::kOutOfOrderSequence);

  ProducerStateTable w;
  const int32_t max = std::numeric_limits<int32_t>::max();
  w.Apply(Idem(9, 0, max - 1, 2, 0), 100);  // sequences max-1, max
  EXPECT_EQ(w.Check(Idem(9, 0, 0, 1, 0)).outcome, ProducerCheck::kOk);
}

TEST(ProducerStateTest, IdleProducersExpire) {
  ProducerStateTable t;
  t.Apply(Idem(1, 0, 0, 1, 0), 1000);
  t.Apply(Idem(2, 0, 0, 1, 1), 5000);
  EXPECT_EQ(t.Expire(6000, 2000), 1u);
  EXPECT_EQ(t.Find(1), nullptr);
  EXPECT_NE(t.Find(2), nullptr);
}

TEST(ProducerStateTest, SnapshotRoundTripsAndRejectsDamage) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) t.Apply(Idem(1, 2, i * 2, 2, i * 10), 100 + i);
  t.Apply(Idem(77, 0, 0, 1, 500), 900);
  std::string snap = t.EncodeSnapshot(501);
  ProducerStateTable u;
  auto offset = u.DecodeSnapshot(snap);
  ASSERT_TRUE(offset.ok()) << offset.status();
  EXPECT_EQ(*offset, 501);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u.Find(1)->epoch, 2);
  EXPECT_EQ(u.Find(1)->last_append_ms, 106);
  EXPECT_EQ(u.Find(1)->batches.back().first_offset, 60);
  EXPECT_EQ(u.Check(Idem(1, 2, 12, 2, 0)).outcome, ProducerCheck::kDuplicate);
  snap[10] ^= 1;
  EXPECT_FALSE(u.DecodeSnapshot(snap).ok());
  EXPECT_FALSE(u.DecodeSnapshot("KPS1").ok());
}

TEST(ProducerStateTest, CheckErrorsTravelInAStatus) {
  absl::Status s = ProducerCheckError(ProducerCheck::kInvalidEpoch, "fenced");
  EXPECT_EQ(ProducerCheckOf(s), ProducerCheck::kInvalidEpoch);
  EXPECT_EQ(ProducerCheckOf(absl::FailedPreconditionError("x")), std::nullopt);
}

TEST(ProducerStateTest, TransactionsOpenAtTheFirstBatchAndAbortsAreRemembered) {
  ProducerStateTable t;
  BatchHeader txn = Idem(1, 0, 0, 2, 10);
  txn.attributes = batch_attr::kTransactional;
  t.Apply(txn, 100);
  BatchHeader txn2 = Idem(2, 0, 0, 1, 12);
  txn2.attributes = batch_attr::kTransactional;
  t.Apply(txn2, 100);
  EXPECT_EQ(t.FirstUnstableOffset(), 10);
  BatchHeader marker = Idem(1, 0, -1, 1, 20);
  marker.attributes = batch_attr::kTransactional | batch_attr::kControl;
  t.Apply(marker, 101, ControlType::kAbort);
  EXPECT_EQ(t.FirstUnstableOffset(), 12);
  marker.producer_id = 2;
  marker.base_offset = 21;
  t.Apply(marker, 102, ControlType::kCommit);
  EXPECT_EQ(t.FirstUnstableOffset(), std::nullopt);
  EXPECT_EQ(t.AbortedTransactions(0, 100), (std::vector<AbortedTxn>{{1, 10, 20}}));
  EXPECT_TRUE(t.AbortedTransactions(21, 100).empty());  // ended before the fetch
  EXPECT_TRUE(t.AbortedTransactions(0, 10).empty());    // starts at the fetch's end

  ProducerStateTable u;
  ASSERT_TRUE(u.DecodeSnapshot(t.EncodeSnapshot(22)).ok());
  EXPECT_EQ(u.aborted(), t.aborted());
  t.PruneAborted(21);
  EXPECT_TRUE(t.aborted().empty());
}

// The answer FirstUnstableOffset must give: the oldest open transaction of
// any producer, computed the slow way.
std::optional<int64_t> SlowFirstUnstableOffset(const ProducerStateTable& t) {
  std::optional<int64_t> first;
  for (const auto& [pid, e] : t.entries()) {
    if (e.txn_first_offset >= 0 && (!first || e.txn_first_offset < *first)) {
      first = e.txn_first_offset;
    }
  }
  return first;
}

BatchHeader TxnData(int64_t pid, int16_t epoch, int64_t offset) {
  BatchHeader h = Idem(pid, epoch, -1, 1, offset);
  h.attributes = batch_attr::kTransactional;
  return h;
}

BatchHeader TxnMarker(int64_t pid, int16_t epoch, int64_t offset) {
  BatchHeader h = Idem(pid, epoch, -1, 1, offset);
  h.attributes = batch_attr::kTransactional | batch_attr::kControl;
  return h;
}

TEST(ProducerStateTest, ATransactionStaysUndecidedUntilItsMarkerIsBelowTheHighWatermark) {
  ProducerStateTable t;
  t.Apply(TxnData(1, 0, 10), 100);
  t.Apply(TxnData(2, 0, 11), 100);
  EXPECT_EQ(t.FirstUndecidedOffset(), 10);
  t.Apply(TxnMarker(1, 0, 12), 100, ControlType::kAbort);
  EXPECT_EQ(t.FirstUnstableOffset(), 11);
  EXPECT_EQ(t.FirstUndecidedOffset(), 10);  // the marker at 12 could still be lost
  t.MarkDurableBelow(12);
  EXPECT_EQ(t.FirstUndecidedOffset(), 10);
  t.MarkDurableBelow(13);
  EXPECT_EQ(t.FirstUndecidedOffset(), 11);
  t.Apply(TxnMarker(2, 0, 13), 100, ControlType::kCommit);
  EXPECT_EQ(t.FirstUnstableOffset(), std::nullopt);
  EXPECT_EQ(t.FirstUndecidedOffset(), 11);
  t.Apply(TxnMarker(3, 0, 14), 100, ControlType::kCommit);  // no transaction: nothing to wait for
  t.MarkDurableBelow(14);
  EXPECT_EQ(t.FirstUndecidedOffset(), std::nullopt);
  // A snapshot is read back with the HW at the log end: nothing undecided.
  t.Apply(TxnData(4, 0, 15), 100);
  t.Apply(TxnMarker(4, 0, 16), 100, ControlType::kCommit);
  ProducerStateTable loaded;
  ASSERT_TRUE(loaded.DecodeSnapshot(t.EncodeSnapshot(17)).ok());
  EXPECT_EQ(t.FirstUndecidedOffset(), 15);
  EXPECT_EQ(loaded.FirstUndecidedOffset(), std::nullopt);
}

TEST(ProducerStateTest, ForgetAbortedDropsOnlyThatProducersEntryAtThatMarker) {
  ProducerStateTable t;
  t.Apply(TxnData(1, 0, 10), 100);
  t.Apply(TxnData(2, 0, 11), 100);
  t.Apply(TxnMarker(1, 0, 12), 100, ControlType::kAbort);
  t.Apply(TxnMarker(2, 0, 13), 100, ControlType::kAbort);
  t.Apply(TxnData(1, 0, 14), 100);
  t.Apply(TxnMarker(1, 0, 15), 100, ControlType::kAbort);
  t.ForgetAborted(2, 12);  // no such entry
  t.ForgetAborted(1, 13);  // no such entry
  EXPECT_EQ(t.aborted().size(), 3u);
  t.ForgetAborted(1, 12);
  EXPECT_EQ(t.aborted(), (std::vector<AbortedTxn>{{2, 11, 13}, {1, 14, 15}}));
  t.ForgetAborted(1, 15);
  EXPECT_EQ(t.AbortedTransactions(0, 100), (std::vector<AbortedTxn>{{2, 11, 13}}));
}

TEST(ProducerStateTest, FirstUnstableOffsetFollowsBeginCommitAndAbortOfSeveralProducers) {
  ProducerStateTable t;
  t.Apply(TxnData(1, 0, 10), 100);
  t.Apply(TxnData(2, 0, 11), 100);
  t.Apply(TxnData(3, 0, 12), 100);
  t.Apply(TxnData(1, 0, 13), 100);  // more of producer 1's open transaction
  EXPECT_EQ(t.FirstUnstableOffset(), 10);
  t.Apply(TxnMarker(2, 0, 14), 100, ControlType::kCommit);  // not the oldest
  EXPECT_EQ(t.FirstUnstableOffset(), 10);
  t.Apply(TxnMarker(1, 0, 15), 100, ControlType::kAbort);
  EXPECT_EQ(t.FirstUnstableOffset(), 12);
  t.Apply(TxnData(1, 0, 16), 100);  // producer 1's next transaction
  EXPECT_EQ(t.FirstUnstableOffset(), 12);
  t.Apply(TxnMarker(3, 1, 17), 100, ControlType::kAbort);  // fenced by a newer epoch
  EXPECT_EQ(t.FirstUnstableOffset(), 16);
  EXPECT_EQ(t.Expire(1'000'000, 10), 2u);  // 2 and 3; never 1 (open transaction)
  EXPECT_EQ(t.FirstUnstableOffset(), 16);
  t.Apply(TxnMarker(1, 0, 18), 100, ControlType::kCommit);
  EXPECT_EQ(t.FirstUnstableOffset(), std::nullopt);
  t.Apply(TxnData(4, 0, 19), 100);
  t.Clear();
  EXPECT_EQ(t.FirstUnstableOffset(), std::nullopt);
}

TEST(ProducerStateTest, FirstUnstableOffsetMatchesTheSlowAnswerUnderRandomTraffic) {
  std::mt19937 rng(20261127);
  ProducerStateTable t;
  std::map<int64_t, int16_t> epochs;
  int64_t offset = 0;
  for (int step = 0; step < 5000; ++step) {
    const int64_t pid = int64_t(rng() % 12);
    int16_t& epoch = epochs[pid];
    switch (rng() % 8) {
      case 0: case 1: case 2:
        t.Apply(TxnData(pid, epoch, offset), step);
        break;
      case 3:
        t.Apply(TxnMarker(pid, epoch, offset), step, ControlType::kCommit);
        break;
      case 4:
        t.Apply(TxnMarker(pid, epoch, offset), step, ControlType::kAbort);
        break;
      case 5:
        t.Apply(TxnMarker(pid, ++epoch, offset), step, ControlType::kAbort);  // fence
        break;
      case 6:
        t.Apply(Idem(pid, epoch, -1, 1, offset), step);  // not transactional
        break;
      case 7:
        if (rng() % 10 == 0) t.Expire(step, 50);
        if (rng() % 20 == 0) {  // reload from a snapshot into a table with other state
          ProducerStateTable u;
          u.Apply(TxnData(99, 0, 0), 0);
          ASSERT_TRUE(u.DecodeSnapshot(t.EncodeSnapshot(offset)).ok());
          EXPECT_EQ(u.FirstUnstableOffset(), SlowFirstUnstableOffset(t));
          t = std::move(u);
        }
        break;
    }
    ++offset;
    ASSERT_EQ(t.FirstUnstableOffset(), SlowFirstUnstableOffset(t)) << "step " << step;
  }
}

TEST(ProducerStateTest, SnapshotLoadReplacesTheOpenTransactions) {
  ProducerStateTable source;
  source.Apply(TxnData(1, 0, 30), 100);
  source.Apply(TxnData(2, 0, 31), 100);
  const std::string snapshot = source.EncodeSnapshot(32);
  ProducerStateTable t;
  t.Apply(TxnData(9, 0, 5), 100);  // state the snapshot replaces
  ASSERT_TRUE(t.DecodeSnapshot(snapshot).ok());
  EXPECT_EQ(t.FirstUnstableOffset(), 30);
  t.Apply(TxnMarker(1, 0, 32), 100, ControlType::kCommit);
  EXPECT_EQ(t.FirstUnstableOffset(), 31);
  EXPECT_FALSE(t.DecodeSnapshot("garbage").ok());  // a bad snapshot changes nothing
  EXPECT_EQ(t.FirstUnstableOffset(), 31);
}

class LogProducerStateTest : public ::testing::Test, public testing::LogFixture {
 protected:
  std::vector<uint8_t> Batch(int64_t pid, int16_t epoch, int32_t seq, int records) {
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = epoch;
    h.base_sequence = seq;
    std::vector<testing::KV> kvs;
    for (int i = 0; i < records; ++i) kvs.push_back({"k" + std::to_string(i), "v"});
    return KeyedBatch(kvs, now_ms, Compression::kNone, h);
  }
  absl::StatusOr<AppendResult> Append(Log& log, std::vector<uint8_t> b) { return log.Append(b); }
  std::vector<uint8_t> TxnBatch(int64_t pid, int32_t seq) {
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = 0;
    h.base_sequence = seq;
    h.attributes = batch_attr::kTransactional;
    return KeyedBatch({{"k", "in-txn"}}, now_ms, Compression::kNone, h);
  }
  std::vector<uint8_t> Marker(int64_t pid, ControlType type) {
    BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = 0;
    h.attributes = batch_attr::kTransactional | batch_attr::kControl;
    std::string key("\0\0\0", 3);
    key.push_back(char(type));
    return KeyedBatch({{key, std::string("\0\0\0\0\0\0", 6)}}, now_ms, Compression::kNone, h);
  }
};

TEST_F(LogProducerStateTest, OpenTransactionsHoldTheLastStableOffset) {
  auto log = *OpenLog();
  ASSERT_TRUE(Append(*log, KeyedBatch({{"a", "1"}}, now_ms)).ok());    // 0
  ASSERT_TRUE(Append(*log, TxnBatch(7, 0)).ok());                      // 1
  ASSERT_TRUE(Append(*log, KeyedBatch({{"b", "1"}}, now_ms)).ok());    // 2
  ASSERT_TRUE(Append(*log, TxnBatch(7, 1)).ok());                      // 3
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->high_watermark().value, 4);
  EXPECT_EQ(log->last_stable_offset().value, 1);
  ASSERT_TRUE(Append(*log, Marker(7, ControlType::kAbort)).ok());     // 4
  EXPECT_EQ(log->last_stable_offset().value, 4);  // the HW, until the marker is flushed
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->last_stable_offset().value, 5);
  EXPECT_EQ(log->AbortedTransactions(Offset(0), Offset(5)), (std::vector<AbortedTxn>{{7, 1, 4}}));

  // A second transaction stays open across an unclean restart; the aborted
  // one is still reported.
  ASSERT_TRUE(Append(*log, TxnBatch(8, 0)).ok());                      // 5
  ASSERT_TRUE(log->Flush().ok());
  log.reset();
  auto reopened = *OpenLog();
  EXPECT_EQ(reopened->last_stable_offset().value, 5);
  EXPECT_EQ(reopened->AbortedTransactions(Offset(0), Offset(6)), (std::vector<AbortedTxn>{{7, 1, 4}}));
  ASSERT_TRUE(Append(*reopened, Marker(8, ControlType::kCommit)).ok());  // 6
  ASSERT_TRUE(reopened->Flush().ok());
  EXPECT_EQ(reopened->last_stable_offset().value, 7);
  EXPECT_EQ(reopened->AbortedTransactions(Offset(5), Offset(7)).size(), 0u);
}

TEST_F(LogProducerStateTest, RetriesReturnTheOriginalOffsetsAndWriteNothing) {
  auto log = *OpenLog();
  auto first = Append(*log, Batch(5, 0, 0, 3));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Append(*log, KeyedBatch({{"plain", "x"}}, now_ms)).ok());
  auto retry = Append(*log, Batch(5, 0, 0, 3));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset.value, 0);
  EXPECT_EQ(retry->last_offset.value, 2);
  EXPECT_EQ(log->log_end_offset().value, 4);

  auto gap = Append(*log, Batch(5, 0, 7, 1));
  EXPECT_EQ(ProducerCheckOf(gap.status()), ProducerCheck::kOutOfOrderSequence) << gap.status();
  auto fenced_next = Append(*log, Batch(5, 1, 0, 1));
  ASSERT_TRUE(fenced_next.ok());
  auto zombie = Append(*log, Batch(5, 0, 3, 1));
  EXPECT_EQ(ProducerCheckOf(zombie.status()), ProducerCheck::kInvalidEpoch);
  EXPECT_EQ(log->log_end_offset().value, 5);
}

TEST_F(LogProducerStateTest, IdempotentBatchesMustTravelAlone) {
  auto log = *OpenLog();
  auto a = Batch(5, 0, 0, 1);
  auto b = KeyedBatch({{"k", "v"}}, now_ms);
  a.insert(a.end(), b.begin(), b.end());
  auto r = log->Append(a);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
}

TEST_F(LogProducerStateTest, StateSurvivesCleanAndUncleanRestarts) {
  {
    auto log = *OpenLog();
    ASSERT_TRUE(Append(*log, Batch(5, 0, 0, 2)).ok());
    ASSERT_TRUE(log->Close().ok());
  }
  {
    // Clean: from the snapshot written at close.
    auto log = *OpenLog();
    EXPECT_TRUE(Append(*log, Batch(5, 0, 0, 2))->duplicate);
    ASSERT_TRUE(Append(*log, Batch(5, 0, 2, 2)).ok());
    ASSERT_TRUE(Append(*log, Batch(6, 0, 0, 1)).ok());
    ASSERT_TRUE(log->Flush().ok());
    // No Close(): an unclean stop; the snapshot is older than the log end.
  }
  {
    auto log = *OpenLog();
    auto retry = Append(*log, Batch(5, 0, 2, 2));
    ASSERT_TRUE(retry.ok());
    EXPECT_TRUE(retry->duplicate);
    EXPECT_EQ(retry->base_offset.value, 2);
    EXPECT_TRUE(Append(*log, Batch(6, 0, 0, 1))->duplicate);
    EXPECT_EQ(log->ProducerStates().size(), 2u);
  }
  // Without any snapshot the state is rebuilt from the whole log.
  fs::remove(fs::path(dir()) / std::string(kProducerSnapshotFile));
  auto log = *OpenLog();
  EXPECT_TRUE(Append(*log, Batch(5, 0, 2, 2))->duplicate);
  EXPECT_EQ(ProducerCheckOf(Append(*log, Batch(6, 0, 5, 1)).status()),
            ProducerCheck::kOutOfOrderSequence);
}

TEST_F(LogProducerStateTest, EveryRollWritesASnapshotSoCrashReplayStaysShort) {
  auto log = *OpenLog();
  ASSERT_TRUE(Append(*log, KeyedBatch({{"plain", "x"}}, now_ms)).ok());
  ASSERT_TRUE(log->Roll().ok());
  auto text = ReadFileToString(fs_, JoinPath(dir(), kProducerSnapshotFile));
  ASSERT_TRUE(text.ok()) << text.status();
  ProducerStateTable t;
  auto offset = t.DecodeSnapshot(*text);
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, 1);  // as of the roll, with no producers yet
  EXPECT_EQ(t.size(), 0u);
}

TEST_F(LogProducerStateTest, TruncationForgetsTruncatedBatches) {
  auto log = *OpenLog();
  ASSERT_TRUE(Append(*log, Batch(5, 0, 0, 1)).ok());
  ASSERT_TRUE(Append(*log, Batch(5, 0, 1, 1)).ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Truncate(Offset(1)).ok());
  auto again = Append(*log, Batch(5, 0, 1, 1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->base_offset.value, 1);
}

TEST_F(LogProducerStateTest, TruncationBelowAnOpenTransactionReleasesTheStableOffset) {
  auto log = *OpenLog();
  ASSERT_TRUE(Append(*log, KeyedBatch({{"a", "1"}}, now_ms)).ok());  // 0
  ASSERT_TRUE(Append(*log, TxnBatch(7, 0)).ok());                    // 1
  ASSERT_TRUE(Append(*log, TxnBatch(8, 0)).ok());                    // 2
  ASSERT_TRUE(Append(*log, TxnBatch(7, 1)).ok());                    // 3
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->last_stable_offset().value, 1);
  ASSERT_TRUE(log->Truncate(Offset(2)).ok());  // producer 8's transaction is gone
  ASSERT_TRUE(Append(*log, Marker(7, ControlType::kCommit)).ok());  // 2
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->last_stable_offset().value, 3);
  ASSERT_TRUE(Append(*log, TxnBatch(8, 0)).ok());  // 3: 8's transaction again
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->last_stable_offset().value, 3);
  ASSERT_TRUE(log->Truncate(Offset(3)).ok());
  EXPECT_EQ(log->last_stable_offset().value, 3);  // nothing open: the high watermark
}

TEST_F(LogProducerStateTest, OpenTransactionsOfSeveralProducersSurviveReload) {
  {
    auto log = *OpenLog();
    ASSERT_TRUE(Append(*log, TxnBatch(7, 0)).ok());                    // 0
    ASSERT_TRUE(Append(*log, TxnBatch(8, 0)).ok());                    // 1
    ASSERT_TRUE(Append(*log, Marker(7, ControlType::kAbort)).ok());    // 2
    ASSERT_TRUE(Append(*log, TxnBatch(9, 0)).ok());                    // 3
    ASSERT_TRUE(log->Close().ok());  // clean: from the snapshot
  }
  {
    auto log = *OpenLog();
    EXPECT_EQ(log->last_stable_offset().value, 1);
    ASSERT_TRUE(Append(*log, Marker(8, ControlType::kCommit)).ok());   // 4
    ASSERT_TRUE(log->Flush().ok());
    EXPECT_EQ(log->last_stable_offset().value, 3);
    // No Close(): unclean, replayed from the last snapshot.
  }
  {
    auto log = *OpenLog();
    EXPECT_EQ(log->last_stable_offset().value, 3);
  }
  fs::remove(fs::path(dir()) / std::string(kProducerSnapshotFile));  // whole-log rebuild
  auto log = *OpenLog();
  EXPECT_EQ(log->last_stable_offset().value, 3);
  ASSERT_TRUE(Append(*log, Marker(9, ControlType::kAbort)).ok());      // 5
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->last_stable_offset().value, 6);
}

TEST_F(LogProducerStateTest, ExpiredProducersAreForgotten) {
  auto log = *OpenLog();
  ASSERT_TRUE(Append(*log, Batch(5, 0, 0, 1)).ok());
  now_ms += 10000;
  EXPECT_EQ(log->ExpireProducers(now_ms, 5000), 1u);
  EXPECT_EQ(ProducerCheckOf(Append(*log, Batch(5, 0, 1, 1)).status()), ProducerCheck::kUnknownProducer);
}

}  // namespace
}  // namespace keel::storage
