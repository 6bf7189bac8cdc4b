// Parsing and describing Kafka topic config keys (see log_config.h).
#include "keel/storage/log_config.h"

#include <charconv>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace keel::storage {
namespace {

absl::Status Bad(absl::string_view key, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for topic config ", key, ": ", why));
}

absl::StatusOr<int64_t> ParseLong(absl::string_view key, absl::string_view value, int64_t min,
                                  int64_t max = std::numeric_limits<int64_t>::max()) {
  absl::string_view v = absl::StripAsciiWhitespace(value);
  int64_t out;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
    return Bad(key, value, "not an integer");
  }
  if (out < min || out > max) {
    return Bad(key, value, absl::StrCat("must be in [", min, ", ", max, "]"));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& KnownTopicConfigKeys() {
  static const std::vector<std::string> keys = {
      "cleanup.policy",     "delete.retention.ms", "flush.ms",
      "index.interval.bytes", "max.compaction.lag.ms", "max.message.bytes",
      "message.timestamp.type", "min.cleanable.dirty.ratio",
      "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
      "retention.bytes",    "retention.ms",        "segment.bytes",
      "segment.index.bytes", "segment.ms",
  };
  return keys;
}

absl::StatusOr<LogConfig> LogConfig::WithOverrides(
    const std::map<std::string, std::string>& overrides) const {
  LogConfig c = *this;
  bool preallocate_set = false;
  bool preallocate = false;
  for (const auto& [key, value] : overrides) {
    if (key == "segment.bytes") {
      auto v = ParseLong(key, value, 14, std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      c.segment_bytes = *v;
    } else if (key == "segment.ms") {
      auto v = ParseLong(key, value, 1);
      if (!v.ok()) return v.status();
      c.segment_ms = *v;
    } else if (key == "segment.index.bytes") {
      auto v = ParseLong(key, value, 8, std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      c.segment_index_bytes = *v;
    } else if (key == "retention.ms") {
      auto v = ParseLong(key, value, -1);
      if (!v.ok()) return v.status();
      c.retention_ms = *v;
    } else if (key == "retention.bytes") {
      auto v = ParseLong(key, value, -1);
      if (!v.ok()) return v.status();
      c.retention_bytes = *v;
    } else if (key == "index.interval.bytes") {
      auto v = ParseLong(key, value, 0, std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      c.index_interval_bytes = *v;
    } else if (key == "max.message.bytes") {
      auto v = ParseLong(key, value, 0, std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      c.max_message_bytes = *v;
    } else if (key == "flush.ms") {
      auto v = ParseLong(key, value, -1);
      if (!v.ok()) return v.status();
      c.flush_ms = *v;
    } else if (key == "message.timestamp.type") {
      if (value == "CreateTime") {
        c.message_timestamp_type = TimestampType::kCreateTime;
      } else if (value == "LogAppendTime") {
        c.message_timestamp_type = TimestampType::kLogAppendTime;
      } else {
        return Bad(key, value, "must be CreateTime or LogAppendTime");
      }
    } else if (key == "cleanup.policy") {
      bool del = false, compact = false;
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        part = absl::StripAsciiWhitespace(part);
        if (part == "delete") {
          del = true;
        } else if (part == "compact") {
          compact = true;
        } else {
          return Bad(key, value, "must be a list of delete and compact");
        }
      }
      c.cleanup_delete = del;
      c.cleanup_compact = compact;
    } else if (key == "delete.retention.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.delete_retention_ms = *v;
    } else if (key == "min.compaction.lag.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.min_compaction_lag_ms = *v;
    } else if (key == "max.compaction.lag.ms") {
      auto v = ParseLong(key, value, 1);
      if (!v.ok()) return v.status();
      c.max_compaction_lag_ms = *v;
    } else if (key == "min.cleanable.dirty.ratio") {
      double d;
      if (!absl::SimpleAtod(absl::StripAsciiWhitespace(value), &d) || !(d >= 0.0 && d <= 1.0)) {
        return Bad(key, value, "must be a number in [0, 1]");
      }
      c.min_cleanable_dirty_ratio = d;
    } else if (key == "min.insync.replicas") {
      auto v = ParseLong(key, value, 1, std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      c.min_insync_replicas = int32_t(*v);
    } else if (key == "preallocate") {
      std::string lower = absl::AsciiStrToLower(value);
      if (lower != "true" && lower != "false") return Bad(key, value, "must be true or false");
      preallocate_set = true;
      preallocate = lower == "true";
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown topic config ", key));
    }
  }
  if (preallocate_set) {
    c.preallocate_bytes = preallocate ? c.segment_bytes : 0;
  } else if (c.preallocate_bytes > c.segment_bytes) {
    c.preallocate_bytes = c.segment_bytes;
  }
  return c;
}

std::vector<std::pair<std::string, std::string>> LogConfig::Describe() const {
  std::vector<std::string> policy;
  if (cleanup_delete) policy.push_back("delete");
  if (cleanup_compact) policy.push_back("compact");
  std::vector<std::pair<std::string, std::string>> out = {
      {"cleanup.policy", absl::StrJoin(policy, ",")},
      {"delete.retention.ms", absl::StrCat(delete_retention_ms)},
      {"flush.ms", absl::StrCat(flush_ms)},
      {"index.interval.bytes", absl::StrCat(index_interval_bytes)},
      {"max.compaction.lag.ms", absl::StrCat(max_compaction_lag_ms)},
      {"max.message.bytes", absl::StrCat(max_message_bytes)},
      {"message.timestamp.type",
       message_timestamp_type == TimestampType::kCreateTime ? "CreateTime" : "LogAppendTime"},
      {"min.cleanable.dirty.ratio", absl::StrCat(min_cleanable_dirty_ratio)},
      {"min.compaction.lag.ms", absl::StrCat(min_compaction_lag_ms)},
      {"min.insync.replicas", absl::StrCat(min_insync_replicas)},
      {"preallocate", preallocate_bytes > 0 ? "true" : "false"},
      {"retention.bytes", absl::StrCat(retention_bytes)},
      {"retention.ms", absl::StrCat(retention_ms)},
      {"segment.bytes", absl::StrCat(segment_bytes)},
      {"segment.index.bytes", absl::StrCat(segment_index_bytes)},
      {"segment.ms", absl::StrCat(segment_ms)},
  };
  return out;
}

}  // namespace keel::storage
