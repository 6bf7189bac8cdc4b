// Compaction's record-level rules (see compactor.h).
#include "keel/storage/compactor.h"

#include <algorithm>

#include "keel/common/coding.h"
#include "keel/common/crc32c.h"
#include "keel/common/records.h"
#include "keel/common/status_macros.h"

namespace keel::storage {
namespace {

std::string_view AsChars(std::span<const uint8_t> bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// A surviving record copied out of ForEachRecord's callback (its views die
// with the callback for compressed batches).
struct OwnedRecord {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;

  static OwnedRecord From(const RecordView& r) {
    OwnedRecord o;
    o.attributes = r.attributes;
    o.timestamp_delta = r.timestamp_delta;
    o.offset_delta = r.offset_delta;
    if (r.key) o.key.emplace(AsChars(*r.key));
    if (r.value) o.value.emplace(AsChars(*r.value));
    for (const HeaderView& h : r.headers) {
      std::optional<std::string> v;
      if (h.value) v.emplace(AsChars(*h.value));
      o.headers.emplace_back(std::string(AsChars(h.key)), std::move(v));
    }
    return o;
  }
};

// A copy of a marker with the delete-horizon bit set and baseTimestamp =
// `horizon_ms`, CRC recomputed.
std::vector<uint8_t> StampDeleteHorizon(std::span<const uint8_t> batch, const BatchHeader& header,
                                        int64_t horizon_ms) {
  namespace bo = batch_offsets;
  std::vector<uint8_t> out(batch.begin(), batch.end());
  coding::StoreBE16(out.data() + bo::kAttributes,
                    uint16_t(header.attributes | batch_attr::kDeleteHorizon));
  coding::StoreBE64(out.data() + bo::kBaseTimestamp, uint64_t(horizon_ms));
  coding::StoreBE32(out.data() + bo::kCrc,
                    crc32c::Value(std::span<const uint8_t>(out).subspan(kBatchCrcStart)));
  return out;
}

// Rules for control batches (markers).
FilteredBatch FilterMarker(std::span<const uint8_t> batch, const BatchHeader& header,
                           const CompactionRules& rules, const BatchContext& context) {
  FilteredBatch out;
  out.records_kept = header.records_count;
  if (!context.txn_empty) return out;
  if (header.attributes & batch_attr::kDeleteHorizon) {
    if (header.base_timestamp <= rules.now_ms) {
      out.outcome = FilteredBatch::Outcome::kRemoved;
      out.records_kept = 0;
      out.records_removed = header.records_count;
    } else {
      out.next_tombstone_expiry_ms = header.base_timestamp;
    }
    return out;
  }
  const int64_t horizon = rules.now_ms + rules.delete_retention_ms;
  out.outcome = FilteredBatch::Outcome::kRewritten;
  out.bytes = StampDeleteHorizon(batch, header, horizon);
  out.next_tombstone_expiry_ms = horizon;
  return out;
}

}  // namespace

AbortedTxnIndex::AbortedTxnIndex(std::span<const AbortedTxn> aborted) {
  for (const AbortedTxn& a : aborted) {
    by_producer_[a.producer_id].emplace_back(a.last_offset, a.first_offset);
  }
  for (auto& [pid, txns] : by_producer_) std::sort(txns.begin(), txns.end());
}

bool AbortedTxnIndex::IsAborted(int64_t producer_id, int64_t offset) const {
  auto it = by_producer_.find(producer_id);
  if (it == by_producer_.end()) return false;
  const auto& txns = it->second;
  auto t = std::lower_bound(txns.begin(), txns.end(), std::make_pair(offset, std::numeric_limits<int64_t>::min()));
  return t != txns.end() && t->second <= offset;
}

void TxnRetention::OnDataBatch(int64_t producer_id, bool kept) {
  auto [it, inserted] = kept_.try_emplace(producer_id, kept);
  if (!inserted) it->second = it->second || kept;
}

bool TxnRetention::OnMarker(int64_t producer_id) {
  auto it = kept_.find(producer_id);
  if (it == kept_.end()) return true;
  bool kept = it->second;
  kept_.erase(it);
  return !kept;
}

void OffsetMap::Put(std::span<const uint8_t> key, int64_t offset) {
  auto [it, inserted] = map_.try_emplace(std::string(AsChars(key)), offset);
  if (inserted) {
    bytes_ += key.size() + kEntryOverhead;
  } else {
    it->second = std::max(it->second, offset);
  }
}

std::optional<int64_t> OffsetMap::Get(std::span<const uint8_t> key) const {
  auto it = map_.find(absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

absl::Status AddBatchToOffsetMap(std::span<const uint8_t> batch, const BatchHeader& header,
                                 OffsetMap& map) {
  if (header.is_control()) return absl::OkStatus();
  return ForEachRecord(batch, [&](const RecordView& r) {
    if (r.key) map.Put(*r.key, header.base_offset + r.offset_delta);
    return absl::OkStatus();
  });
}

absl::StatusOr<FilteredBatch> FilterBatch(std::span<const uint8_t> batch, const BatchHeader& header,
                                          const OffsetMap& map, const CompactionRules& rules,
                                          const BatchContext& context) {
  if (header.is_control()) return FilterMarker(batch, header, rules, context);
  const bool keep_empty = context.keep_empty;
  FilteredBatch out;
  if (context.aborted) {
    out.records_removed = header.records_count;
    if (keep_empty) {
      if (header.records_count == 0) return out;  // already empty
      out.outcome = FilteredBatch::Outcome::kEmptied;
      out.bytes = BuildRecordBatch(header, {}, Compression::kNone);
    } else {
      out.outcome = FilteredBatch::Outcome::kRemoved;
    }
    return out;
  }
  std::vector<OwnedRecord> survivors;
  KEEL_RETURN_IF_ERROR(ForEachRecord(batch, [&](const RecordView& r) {
    const int64_t offset = header.base_offset + r.offset_delta;
    bool keep = r.key.has_value();
    if (keep) {
      std::optional<int64_t> newest = map.Get(*r.key);
      keep = !newest || *newest <= offset;
    }
    if (keep && !r.value) {
      const int64_t timestamp = header.log_append_time() ? header.max_timestamp
                                                         : header.base_timestamp + r.timestamp_delta;
      const int64_t expiry = timestamp + rules.delete_retention_ms;
      if (expiry <= rules.now_ms) {
        keep = false;
      } else {
        out.next_tombstone_expiry_ms = std::min(out.next_tombstone_expiry_ms, expiry);
      }
    }
    if (keep) {
      survivors.push_back(OwnedRecord::From(r));
    } else {
      ++out.records_removed;
    }
    return absl::OkStatus();
  }));
  out.records_kept = int64_t(survivors.size());
  if (survivors.empty() && !keep_empty) {  // includes an empty batch no longer needed
    out.outcome = FilteredBatch::Outcome::kRemoved;
    return out;
  }
  if (out.records_removed == 0) return out;

  if (survivors.empty()) {
    if (!keep_empty) {
      out.outcome = FilteredBatch::Outcome::kRemoved;
      return out;
    }
    out.outcome = FilteredBatch::Outcome::kEmptied;
    out.bytes = BuildRecordBatch(header, {}, Compression::kNone);
    return out;
  }
  std::vector<RecordInput> inputs;
  inputs.reserve(survivors.size());
  for (const OwnedRecord& o : survivors) {
    RecordInput in;
    in.attributes = o.attributes;
    in.timestamp_delta = o.timestamp_delta;
    in.offset_delta = o.offset_delta;
    if (o.key) in.key = AsBytes(*o.key);
    if (o.value) in.value = AsBytes(*o.value);
    for (const auto& [k, v] : o.headers) {
      HeaderView h;
      h.key = AsBytes(k);
      if (v) h.value = AsBytes(*v);
      in.headers.push_back(h);
    }
    inputs.push_back(std::move(in));
  }
  out.outcome = FilteredBatch::Outcome::kRewritten;
  out.bytes = BuildRecordBatch(header, inputs, header.compression());
  return out;
}

}  // namespace keel::storage
