// Parsing and describing Kafka topic config keys (see log_config.h).
#include "keel/storage/log_config.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/common/compression.h"

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

absl::StatusOr<bool> ParseBool(absl::string_view key, absl::string_view value) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Bad(key, value, "must be true or false");
}

// Kafka's MetadataVersionValidator: a Kafka release ("0.10.0", "0.10.0.0",
// "2.8", "3.0-IV1", ...). "0.x" versions are read to three parts, later ones
// to two (so "2.8.1" is "2.8"); an optional "-IV<n>" suffix is allowed.
bool IsKafkaVersion(absl::string_view v) {
  absl::string_view base = v;
  if (size_t iv = v.find("-IV"); iv != absl::string_view::npos) {
    absl::string_view n = v.substr(iv + 3);
    if (n.empty() || !std::all_of(n.begin(), n.end(), absl::ascii_isdigit)) return false;
    base = v.substr(0, iv);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(base, '.');
  for (absl::string_view p : parts) {
    if (p.empty() || !std::all_of(p.begin(), p.end(), absl::ascii_isdigit)) return false;
  }
  if (parts.size() < 2) return false;
  int major = 0, minor = 0;
  if (!absl::SimpleAtoi(parts[0], &major) || !absl::SimpleAtoi(parts[1], &minor)) return false;
  if (major == 0) return parts.size() >= 3 && minor >= 8 && minor <= 11;
  return major <= 4 && minor <= 9;
}

// Kafka's ThrottledReplicaListValidator: "", "*", or partition:broker pairs.
bool IsThrottledReplicaList(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.empty() || v == "*") return true;
  for (absl::string_view item : absl::StrSplit(v, ',')) {
    item = absl::StripAsciiWhitespace(item);
    std::vector<absl::string_view> pb = absl::StrSplit(item, ':');
    int a, b;
    if (pb.size() != 2 || !absl::SimpleAtoi(pb[0], &a) || !absl::SimpleAtoi(pb[1], &b) || a < 0 ||
        b < 0)
      return false;
  }
  return true;
}

constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

// The accepted-and-ignored keys with Kafka's defaults (docs/topic-configs.md).
const std::map<std::string, std::string>& IgnoredDefaults() {
  static const std::map<std::string, std::string> m = {
      {"file.delete.delay.ms", "60000"},
      {"flush.messages", absl::StrCat(kLongMax)},
      {"follower.replication.throttled.replicas", ""},
      {"leader.replication.throttled.replicas", ""},
      {"local.retention.bytes", "-2"},
      {"local.retention.ms", "-2"},
      {"message.downconversion.enable", "true"},
      {"message.format.version", "3.0-IV1"},
      {"remote.log.copy.disable", "false"},
      {"remote.log.delete.on.disable", "false"},
      {"remote.storage.enable", "false"},
      {"unclean.leader.election.enable", "false"},
  };
  return m;
}

// Validates a value of an accepted-and-ignored key as Kafka does.
absl::Status CheckIgnored(const std::string& key, const std::string& value) {
  if (key == "file.delete.delay.ms") return ParseLong(key, value, 0).status();
  if (key == "flush.messages") return ParseLong(key, value, 1).status();
  if (key == "local.retention.bytes" || key == "local.retention.ms")
    return ParseLong(key, value, -2).status();
  if (key == "message.format.version") {
    if (!IsKafkaVersion(absl::StripAsciiWhitespace(value)))
      return Bad(key, value, "not a Kafka version such as 0.10.0 or 3.0-IV1");
    return absl::OkStatus();
  }
  if (key == "follower.replication.throttled.replicas" ||
      key == "leader.replication.throttled.replicas") {
    if (!IsThrottledReplicaList(value))
      return Bad(key, value, "must be *, empty, or a list of partition:broker pairs");
    return absl::OkStatus();
  }
  if (key == "remote.storage.enable") {
    auto b = ParseBool(key, value);
    if (!b.ok()) return b.status();
    if (*b) {
      return Bad(key, value,
                 "Keel has no tiered (remote) storage: every segment stays in log.dirs; "
                 "leave it false");
    }
    return absl::OkStatus();
  }
  return ParseBool(key, value).status();  // the remaining ignored keys are booleans
}

}  // namespace

bool IsIgnoredTopicConfig(const std::string& key) { return IgnoredDefaults().count(key) > 0; }

const std::vector<std::string>& KnownTopicConfigKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {
        "cleanup.policy",         "compression.gzip.level",
        "compression.lz4.level",  "compression.type",
        "compression.zstd.level", "delete.retention.ms",
        "flush.ms",               "index.interval.bytes",
        "max.compaction.lag.ms",  "max.message.bytes",
        "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
        "message.timestamp.difference.max.ms", "message.timestamp.type",
        "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
        "min.insync.replicas",    "preallocate",
        "retention.bytes",        "retention.ms",
        "segment.bytes",          "segment.index.bytes",
        "segment.jitter.ms",      "segment.ms",
    };
    for (const auto& [key, v] : IgnoredDefaults()) k.push_back(key);
    std::sort(k.begin(), k.end());
    return k;
  }();
  return keys;
}

