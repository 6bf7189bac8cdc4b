// Test FileSystem wrapper: forwards to a real FileSystem, counts fdatasync
// calls and can be told to fail them (to test offline handling).
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "keel/storage/file_system.h"

namespace keel::storage::testing {

class CountingFileSystem final : public FileSystem {
 public:
  explicit CountingFileSystem(FileSystem* base) : base_(base) {}

  std::atomic<int> data_syncs{0};
  std::atomic<int> dir_syncs{0};
  std::atomic<bool> fail_data_sync{false};
  // If set, runs at the start of every fdatasync (e.g. to hold the flusher).
  std::function<void()> before_data_sync;
  // If set, runs after every directory fsync with its result (e.g. to hold
  // a thread between a failed fsync and its caller's reaction).
  std::function<void(const absl::Status&)> after_sync_dir;

  absl::StatusOr<std::shared_ptr<FileHandle>> Open(const std::string& path, OpenMode mode) override {
    auto f = base_->Open(path, mode);
    if (!f.ok()) return f.status();
    return std::shared_ptr<FileHandle>(std::make_shared<File>(this, std::move(*f)));
  }
  absl::Status Rename(const std::string& a, const std::string& b) override { return base_->Rename(a, b); }
  absl::Status Unlink(const std::string& p) override { return base_->Unlink(p); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& d) override { return base_->ListDir(d); }
  absl::Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  absl::Status RemoveDir(const std::string& d) override { return base_->RemoveDir(d); }
  absl::Status SyncDir(const std::string& d) override {
    dir_syncs++;
    absl::Status s = base_->SyncDir(d);
    if (after_sync_dir) after_sync_dir(s);
    return s;
  }
  absl::StatusOr<bool> Exists(const std::string& p) override { return base_->Exists(p); }
  absl::StatusOr<bool> IsDirectory(const std::string& p) override { return base_->IsDirectory(p); }

 private:
  class File final : public FileHandle {
   public:
    File(CountingFileSystem* fs, std::shared_ptr<FileHandle> f) : fs_(fs), f_(std::move(f)) {}
    absl::Status PWrite(uint64_t o, std::span<const uint8_t> d) override { return f_->PWrite(o, d); }
    absl::StatusOr<size_t> PRead(uint64_t o, std::span<uint8_t> out) const override { return f_->PRead(o, out); }
    absl::Status DataSync() override {
      if (fs_->before_data_sync) fs_->before_data_sync();
      if (fs_->fail_data_sync) return absl::InternalError("injected fdatasync failure");
      fs_->data_syncs++;
      return f_->DataSync();
    }
    absl::Status Truncate(uint64_t s) override { return f_->Truncate(s); }
    absl::Status Allocate(uint64_t o, uint64_t l) override { return f_->Allocate(o, l); }
    absl::StatusOr<uint64_t> Size() const override { return f_->Size(); }
    const std::string& path() const override { return f_->path(); }
    int native_handle() const override { return f_->native_handle(); }

   private:
    CountingFileSystem* fs_;
    std::shared_ptr<FileHandle> f_;
  };
  FileSystem* base_;
};

}  // namespace keel::storage::testing
