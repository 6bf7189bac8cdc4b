// SimFileSystem: an in-memory storage::FileSystem that models a disk behind a
// page cache, with power cuts and injected I/O faults, deterministic from a
// seed.
//
// Model.
// - Every file (inode) has durable bytes and a list of unsynced operations
//   (writes, truncates, allocates) applied to its cached view. Reads see the
//   cached view. DataSync() makes that file's data and size durable.
// - Every directory has durable entries and a list of unsynced entry
//   operations (create, unlink, rename within the directory, mkdir, rmdir of
//   a child). SyncDir(dir) makes them durable. A file whose data is synced but
//   whose directory entry is not can vanish on a power cut.
// - PowerCut() replaces the cached state by a post-crash durable state: per
//   file, each unsynced operation is independently dropped, kept, or torn (a
//   write applied up to a random byte), or the operations are kept as an
//   ordered prefix with a torn last one; per directory, each unsynced entry
//   operation independently survives or not (a rename is one operation: the
//   entry is found under the old name or the new one, never both or
//   neither). Handles opened before the cut fail afterwards (FailedPrecondition).
// - Faults: DataSync/SyncDir can return an EIO-like InternalError (scripted or
//   at a seeded rate). As on Linux, the operations that sync covered are then
//   lost: they stay visible in the cache, but no later sync makes them
//   durable and a power cut drops them. PWrite/Allocate return
//   ResourceExhausted (ENOSPC) once the bytes held by all live files would
//   exceed the capacity; a PWrite writes what fits first, like a short write
//   followed by ENOSPC. PRead can return EIO at a seeded rate.
// - Only renames within one directory are supported (Unimplemented otherwise).
//
// Determinism: every random choice comes from the seed, in call order, so a
// single-threaded test replays exactly. Thread-safety: all methods are
// thread-safe (one mutex). Ownership: handles keep their inode alive; they
// must not outlive the SimFileSystem.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "keel/storage/file_system.h"

namespace keel::testing {

struct SimFaults {
  double data_sync_eio_rate = 0;  // probability a DataSync fails with EIO
  double dir_sync_eio_rate = 0;   // probability a SyncDir fails with EIO
  double read_eio_rate = 0;       // probability a PRead fails with EIO
  std::optional<uint64_t> capacity_bytes;  // ENOSPC beyond this many bytes
};

struct SimStats {
  uint64_t data_syncs = 0;
  uint64_t dir_syncs = 0;
  uint64_t injected_eio = 0;
  uint64_t injected_enospc = 0;
  uint64_t power_cuts = 0;
};

class SimFileSystem final : public storage::FileSystem {
 public:
  explicit SimFileSystem(uint64_t seed);
  ~SimFileSystem() override;

  // --- storage::FileSystem ---
  absl::StatusOr<std::shared_ptr<storage::FileHandle>> Open(const std::string& path,
                                                            storage::OpenMode mode) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Unlink(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status RemoveDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<bool> IsDirectory(const std::string& path) override;

  // --- fault control ---
  void SetFaults(const SimFaults& faults);
  SimFaults faults() const;
  // The next `n` DataSync calls on files whose path contains `path_part`
  // (any file if empty) fail with EIO.
  void FailNextDataSyncs(int n, std::string path_part = "");
  void FailNextDirSyncs(int n);
  // Bytes held by live files (linked or still open), cached view.
  uint64_t used_bytes() const;

  // Power loss: see the model above. Everything not durable may be lost.
  void PowerCut();
  // Makes everything durable (a clean machine shutdown).
  void SyncAll();
  SimStats stats() const;
  // A one-line description of the durable and cached trees (debugging).
  std::string Describe() const;

  struct Inode;
  struct Dir;

 private:
  class Handle;
  friend class Handle;

  // Resolves the parent directory of `path` (cached view) and the last name.
  absl::StatusOr<std::pair<Dir*, std::string>> ParentOf(const std::string& path) const;
  Dir* FindDir(const std::string& path) const;
  bool Chance(double p);
  uint64_t Below(uint64_t n);  // uniform in [0, n); 0 if n == 0
  uint64_t UsedLocked() const;
  absl::Status CheckLive(const Inode& inode) const;
  absl::Status WriteLocked(Inode& inode, const std::string& path, uint64_t offset,
                           std::span<const uint8_t> data);
  absl::Status DataSyncLocked(Inode& inode, const std::string& path);
  void PowerCutDir(Dir& dir);
  void SyncAllDir(Dir& dir);

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  SimFaults faults_;
  int fail_data_syncs_ = 0;
  std::string fail_data_sync_path_part_;
  int fail_dir_syncs_ = 0;
  uint64_t generation_ = 1;  // bumped by PowerCut; older inodes are dead
  std::shared_ptr<Dir> root_;
  std::vector<std::weak_ptr<Inode>> inodes_;  // every inode ever made (pruned)
  SimStats stats_;
};

}  // namespace keel::testing