CompressionTarget LogConfig::compression_target() const {
  CompressionTarget t = compression;
  switch (t.codec) {
    case Compression::kGzip: t.level = compression_gzip_level; break;
    case Compression::kLz4: t.level = compression_lz4_level; break;
    case Compression::kZstd: t.level = compression_zstd_level; break;
    default: t.level = 0; break;
  }
  return t;
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
    } else if (key == "compression.type") {
      // Kafka's BrokerCompressionType names (case-sensitive, as Kafka).
      static const std::map<std::string, Compression> codecs = {
          {"uncompressed", Compression::kNone}, {"gzip", Compression::kGzip},
          {"snappy", Compression::kSnappy},     {"lz4", Compression::kLz4},
          {"zstd", Compression::kZstd}};
      std::string v(absl::StripAsciiWhitespace(value));
      if (v == "producer") {
        c.compression = CompressionTarget{};
      } else if (auto it = codecs.find(v); it != codecs.end()) {
        c.compression = CompressionTarget{false, it->second, 0};
      } else {
        return Bad(key, value, "must be one of uncompressed, zstd, lz4, snappy, gzip, producer");
      }
    } else if (key == "compression.gzip.level") {
      auto v = ParseLong(key, value, -1, kGzipLevelMax);
      if (!v.ok()) return v.status();
      if (*v == 0) return Bad(key, value, "must be in [1, 9] or -1");
      c.compression_gzip_level = int32_t(*v);
    } else if (key == "compression.lz4.level") {
      auto v = ParseLong(key, value, kLz4LevelMin, kLz4LevelMax);
      if (!v.ok()) return v.status();
      c.compression_lz4_level = int32_t(*v);
    } else if (key == "compression.zstd.level") {
      auto v = ParseLong(key, value, kZstdLevelMin, kZstdLevelMax);
      if (!v.ok()) return v.status();
      c.compression_zstd_level = int32_t(*v);
    } else if (key == "segment.jitter.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.segment_jitter_ms = *v;
    } else if (key == "message.timestamp.before.max.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.message_timestamp_before_max_ms = *v;
    } else if (key == "message.timestamp.after.max.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.message_timestamp_after_max_ms = *v;
    } else if (key == "message.timestamp.difference.max.ms") {
      auto v = ParseLong(key, value, 0);
      if (!v.ok()) return v.status();
      c.message_timestamp_difference_max_ms = *v;
      // Deprecated synonym of both bounds (Kafka 3.6+), unless they are given.
      if (!overrides.count("message.timestamp.before.max.ms"))
        c.message_timestamp_before_max_ms = *v;
      if (!overrides.count("message.timestamp.after.max.ms"))
        c.message_timestamp_after_max_ms = *v;
    } else if (IsIgnoredTopicConfig(key)) {
      if (auto st = CheckIgnored(key, value); !st.ok()) return st;
      c.ignored[key] = value;
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
      {"compression.gzip.level", absl::StrCat(compression_gzip_level)},
      {"compression.lz4.level", absl::StrCat(compression_lz4_level)},
      {"compression.type", compression.keep_producer
                               ? std::string("producer")
                               : compression.codec == Compression::kNone
                                     ? std::string("uncompressed")
                                     : std::string(CompressionName(compression.codec))},
      {"compression.zstd.level", absl::StrCat(compression_zstd_level)},
      {"delete.retention.ms", absl::StrCat(delete_retention_ms)},
      {"flush.ms", absl::StrCat(flush_ms)},
      {"index.interval.bytes", absl::StrCat(index_interval_bytes)},
      {"max.compaction.lag.ms", absl::StrCat(max_compaction_lag_ms)},
      {"max.message.bytes", absl::StrCat(max_message_bytes)},
      {"message.timestamp.after.max.ms", absl::StrCat(message_timestamp_after_max_ms)},
      {"message.timestamp.before.max.ms", absl::StrCat(message_timestamp_before_max_ms)},
      {"message.timestamp.difference.max.ms", absl::StrCat(message_timestamp_difference_max_ms)},
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
      {"segment.jitter.ms", absl::StrCat(segment_jitter_ms)},
      {"segment.ms", absl::StrCat(segment_ms)},
  };
  for (const auto& [key, def] : IgnoredDefaults()) {
    auto it = ignored.find(key);
    out.emplace_back(key, it != ignored.end() ? it->second : def);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace keel::storage
