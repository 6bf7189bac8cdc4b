// DirLock: an exclusive, process-lifetime lock on a directory, so two
// processes never open the same data directory at once.
//
// The lock is a kernel record lock (fcntl F_OFD_SETLK, write lock over the
// whole file) on `<dir>/.lock`. It belongs to the open file description, so
// it is released when the DirLock is destroyed (or the process dies, even by
// SIGKILL): a `.lock` file left behind by a killed process does not block the
// next one. The holder writes its pid into the file so a refused process can
// name it; the pid is informational only, the kernel lock is what counts.
// The file is never removed.
//
// Thread-safety: a DirLock is not shared between threads; Acquire may be
// called from any thread. Two DirLocks on the same dir conflict even inside
// one process (distinct open file descriptions).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace keel::storage {

inline constexpr std::string_view kDirLockFile = ".lock";

class DirLock {
 public:
  // Creates `dir` if missing, then takes the lock without waiting.
  // FailedPrecondition naming the dir (and the holder's pid when the lock
  // file names one) if another open file description holds it; other errors
  // for I/O failures.
  static absl::StatusOr<DirLock> Acquire(const std::string& dir);

  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();  // Release()

  // Drops the lock (closes the file). Idempotent.
  void Release();
  const std::string& dir() const { return dir_; }

 private:
  DirLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_ = -1;
};

}  // namespace keel::storage
