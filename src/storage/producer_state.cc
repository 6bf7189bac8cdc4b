// Idempotent-producer state of a partition (see producer_state.h).
#include "keel/storage/producer_state.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/crc32c.h"
#include "keel/common/records.h"

namespace keel::storage {
namespace {

constexpr int32_t kNoSequence = -1;

int32_t LastSequence(const BatchHeader& b) {
  // Sequences wrap to 0 after INT32_MAX (Kafka's DefaultRecordBatch).
  int64_t last = int64_t(b.base_sequence) + b.last_offset_delta;
  return last > std::numeric_limits<int32_t>::max()
             ? int32_t(last - std::numeric_limits<int32_t>::max() - 1)
             : int32_t(last);
}

bool InSequence(int32_t last, int32_t next) {
  return int64_t(next) == int64_t(last) + 1 ||
         (next == 0 && last == std::numeric_limits<int32_t>::max());
}

// Snapshot layout (big-endian):
//   "KPS1" | int64 offset | int32 count |
//   count x ( int64 producer id | int16 epoch | int64 last append ms |
//             int64 open transaction's first offset (-1) |
//             int8 n | n x (int32 first seq | int32 last seq |
//                           int64 first offset | int64 last offset) ) |
//   int32 aborted | aborted x (int64 producer id | int64 first | int64 last) |
//   uint32 CRC-32C of everything before it
constexpr std::string_view kMagic = "KPS1";

class Writer {
 public:
  void Bytes(std::string_view s) { out_.append(s); }
  void U8(uint8_t v) { out_.push_back(char(v)); }
  void U16(uint16_t v) {
    uint8_t b[2];
    coding::StoreBE16(b, v);
    out_.append(reinterpret_cast<char*>(b), 2);
  }
  void U32(uint32_t v) {
    uint8_t b[4];
    coding::StoreBE32(b, v);
    out_.append(reinterpret_cast<char*>(b), 4);
  }
  void U64(uint64_t v) {
    uint8_t b[8];
    coding::StoreBE64(b, v);
    out_.append(reinterpret_cast<char*>(b), 8);
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Need(size_t n) const { return in_.size() - pos_ >= n; }
  const uint8_t* Take(size_t n) {
    auto p = reinterpret_cast<const uint8_t*>(in_.data() + pos_);
    pos_ += n;
    return p;
  }
  bool U8(uint8_t* v) { return Need(1) && (*v = *Take(1), true); }
  bool U16(uint16_t* v) { return Need(2) && (*v = coding::LoadBE16(Take(2)), true); }
  bool U32(uint32_t* v) { return Need(4) && (*v = coding::LoadBE32(Take(4)), true); }
  bool U64(uint64_t* v) { return Need(8) && (*v = coding::LoadBE64(Take(8)), true); }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

namespace {
constexpr std::string_view kProducerCheckPayload = "keel.storage/producer-check";
}  // namespace

absl::Status ProducerCheckError(ProducerCheck check, std::string_view message) {
  absl::Status s = absl::FailedPreconditionError(absl::string_view(message.data(), message.size()));
  s.SetPayload(absl::string_view(kProducerCheckPayload.data(), kProducerCheckPayload.size()),
               absl::Cord(std::to_string(int(check))));
  return s;
}

std::optional<ProducerCheck> ProducerCheckOf(const absl::Status& status) {
  auto payload = status.GetPayload(
      absl::string_view(kProducerCheckPayload.data(), kProducerCheckPayload.size()));
  if (!payload) return std::nullopt;
  int v = std::atoi(std::string(*payload).c_str());
  if (v < int(ProducerCheck::kOk) || v > int(ProducerCheck::kUnknownProducer)) return std::nullopt;
  return ProducerCheck(v);
}

const ProducerEntry* ProducerStateTable::Find(int64_t producer_id) const {
  auto it = entries_.find(producer_id);
  return it == entries_.end() ? nullptr : &it->second;
}

ProducerCheckResult ProducerStateTable::Check(const BatchHeader& b) const {
  ProducerCheckResult r;
  const int32_t first = b.base_sequence;
  const int32_t last = LastSequence(b);
  auto it = entries_.find(b.producer_id);
  if (it == entries_.end() || it->second.epoch < 0) {
    if (first != 0) {
      r.outcome = ProducerCheck::kUnknownProducer;
      r.message = absl::StrCat("producer ", b.producer_id, " has no state on this partition and its "
                               "batch starts at sequence ", first, " instead of 0");
    }
    return r;
  }
  const ProducerEntry& e = it->second;
  if (b.producer_epoch < e.epoch) {
    r.outcome = ProducerCheck::kInvalidEpoch;
    r.message = absl::StrCat("producer ", b.producer_id, " epoch ", b.producer_epoch,
                             " is older than the current epoch ", e.epoch);
    return r;
  }
  if (b.producer_epoch == e.epoch) {
    for (const ProducerBatch& cached : e.batches) {
      if (cached.first_sequence == first && cached.last_sequence == last) {
        r.outcome = ProducerCheck::kDuplicate;
        r.duplicate_of = cached;
        return r;
      }
    }
    const int32_t current_last = e.batches.empty() ? kNoSequence : e.batches.back().last_sequence;
    if (current_last == kNoSequence ? first != 0 : !InSequence(current_last, first)) {
      r.outcome = ProducerCheck::kOutOfOrderSequence;
      r.message = absl::StrCat("producer ", b.producer_id, " epoch ", e.epoch, ": sequence ", first,
                               " does not follow ", current_last);
    }
    return r;
  }
  if (first != 0) {  // a new epoch restarts the sequence
    r.outcome = ProducerCheck::kOutOfOrderSequence;
    r.message = absl::StrCat("producer ", b.producer_id, " new epoch ", b.producer_epoch,
                             " must start at sequence 0, not ", first);
  }
  return r;
}

void ProducerStateTable::Apply(const BatchHeader& b, int64_t append_ms,
                               std::optional<ControlType> control) {
  if (b.producer_id < 0) return;
  ProducerEntry& e = entries_[b.producer_id];
  e.last_append_ms = std::max(e.last_append_ms, append_ms);
  if (b.is_control()) {
    if (b.producer_epoch > e.epoch) {
      e.epoch = b.producer_epoch;
      e.batches.clear();
    }
    if (control == ControlType::kAbort) {
      int64_t first = e.txn_first_offset >= 0 ? e.txn_first_offset : b.base_offset;
      aborted_.push_back({b.producer_id, first, b.base_offset});
    }
    if (e.txn_first_offset >= 0) undurable_txns_.insert({b.base_offset, e.txn_first_offset});
    SetTxnFirstOffset(b.producer_id, e, -1);
    return;
  }
  if (b.producer_epoch != e.epoch) {
    e.epoch = b.producer_epoch;
    e.batches.clear();
  }
  if (b.is_transactional() && e.txn_first_offset < 0) {
    SetTxnFirstOffset(b.producer_id, e, b.base_offset);
  }
  if (b.base_sequence < 0) return;  // not idempotent
  e.batches.push_back({b.base_sequence, LastSequence(b), b.base_offset, b.last_offset()});
  while (e.batches.size() > kMaxCachedBatches) e.batches.pop_front();
}

void ProducerStateTable::SetTxnFirstOffset(int64_t producer_id, ProducerEntry& e,
                                           int64_t first_offset) {
  if (e.txn_first_offset >= 0) open_txns_.erase({e.txn_first_offset, producer_id});
  e.txn_first_offset = first_offset;
  if (first_offset >= 0) open_txns_.insert({first_offset, producer_id});
}

std::optional<int64_t> ProducerStateTable::FirstUnstableOffset() const {
  if (open_txns_.empty()) return std::nullopt;
  return open_txns_.begin()->first;
}

std::optional<int64_t> ProducerStateTable::FirstUndecidedOffset() const {
  std::optional<int64_t> first = FirstUnstableOffset();
  for (const auto& [marker, txn_first] : undurable_txns_) {
    if (!first || txn_first < *first) first = txn_first;
  }
  return first;
}

void ProducerStateTable::MarkDurableBelow(int64_t high_watermark) {
  while (!undurable_txns_.empty() && undurable_txns_.begin()->first < high_watermark) {
    undurable_txns_.erase(undurable_txns_.begin());
  }
}

void ProducerStateTable::ForgetAborted(int64_t producer_id, int64_t marker_offset) {
  auto it = std::lower_bound(aborted_.begin(), aborted_.end(), marker_offset,
                             [](const AbortedTxn& a, int64_t v) { return a.last_offset < v; });
  for (; it != aborted_.end() && it->last_offset == marker_offset; ++it) {
    if (it->producer_id == producer_id) {
      aborted_.erase(it);
      return;
    }
  }
}

std::vector<AbortedTxn> ProducerStateTable::AbortedTransactions(int64_t from, int64_t to) const {
  std::vector<AbortedTxn> out;
  auto it = std::lower_bound(aborted_.begin(), aborted_.end(), from,
                             [](const AbortedTxn& a, int64_t v) { return a.last_offset < v; });
  for (; it != aborted_.end(); ++it) {
    if (it->first_offset < to) out.push_back(*it);
  }
  return out;
}

void ProducerStateTable::PruneAborted(int64_t log_start) {
  auto it = std::lower_bound(aborted_.begin(), aborted_.end(), log_start,
                             [](const AbortedTxn& a, int64_t v) { return a.last_offset < v; });
  aborted_.erase(aborted_.begin(), it);
}

std::optional<ControlType> ParseControlType(std::span<const uint8_t> batch) {
  if (batch.size() < kBatchHeaderSize) return std::nullopt;
  std::optional<ControlType> type;
  absl::Status s = ForEachRecord(batch, [&](const RecordView& r) {
    if (!r.key || r.key->size() < 4) return absl::DataLossError("bad control key");
    int16_t t = int16_t(coding::LoadBE16(r.key->data() + 2));
    if (t == 0) type = ControlType::kAbort;
    else if (t == 1) type = ControlType::kCommit;
    return absl::OkStatus();
  });
  if (!s.ok()) return std::nullopt;
  return type;
}

size_t ProducerStateTable::Expire(int64_t now_ms, int64_t expiration_ms) {
  size_t removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.txn_first_offset < 0 && it->second.last_append_ms < now_ms - expiration_ms) {
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::string ProducerStateTable::EncodeSnapshot(int64_t offset) const {
  Writer w;
  w.Bytes(kMagic);
  w.U64(uint64_t(offset));
  w.U32(uint32_t(entries_.size()));
  for (const auto& [pid, e] : entries_) {
    w.U64(uint64_t(pid));
    w.U16(uint16_t(e.epoch));
    w.U64(uint64_t(e.last_append_ms));
    w.U64(uint64_t(e.txn_first_offset));
    w.U8(uint8_t(e.batches.size()));
    for (const ProducerBatch& b : e.batches) {
      w.U32(uint32_t(b.first_sequence));
      w.U32(uint32_t(b.last_sequence));
      w.U64(uint64_t(b.first_offset));
      w.U64(uint64_t(b.last_offset));
    }
  }
  w.U32(uint32_t(aborted_.size()));
  for (const AbortedTxn& a : aborted_) {
    w.U64(uint64_t(a.producer_id));
    w.U64(uint64_t(a.first_offset));
    w.U64(uint64_t(a.last_offset));
  }
  const std::string& body = w.str();
  uint32_t crc = crc32c::Value(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  w.U32(crc);
  return std::move(w.str());
}

absl::StatusOr<int64_t> ProducerStateTable::DecodeSnapshot(std::string_view bytes) {
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("producer state snapshot: ", why));
  };
  if (bytes.size() < kMagic.size() + 8 + 4 + 4 || bytes.substr(0, kMagic.size()) != kMagic) {
    return bad("bad header");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  uint32_t stored = coding::LoadBE32(reinterpret_cast<const uint8_t*>(bytes.data() + body.size()));
  uint32_t crc = crc32c::Value(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  if (crc != stored) return bad("CRC mismatch");
  Reader r(body.substr(kMagic.size()));
  uint64_t offset;
  uint32_t count;
  if (!r.U64(&offset) || !r.U32(&count)) return bad("truncated");
  std::map<int64_t, ProducerEntry> entries;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t pid, last_ms, txn_first;
    uint16_t epoch;
    uint8_t n;
    if (!r.U64(&pid) || !r.U16(&epoch) || !r.U64(&last_ms) || !r.U64(&txn_first) || !r.U8(&n) ||
        n > kMaxCachedBatches) {
      return bad("truncated entry");
    }
    ProducerEntry e;
    e.epoch = int16_t(epoch);
    e.last_append_ms = int64_t(last_ms);
    e.txn_first_offset = int64_t(txn_first);
    for (uint8_t j = 0; j < n; ++j) {
      uint32_t fs, ls;
      uint64_t fo, lo;
      if (!r.U32(&fs) || !r.U32(&ls) || !r.U64(&fo) || !r.U64(&lo)) return bad("truncated batch");
      e.batches.push_back({int32_t(fs), int32_t(ls), int64_t(fo), int64_t(lo)});
    }
    entries[int64_t(pid)] = std::move(e);
  }
  uint32_t aborted_count;
  if (!r.U32(&aborted_count)) return bad("truncated aborted list");
  std::vector<AbortedTxn> aborted;
  for (uint32_t i = 0; i < aborted_count; ++i) {
    uint64_t pid, first, last;
    if (!r.U64(&pid) || !r.U64(&first) || !r.U64(&last)) return bad("truncated aborted entry");
    aborted.push_back({int64_t(pid), int64_t(first), int64_t(last)});
  }
  if (!r.done()) return bad("trailing bytes");
  entries_ = std::move(entries);
  aborted_ = std::move(aborted);
  open_txns_.clear();
  undurable_txns_.clear();
  for (const auto& [pid, e] : entries_) {
    if (e.txn_first_offset >= 0) open_txns_.insert({e.txn_first_offset, pid});
  }
  return int64_t(offset);
}

}  // namespace keel::storage
