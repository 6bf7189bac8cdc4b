// CrashableFileSystem: a storage::FileSystem in front of a SimFileSystem that
// can simulate the death of the whole machine while objects that use it (a
// PartitionManager, its logs and threads) are still alive.
//
// Crash() makes every later call fail (Unavailable) and cuts the power of
// the SimFileSystem, so handles opened before fail too. The caller then
// destroys its objects (their shutdown paths write nothing: every write,
// create, rename and sync fails), and Revive() lets the next incarnation
// open the post-crash state. Without this, a destructor that shuts down
// cleanly (flush + clean-shutdown markers) would run after the "crash".
//
// Thread-safety: thread-safe (the flag is atomic; SimFileSystem is
// thread-safe). Ownership: `sim` is not owned and must outlive this object.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "keel/storage/file_system.h"
#include "testutil/sim_file_system.h"

namespace keel::testing {

class CrashableFileSystem final : public storage::FileSystem {
 public:
  explicit CrashableFileSystem(SimFileSystem* sim) : sim_(sim) {}

  // Power cut now; every later call fails until Revive().
  void Crash() {
    dead_.store(true);
    sim_->PowerCut();
  }
  void Revive() { dead_.store(false); }
  SimFileSystem& sim() { return *sim_; }

  absl::StatusOr<std::shared_ptr<storage::FileHandle>> Open(const std::string& path,
                                                            storage::OpenMode mode) override {
    if (dead_.load()) return Dead();
    return sim_->Open(path, mode);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return dead_.load() ? Dead() : sim_->Rename(from, to);
  }
  absl::Status Unlink(const std::string& path) override {
    return dead_.load() ? Dead() : sim_->Unlink(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    if (dead_.load()) return Dead();
    return sim_->ListDir(dir);
  }
  absl::Status CreateDir(const std::string& dir) override {
    return dead_.load() ? Dead() : sim_->CreateDir(dir);
  }
  absl::Status RemoveDir(const std::string& dir) override {
    return dead_.load() ? Dead() : sim_->RemoveDir(dir);
  }
  absl::Status SyncDir(const std::string& dir) override {
    return dead_.load() ? Dead() : sim_->SyncDir(dir);
  }
  absl::StatusOr<bool> Exists(const std::string& path) override {
    if (dead_.load()) return Dead();
    return sim_->Exists(path);
  }
  absl::StatusOr<bool> IsDirectory(const std::string& path) override {
    if (dead_.load()) return Dead();
    return sim_->IsDirectory(path);
  }

 private:
  static absl::Status Dead() { return absl::UnavailableError("simulated machine is down"); }

  SimFileSystem* sim_;
  std::atomic<bool> dead_{false};
};

}  // namespace keel::testing
