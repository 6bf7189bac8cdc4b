// Hands out producer ids that are never reused, across restarts too.
//
// Ids are reserved in blocks: before the first id of a block is returned,
// the end of the block is written durably (temp + fsync + rename + dir fsync)
// to `<dir>/producer_id_block`. After a crash the next start resumes after
// the last reserved block, so ids handed out before the crash are skipped,
// never repeated. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "keel/storage/file_system.h"

namespace keel::server {

class ProducerIdAllocator {
 public:
  static constexpr int64_t kBlockSize = 1000;

  // Loads the reservation file from `dir` (missing: start at 0).
  static absl::StatusOr<std::unique_ptr<ProducerIdAllocator>> Open(storage::FileSystem& fs,
                                                                   std::string dir);
  absl::StatusOr<int64_t> Next();

 private:
  ProducerIdAllocator(storage::FileSystem& fs, std::string dir, int64_t next)
      : fs_(fs), dir_(std::move(dir)), next_(next), reserved_end_(next) {}

  storage::FileSystem& fs_;
  const std::string dir_;
  std::mutex mu_;
  int64_t next_;          // next id to hand out
  int64_t reserved_end_;  // ids < reserved_end_ are durably reserved
};

}  // namespace keel::server
