// Keel's on-disk format for partition logs. The full prose specification is
// docs/storage-format.md; this header holds the names and constants both the
// writer (Segment/Log) and the loader (recovery) use, so neither owns them.
//
// The directory layout, every file's encoding, index rules and the atomic
// replacement of small files are specified in docs/storage-format.md
// ("Directory layout" onwards); keep that document and these constants in
// step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace keel::storage {

inline constexpr std::string_view kLogSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTimeIndexSuffix = ".timeindex";
inline constexpr std::string_view kTempSuffix = ".tmp";
inline constexpr std::string_view kDeletedSuffix = ".deleted";
inline constexpr std::string_view kCleanedSuffix = ".cleaned";
inline constexpr std::string_view kSwapSuffix = ".swap";
inline constexpr std::string_view kCheckpointFile = "checkpoint";
inline constexpr std::string_view kCleanerCheckpointFile = "cleaner_checkpoint";
inline constexpr std::string_view kProducerSnapshotFile = "producer_state";
inline constexpr std::string_view kCleanShutdownFile = "clean_shutdown";
inline constexpr std::string_view kDeletedDirSuffix = "-delete";

inline constexpr size_t kOffsetIndexEntrySize = 8;
inline constexpr size_t kTimeIndexEntrySize = 12;
inline constexpr int kSegmentNameDigits = 20;

// "00000000000000000042" for 42.
std::string SegmentBaseName(int64_t base_offset);
// "<20 digits><suffix>".
std::string SegmentFileName(int64_t base_offset, std::string_view suffix);
// Parses "<20 digits><suffix>" with exactly that suffix; nullopt otherwise.
std::optional<int64_t> ParseSegmentFileName(std::string_view name, std::string_view suffix);

// "<20 digits>-<20 digits>.swap": the swap file of a cleaned segment group
// replacing the segments whose base offsets lie in [base, end).
std::string SwapFileName(int64_t base_offset, int64_t end_offset);
struct SwapRange {
  int64_t base;
  int64_t end;
};
// nullopt unless `name` is exactly what SwapFileName writes, with base < end.
std::optional<SwapRange> ParseSwapFileName(std::string_view name);

// "<topic>-<partition>".
std::string PartitionDirName(std::string_view topic, int32_t partition);
// Splits at the LAST '-'; nullopt if there is none, the topic is empty, or
// the tail is not a non-negative decimal partition number.
struct ParsedPartitionDir {
  std::string topic;
  int32_t partition;
};
std::optional<ParsedPartitionDir> ParsePartitionDirName(std::string_view name);

// The per-partition checkpoint file. Text, one field per line:
//   keel-checkpoint 1
//   recovery_point <offset>     every offset below is fsynced and valid
//   log_start_offset <offset>
struct Checkpoint {
  int64_t recovery_point = 0;
  int64_t log_start_offset = 0;
};
std::string EncodeCheckpoint(const Checkpoint& c);
// DataLoss if the text is not a well-formed checkpoint.
absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text);

// The per-partition cleaner checkpoint. Text, one field per line:
//   keel-cleaner-checkpoint 1
//   clean_offset <offset>               offsets below were compacted
//   next_tombstone_expiry_ms <ms>       when a kept tombstone may go (-1: none)
struct CleanerCheckpoint {
  int64_t clean_offset = 0;
  int64_t next_tombstone_expiry_ms = -1;
};
std::string EncodeCleanerCheckpoint(const CleanerCheckpoint& c);
// DataLoss if the text is not a well-formed cleaner checkpoint.
absl::StatusOr<CleanerCheckpoint> DecodeCleanerCheckpoint(std::string_view text);

}  // namespace keel::storage
