// Crash-safety of log compaction: a child process compacts a copy of the same
// log and dies (_exit, like kill -9: the page cache survives, the process
// does not) right before its N-th mutating file-system call, for N = 1, 2, ...
// until a round completes. After every crash the parent reopens the log and
// checks that recovery left a valid log that still answers every key with
// its newest value, never resurrects a deleted key and invents nothing, and
// that a later round reaches the fully compacted state.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "keel/storage/log.h"
#include "storage/log_test_util.h"

namespace keel::storage {
namespace {

using testing::KeyedBatch;
using testing::ReadRecords;
using testing::StoredRecord;
namespace fs = std::filesystem;

constexpr int kCrashedExit = 77;

// Forwards to a real FileSystem; dies before the `crash_at`-th mutation.
class CrashingFileSystem final : public FileSystem {
 public:
  explicit CrashingFileSystem(FileSystem* base) : base_(base) {}
  std::atomic<int64_t> crash_at{0};  // 0 = never
  std::atomic<int64_t> mutations{0};

  void Step() {
    int64_t n = ++mutations;
    if (crash_at > 0 && n >= crash_at) ::_exit(kCrashedExit);
  }
  absl::StatusOr<std::shared_ptr<FileHandle>> Open(const std::string& path, OpenMode mode) override {
    if (mode != OpenMode::kReadOnly && mode != OpenMode::kReadWrite) Step();
    auto f = base_->Open(path, mode);
    if (!f.ok()) return f.status();
    return std::shared_ptr<FileHandle>(std::make_shared<File>(this, std::move(*f)));
  }
  absl::Status Rename(const std::string& a, const std::string& b) override {
    Step();
    return base_->Rename(a, b);
  }
  absl::Status Unlink(const std::string& p) override {
    Step();
    return base_->Unlink(p);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& d) override { return base_->ListDir(d); }
  absl::Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  absl::Status RemoveDir(const std::string& d) override { return base_->RemoveDir(d); }
  absl::Status SyncDir(const std::string& d) override {
    Step();
    return base_->SyncDir(d);
  }
  absl::StatusOr<bool> Exists(const std::string& p) override { return base_->Exists(p); }
  absl::StatusOr<bool> IsDirectory(const std::string& p) override { return base_->IsDirectory(p); }

 private:
  class File final : public FileHandle {
   public:
    File(CrashingFileSystem* fs, std::shared_ptr<FileHandle> f) : fs_(fs), f_(std::move(f)) {}
    absl::Status PWrite(uint64_t o, std::span<const uint8_t> d) override {
      fs_->Step();
      return f_->PWrite(o, d);
    }
    absl::StatusOr<size_t> PRead(uint64_t o, std::span<uint8_t> out) const override { return f_->PRead(o, out); }
    absl::Status DataSync() override {
      fs_->Step();
      return f_->DataSync();
    }
    absl::Status Truncate(uint64_t s) override {
      fs_->Step();
      return f_->Truncate(s);
    }
    absl::Status Allocate(uint64_t o, uint64_t l) override { return f_->Allocate(o, l); }
    absl::StatusOr<uint64_t> Size() const override { return f_->Size(); }
    const std::string& path() const override { return f_->path(); }

