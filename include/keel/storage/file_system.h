// The file-system interface every byte of storage I/O goes through.
//
// Storage never calls POSIX directly: the owner (PartitionManager, a test, a
// benchmark) passes a FileSystem* in, so tests can count or fail syncs, and
// tests/testutil/sim_file_system.h (SimFileSystem: a page cache, power cuts,
// injected I/O errors) and crashable_file_system.h (a whole-machine crash
// under live objects) stand in for the disk.
// There is no global default instance; NewPosixFileSystem() makes one.
//
// Thread-safety: a FileSystem is safe to use from many threads. A FileHandle
// is safe for concurrent PRead/PWrite at disjoint ranges and concurrent
// DataSync; the caller orders writes against reads of the same range.
// Ownership: handles are shared_ptr so a reader's file slice keeps the file
// open after the owning segment is deleted (unlink of an open file is fine).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel::storage {

class FileHandle {
 public:
  virtual ~FileHandle() = default;

  // Writes all of `data` at `offset` (retries short writes).
  virtual absl::Status PWrite(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Reads up to out.size() bytes at `offset`; returns the count, which is
  // smaller than requested only at end of file.
  virtual absl::StatusOr<size_t> PRead(uint64_t offset, std::span<uint8_t> out) const = 0;
  // fdatasync(2): makes written data (and the size if it changed) durable.
  virtual absl::Status DataSync() = 0;
  // ftruncate(2).
  virtual absl::Status Truncate(uint64_t size) = 0;
  // fallocate(2) mode 0: reserves [offset, offset+length) and extends the
  // file size; the new region reads as zeros.
  virtual absl::Status Allocate(uint64_t offset, uint64_t length) = 0;
  // Current file size (fstat).
  virtual absl::StatusOr<uint64_t> Size() const = 0;
  virtual const std::string& path() const = 0;
  // The OS descriptor for sendfile(2), or -1 if the implementation has none.
  virtual int native_handle() const { return -1; }
};

enum class OpenMode {
  kReadOnly,         // must exist
  kReadWrite,        // must exist
  kCreate,           // read-write, created if missing
  kCreateExclusive,  // read-write, AlreadyExists if present
  kCreateTruncate,   // read-write, created or emptied
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // NotFound if the file is missing and the mode does not create it.
  virtual absl::StatusOr<std::shared_ptr<FileHandle>> Open(const std::string& path,
                                                           OpenMode mode) = 0;
  // rename(2); atomic replacement of `to` if it exists.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // unlink(2); NotFound if missing.
  virtual absl::Status Unlink(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // mkdir(2); OK if the directory already exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  // rmdir(2) of an empty directory.
  virtual absl::Status RemoveDir(const std::string& dir) = 0;
  // fsync(2) of a directory: makes creates, renames and unlinks in it durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;
  virtual absl::StatusOr<bool> IsDirectory(const std::string& path) = 0;
};

// A FileSystem over POSIX calls. Safe to share; holds no state.
std::unique_ptr<FileSystem> NewPosixFileSystem();

// Joins a directory and a name with '/'.
std::string JoinPath(std::string_view dir, std::string_view name);

// Replaces `dir/name` with `contents` crash-safely: write `dir/name.tmp`,
// fdatasync, rename over `dir/name`, fsync `dir`.
absl::Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                                 std::string_view contents);

// Reads a whole (small) file.
absl::StatusOr<std::string> ReadFileToString(FileSystem& fs, const std::string& path);

// Removes `dir` and everything below it, then fsyncs its parent.
absl::Status RemoveTree(FileSystem& fs, const std::string& dir);

}  // namespace keel::storage
