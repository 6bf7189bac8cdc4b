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
// CrashAfter(n) crashes on the n-th next call of this interface (file
// handles go straight to the SimFileSystem and do not count), to cut the
// power in the middle of an operation such as a topic create.
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
  void Revive() {
    countdown_.store(-1);
    dead_.store(false);
  }
  // The n-th next call (n >= 1) crashes first and fails; n < 1 disarms.
  void CrashAfter(int n) { countdown_.store(n < 1 ? -1 : n); }
  bool crashed() const { return dead_.load(); }
  SimFileSystem& sim() { return *sim_; }

  absl::StatusOr<std::shared_ptr<storage::FileHandle>> Open(const std::string& path,
                                                            storage::OpenMode mode) override {
    if (Down()) return Dead();
    return sim_->Open(path, mode);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return Down() ? Dead() : sim_->Rename(from, to);
  }
  absl::Status Unlink(const std::string& path) override {
    return Down() ? Dead() : sim_->Unlink(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    if (Down()) return Dead();
    return sim_->ListDir(dir);
  }
  absl::Status CreateDir(const std::string& dir) override {
    return Down() ? Dead() : sim_->CreateDir(dir);
  }
  absl::Status RemoveDir(const std::string& dir) override {
    return Down() ? Dead() : sim_->RemoveDir(dir);
  }
  absl::Status SyncDir(const std::string& dir) override {
    return Down() ? Dead() : sim_->SyncDir(dir);
  }
  absl::StatusOr<bool> Exists(const std::string& path) override {
    if (Down()) return Dead();
    return sim_->Exists(path);
  }
  absl::StatusOr<bool> IsDirectory(const std::string& path) override {
    if (Down()) return Dead();
    return sim_->IsDirectory(path);
  }

 private:
  static absl::Status Dead() { return absl::UnavailableError("simulated machine is down"); }
  // Whether this call must fail: the machine is down, or the countdown of
  // CrashAfter reaches zero now (then it goes down first).
  bool Down() {
    if (dead_.load()) return true;
    int c = countdown_.load();
    while (c > 0 && !countdown_.compare_exchange_weak(c, c - 1)) {
    }
    if (c == 1) {
      Crash();
      return true;
    }
    return dead_.load();
  }

  SimFileSystem* sim_;
  std::atomic<bool> dead_{false};
  std::atomic<int> countdown_{-1};
};

}  // namespace keel::testing