   private:
    CrashingFileSystem* fs_;
    std::shared_ptr<FileHandle> f_;
  };
  FileSystem* base_;
};

LogConfig Config() {
  LogConfig c;
  c.cleanup_compact = true;
  c.cleanup_delete = false;
  c.segment_bytes = 4096;
  c.index_interval_bytes = 512;
  c.delete_retention_ms = 1000;
  return c;
}

constexpr int64_t kNow = 1700000000000;

absl::StatusOr<std::shared_ptr<Log>> OpenAt(const std::string& dir, FileSystem* fs) {
  LogOptions o;
  o.dir = dir;
  o.topic_partition = TopicPartition{"compact", PartitionId(0)};
  o.config = Config();
  o.fs = fs;
  o.clock_ms = [] { return kNow; };
  return Log::Open(std::move(o));
}

TEST(CompactionCrashTest, ACrashAtAnyStepLeavesAConsistentLog) {
  keel::testutil::TempDir tmp;
  auto posix = NewPosixFileSystem();
  const std::string original = JoinPath(tmp.str(), "original");
  std::map<std::string, std::string> newest;  // the fully compacted answer
  std::set<std::string> deleted;
  {
    auto log = *OpenAt(original, posix.get());
    auto append = [&](const std::string& key, std::optional<std::string> value, int64_t ts) {
      auto b = KeyedBatch({{key, value}}, ts);
      ASSERT_TRUE(log->Append(b).ok());
    };
    for (int i = 0; i < 600; ++i) {
      std::string key = "k" + std::to_string(i % 8);
      std::string value = "v" + std::to_string(i) + std::string(60, '.');
      append(key, value, kNow);
      newest[key] = value;
      if (i % 100 == 5) append("gone-" + std::to_string(i), "doomed", kNow);
      // Tombstones old enough to be dropped by this very round, well after
      // the values they delete (so a crash must never bring those back).
      if (i % 100 == 55) {
        append("gone-" + std::to_string(i - 50), std::nullopt, kNow - 5000);
        deleted.insert("gone-" + std::to_string(i - 50));
      }
    }
    ASSERT_TRUE(log->Roll().ok());
    ASSERT_TRUE(log->Close().ok());
  }
  std::set<std::pair<int64_t, std::string>> original_records;
  {
    auto log = *OpenAt(original, posix.get());
    for (const StoredRecord& r : ReadRecords(*log)) {
      original_records.insert({r.offset, *r.key + "=" + r.value.value_or("<null>")});
    }
    ASSERT_TRUE(log->Close().ok());
  }

  const std::string work = JoinPath(tmp.str(), "work");
  int64_t crashes = 0;
  for (int64_t step = 1;; ++step) {
    fs::remove_all(work);
    fs::copy(original, work, fs::copy_options::recursive);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      CrashingFileSystem crashing(posix.get());
      auto log = OpenAt(work, &crashing);
      if (!log.ok()) ::_exit(2);
      crashing.crash_at = crashing.mutations + step;
      auto r = (*log)->Compact({});
      ::_exit(r.ok() && r->ran ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    ASSERT_TRUE(code == 0 || code == kCrashedExit) << "child exit " << code << " at step " << step;

    auto log = OpenAt(work, posix.get());
    ASSERT_TRUE(log.ok()) << "step " << step << ": " << log.status();
    std::map<std::string, std::optional<std::string>> last;
    for (const StoredRecord& r : ReadRecords(**log)) {
      ASSERT_TRUE(original_records.count({r.offset, *r.key + "=" + r.value.value_or("<null>")}))
          << "step " << step << ": invented record at offset " << r.offset;
      last[*r.key] = r.value;
    }
    for (const auto& [key, value] : newest) {
      ASSERT_EQ(last[key], value) << "step " << step << ": wrong newest value of " << key;
    }
    for (const std::string& key : deleted) {
      auto it = last.find(key);
      ASSERT_TRUE(it == last.end() || !it->second) << "step " << step << ": " << key << " came back";
    }
    for (const auto& e : fs::directory_iterator(work)) {
      std::string name = e.path().filename().string();
      ASSERT_FALSE(name.ends_with(".swap") || name.ends_with(".cleaned"))
          << "step " << step << ": leftover " << name;
    }
    // A later round finishes the job.
    auto again = (*log)->Compact({});
    ASSERT_TRUE(again.ok()) << again.status();
    std::map<std::string, std::string> final_values;
    for (const StoredRecord& r : ReadRecords(**log)) final_values[*r.key] = r.value.value_or("<null>");
    ASSERT_EQ(final_values, newest) << "step " << step;
    if (code == 0) break;
    ++crashes;
  }
  EXPECT_GT(crashes, 50) << "the round should have many crash points";
  std::printf("compaction crash points exercised: %lld\n", static_cast<long long>(crashes));
}

}  // namespace
}  // namespace keel::storage
