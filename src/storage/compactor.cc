// Compaction's record-level rules (see compactor.h).
#include "keel/storage/compactor.h"

#include <algorithm>

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

}  // namespace

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
  if (header.is_control() || header.is_transactional()) return absl::OkStatus();
  return ForEachRecord(batch, [&](const RecordView& r) {
    if (r.key) map.Put(*r.key, header.base_offset + r.offset_delta);
    return absl::OkStatus();
  });
}

absl::StatusOr<FilteredBatch> FilterBatch(std::span<const uint8_t> batch, const BatchHeader& header,
                                          const OffsetMap& map, const CompactionRules& rules,
                                          bool keep_empty) {
  FilteredBatch out;
  if (header.is_control() || header.is_transactional()) {
    out.records_kept = header.records_count;
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
