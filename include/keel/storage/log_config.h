// Per-topic log settings and their parsing from Kafka topic config keys.
//
// A LogConfig is a plain value: the broker default (from the server config)
// plus a topic's overrides applied by WithOverrides(). Unknown keys and bad
// values are rejected with InvalidArgument naming the key. Every key of
// Kafka's topic config list is known here: most are implemented, a few are
// accepted, validated as Kafka validates them and ignored (kept only to be
// described back), and remote.storage.enable=true is refused; the table
// with the reasons is docs/topic-configs.md. Thread-safety: a value type;
// copy it freely.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/common/recompress.h"

namespace keel::storage {

enum class TimestampType { kCreateTime, kLogAppendTime };

struct LogConfig {
  int64_t segment_bytes = 1LL << 30;                 // segment.bytes
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;       // segment.ms
  int64_t segment_index_bytes = 10 * 1024 * 1024;    // segment.index.bytes (index full)
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;     // retention.ms, -1 = infinite
  int64_t retention_bytes = -1;                      // retention.bytes, -1 = infinite
  int64_t index_interval_bytes = 4096;               // index.interval.bytes
  int64_t max_message_bytes = 1048588;               // max.message.bytes (per batch)
  int64_t flush_ms = -1;                             // flush.ms, -1 = fsync before ack
  TimestampType message_timestamp_type = TimestampType::kCreateTime;
  bool cleanup_compact = false;                      // cleanup.policy contains compact
  bool cleanup_delete = true;                        // cleanup.policy contains delete
  int64_t delete_retention_ms = 24LL * 3600 * 1000;  // delete.retention.ms
  int64_t min_compaction_lag_ms = 0;                 // min.compaction.lag.ms
  int64_t max_compaction_lag_ms = INT64_MAX;         // max.compaction.lag.ms
  double min_cleanable_dirty_ratio = 0.5;            // min.cleanable.dirty.ratio
  int32_t min_insync_replicas = 1;                   // min.insync.replicas (stored)
  // Bytes reserved with fallocate when a segment is created (0 = none).
  // Topic key `preallocate=true` sets it to segment_bytes.
  int64_t preallocate_bytes = 0;
  // Re-check the CRC of every batch in Log::Append (off: the caller validated).
  bool verify_crc_on_append = false;
  // compression.type: "producer" keeps each batch's codec, anything else is
  // the codec every produced batch is recompressed to on append.
  CompressionTarget compression;
  int32_t compression_gzip_level = -1;   // compression.gzip.level (-1 = zlib default)
  int32_t compression_lz4_level = 9;     // compression.lz4.level
  int32_t compression_zstd_level = 3;    // compression.zstd.level
  // segment.jitter.ms: the active segment rolls at segment.ms minus a
  // per-segment pseudo-random jitter in [0, min(jitter, segment.ms)).
  int64_t segment_jitter_ms = 0;
  // message.timestamp.before.max.ms / after.max.ms (CreateTime topics): how
  // far a record's timestamp may lie before / after the broker's clock.
  // message.timestamp.difference.max.ms (deprecated) sets both unless they
  // are given themselves.
  int64_t message_timestamp_before_max_ms = INT64_MAX;
  int64_t message_timestamp_after_max_ms = INT64_MAX;
  int64_t message_timestamp_difference_max_ms = INT64_MAX;  // as given, for Describe()
  // Values given for keys Keel accepts and ignores (docs/topic-configs.md
  // says why); Describe() shows Kafka's default for the others. Usually empty.
  std::map<std::string, std::string> ignored;

  // The codec and level batches are rewritten to (compression.type and the
  // level key of that codec).
  CompressionTarget compression_target() const;

  bool fsync_before_ack() const { return flush_ms < 0; }

  // Returns a copy with Kafka topic config keys applied. InvalidArgument
  // names the first unknown key or bad value.
  absl::StatusOr<LogConfig> WithOverrides(const std::map<std::string, std::string>& overrides) const;

  // Every topic config key this broker knows, with this config's value as a
  // string in Kafka's spelling (for DescribeConfigs), sorted by key.
  std::vector<std::pair<std::string, std::string>> Describe() const;
};

// The known topic config keys (implemented and accepted-and-ignored), sorted.
const std::vector<std::string>& KnownTopicConfigKeys();

// True for a key Keel accepts and validates but ignores.
bool IsIgnoredTopicConfig(const std::string& key);

}  // namespace keel::storage
