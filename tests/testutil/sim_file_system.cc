// SimFileSystem: in-memory disk with a page cache, power cuts and faults
// (see sim_file_system.h).
#include "testutil/sim_file_system.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace keel::testing {

using storage::FileHandle;
using storage::OpenMode;

struct SimFileSystem::Inode {
  struct Op {
    enum Kind { kWrite, kTruncate, kAllocate } kind;
    uint64_t offset = 0;  // write/allocate start; truncate: the new size
    uint64_t length = 0;  // allocate length
    std::vector<uint8_t> bytes;
  };
  uint64_t generation = 0;
  std::vector<uint8_t> data;     // what reads see (page cache)
  std::vector<uint8_t> durable;  // what survives a power cut for sure
  std::vector<Op> pending;       // unsynced, in issue order
};

namespace {

struct Entry {
  std::shared_ptr<SimFileSystem::Inode> file;
  std::shared_ptr<SimFileSystem::Dir> dir;
};

}  // namespace

struct SimFileSystem::Dir {
  struct Op {
    enum Kind { kLink, kUnlink, kRename } kind;
    std::string name;  // link/unlink name; rename source
    std::string to;    // rename target
    Entry entry;       // link/rename: what the name points at
  };
  std::map<std::string, Entry> entries;  // cached view
  std::map<std::string, Entry> durable;
  std::vector<Op> pending;
};

namespace {

using Inode = SimFileSystem::Inode;
using Dir = SimFileSystem::Dir;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty() && cur != ".") parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty() && cur != ".") parts.push_back(cur);
  return parts;
}

void ApplyOp(std::vector<uint8_t>& data, const Inode::Op& op, size_t write_bytes) {
  switch (op.kind) {
    case Inode::Op::kWrite: {
      size_t n = std::min(write_bytes, op.bytes.size());
      if (n == 0) return;
      if (data.size() < op.offset + n) data.resize(op.offset + n, 0);
      std::memcpy(data.data() + op.offset, op.bytes.data(), n);
      return;
    }
    case Inode::Op::kTruncate:
      data.resize(op.offset, 0);
      return;
    case Inode::Op::kAllocate:
      if (data.size() < op.offset + op.length) data.resize(op.offset + op.length, 0);
      return;
  }
}

void ApplyDirOp(std::map<std::string, Entry>& entries, const Dir::Op& op) {
  switch (op.kind) {
    case Dir::Op::kLink:
      entries[op.name] = op.entry;
      return;
    case Dir::Op::kUnlink:
      entries.erase(op.name);
      return;
    case Dir::Op::kRename:
      entries.erase(op.name);
      entries[op.to] = op.entry;
      return;
  }
}

absl::Status Eio(const std::string& op, const std::string& path) {
  return absl::InternalError(absl::StrCat(op, " ", path, ": Input/output error (injected)"));
}

}  // namespace

class SimFileSystem::Handle final : public FileHandle {
 public:
  Handle(SimFileSystem* fs, std::shared_ptr<Inode> inode, std::string path)
      : fs_(fs), inode_(std::move(inode)), path_(std::move(path)) {}

  absl::Status PWrite(uint64_t offset, std::span<const uint8_t> data) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    return fs_->WriteLocked(*inode_, path_, offset, data);
  }

  absl::StatusOr<size_t> PRead(uint64_t offset, std::span<uint8_t> out) const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    if (fs_->Chance(fs_->faults_.read_eio_rate)) {
      fs_->stats_.injected_eio++;
      return Eio("pread", path_);
    }
    const auto& d = inode_->data;
    if (offset >= d.size()) return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), d.size() - offset);
    std::memcpy(out.data(), d.data() + offset, n);
    return n;
  }

  absl::Status DataSync() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    return fs_->DataSyncLocked(*inode_, path_);
  }

  absl::Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    Inode::Op op{Inode::Op::kTruncate, size, 0, {}};
    ApplyOp(inode_->data, op, 0);
    inode_->pending.push_back(std::move(op));
    return absl::OkStatus();
  }

  absl::Status Allocate(uint64_t offset, uint64_t length) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    uint64_t end = offset + length;
    uint64_t size = inode_->data.size();
    if (end > size && fs_->faults_.capacity_bytes &&
        fs_->UsedLocked() + (end - size) > *fs_->faults_.capacity_bytes) {
      fs_->stats_.injected_enospc++;
      return absl::ResourceExhaustedError(
          absl::StrCat("fallocate ", path_, ": No space left on device (simulated)"));
    }
    Inode::Op op{Inode::Op::kAllocate, offset, length, {}};
    ApplyOp(inode_->data, op, 0);
    inode_->pending.push_back(std::move(op));
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (auto s = fs_->CheckLive(*inode_); !s.ok()) return s;
    return uint64_t(inode_->data.size());
  }

  const std::string& path() const override { return path_; }

 private:
  SimFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
};

SimFileSystem::SimFileSystem(uint64_t seed) : rng_(seed), root_(std::make_shared<Dir>()) {}

SimFileSystem::~SimFileSystem() = default;

bool SimFileSystem::Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return double(rng_() >> 11) * (1.0 / 9007199254740992.0) < p;
}

uint64_t SimFileSystem::Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

absl::Status SimFileSystem::CheckLive(const Inode& inode) const {
  if (inode.generation != generation_) {
    return absl::FailedPreconditionError("file handle opened before a simulated power cut");
  }
  return absl::OkStatus();
}

uint64_t SimFileSystem::UsedLocked() const {
  uint64_t used = 0;
  for (const auto& weak : inodes_) {
    if (auto inode = weak.lock(); inode && inode->generation == generation_) used += inode->data.size();
  }
  return used;
}

uint64_t SimFileSystem::used_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UsedLocked();
}

absl::Status SimFileSystem::WriteLocked(Inode& inode, const std::string& path, uint64_t offset,
                                        std::span<const uint8_t> data) {
  size_t n = data.size();
  bool full = false;
  uint64_t size = inode.data.size();
  if (faults_.capacity_bytes && offset + n > size) {
    uint64_t used = UsedLocked();
    uint64_t room = used >= *faults_.capacity_bytes ? 0 : *faults_.capacity_bytes - used;
    if (offset + n - size > room) {
      full = true;
      uint64_t fit_end = size + room;
      n = fit_end > offset ? size_t(fit_end - offset) : 0;
    }
  }
  if (n > 0) {
    Inode::Op op{Inode::Op::kWrite, offset, 0, std::vector<uint8_t>(data.begin(), data.begin() + n)};
    ApplyOp(inode.data, op, n);
    inode.pending.push_back(std::move(op));
  }
  if (full) {
    stats_.injected_enospc++;
    return absl::ResourceExhaustedError(
        absl::StrCat("pwrite ", path, ": No space left on device (simulated, ", n, " of ",
                     data.size(), " bytes written)"));
  }
  return absl::OkStatus();
}

absl::Status SimFileSystem::DataSyncLocked(Inode& inode, const std::string& path) {
  stats_.data_syncs++;
  bool fail = false;
  if (fail_data_syncs_ > 0 &&
      (fail_data_sync_path_part_.empty() || path.find(fail_data_sync_path_part_) != std::string::npos)) {
    fail_data_syncs_--;
    fail = true;
  } else if (Chance(faults_.data_sync_eio_rate)) {
    fail = true;
  }
  if (fail) {
    // Linux: the dirty pages are marked clean and their contents are lost
    // for durability; a later fsync reports success without writing them.
    stats_.injected_eio++;
    inode.pending.clear();
    return Eio("fdatasync", path);
  }
  for (const auto& op : inode.pending) ApplyOp(inode.durable, op, op.bytes.size());
  inode.pending.clear();
  return absl::OkStatus();
}

Dir* SimFileSystem::FindDir(const std::string& path) const {
  Dir* d = root_.get();
  for (const std::string& part : SplitPath(path)) {
    auto it = d->entries.find(part);
    if (it == d->entries.end() || !it->second.dir) return nullptr;
    d = it->second.dir.get();
  }
  return d;
}

absl::StatusOr<std::pair<Dir*, std::string>> SimFileSystem::ParentOf(const std::string& path) const {
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty()) return absl::InvalidArgumentError(absl::StrCat("bad path '", path, "'"));
  Dir* d = root_.get();
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto it = d->entries.find(parts[i]);
    if (it == d->entries.end() || !it->second.dir) {
      return absl::NotFoundError(absl::StrCat(path, ": parent directory missing"));
    }
    d = it->second.dir.get();
  }
  return std::make_pair(d, parts.back());
}

absl::StatusOr<std::shared_ptr<FileHandle>> SimFileSystem::Open(const std::string& path, OpenMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  auto parent = ParentOf(path);
  if (!parent.ok()) return parent.status();
  auto [dir, name] = *parent;
  auto it = dir->entries.find(name);
  if (it != dir->entries.end()) {
    if (it->second.dir) return absl::FailedPreconditionError(absl::StrCat(path, " is a directory"));
    if (mode == OpenMode::kCreateExclusive) {
      return absl::AlreadyExistsError(absl::StrCat("open ", path, ": File exists"));
    }
    std::shared_ptr<Inode> inode = it->second.file;
    if (mode == OpenMode::kCreateTruncate && !inode->data.empty()) {
      Inode::Op op{Inode::Op::kTruncate, 0, 0, {}};
      ApplyOp(inode->data, op, 0);
      inode->pending.push_back(std::move(op));
    }
    return std::shared_ptr<FileHandle>(std::make_shared<Handle>(this, inode, path));
  }
  if (mode == OpenMode::kReadOnly || mode == OpenMode::kReadWrite) {
    return absl::NotFoundError(absl::StrCat("open ", path, ": No such file or directory"));
  }
  auto inode = std::make_shared<Inode>();
  inode->generation = generation_;
  inodes_.push_back(inode);
  Entry e{inode, nullptr};
  dir->entries[name] = e;
  dir->pending.push_back({Dir::Op::kLink, name, "", e});
  if (inodes_.size() > 4096) {
    inodes_.erase(std::remove_if(inodes_.begin(), inodes_.end(), [](const auto& w) { return w.expired(); }),
                  inodes_.end());
  }
  return std::shared_ptr<FileHandle>(std::make_shared<Handle>(this, inode, path));
}

absl::Status SimFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto src = ParentOf(from);
  if (!src.ok()) return src.status();
  auto dst = ParentOf(to);
  if (!dst.ok()) return dst.status();
  if (src->first != dst->first) {
    return absl::UnimplementedError("SimFileSystem renames only within one directory");
  }
  Dir* dir = src->first;
  auto it = dir->entries.find(src->second);
  if (it == dir->entries.end()) {
    return absl::NotFoundError(absl::StrCat("rename ", from, ": No such file or directory"));
  }
  if (src->second == dst->second) return absl::OkStatus();
  Entry e = it->second;
  auto target = dir->entries.find(dst->second);
  if (target != dir->entries.end() && target->second.dir && !target->second.dir->entries.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("rename ", to, ": Directory not empty"));
  }
  dir->entries.erase(it);
  dir->entries[dst->second] = e;
  dir->pending.push_back({Dir::Op::kRename, src->second, dst->second, e});
  return absl::OkStatus();
}

absl::Status SimFileSystem::Unlink(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto parent = ParentOf(path);
  if (!parent.ok()) return parent.status();
  auto [dir, name] = *parent;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) {
    return absl::NotFoundError(absl::StrCat("unlink ", path, ": No such file or directory"));
  }
  if (it->second.dir) return absl::FailedPreconditionError(absl::StrCat("unlink ", path, ": Is a directory"));
  dir->entries.erase(it);
  dir->pending.push_back({Dir::Op::kUnlink, name, "", {}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SimFileSystem::ListDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  Dir* dir = FindDir(path);
  if (dir == nullptr) return absl::NotFoundError(absl::StrCat("opendir ", path, ": No such directory"));
  std::vector<std::string> names;
  for (const auto& [name, e] : dir->entries) names.push_back(name);
  return names;
}

absl::Status SimFileSystem::CreateDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (SplitPath(path).empty()) return absl::OkStatus();  // the root
  auto parent = ParentOf(path);
  if (!parent.ok()) return parent.status();
  auto [dir, name] = *parent;
  auto it = dir->entries.find(name);
  if (it != dir->entries.end()) {
    if (it->second.dir) return absl::OkStatus();
    return absl::AlreadyExistsError(absl::StrCat("mkdir ", path, ": File exists"));
  }
  Entry e{nullptr, std::make_shared<Dir>()};
  dir->entries[name] = e;
  dir->pending.push_back({Dir::Op::kLink, name, "", e});
  return absl::OkStatus();
}

absl::Status SimFileSystem::RemoveDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto parent = ParentOf(path);
  if (!parent.ok()) return parent.status();
  auto [dir, name] = *parent;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end() || !it->second.dir) {
    return absl::NotFoundError(absl::StrCat("rmdir ", path, ": No such directory"));
  }
  if (!it->second.dir->entries.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("rmdir ", path, ": Directory not empty"));
  }
  dir->entries.erase(it);
  dir->pending.push_back({Dir::Op::kUnlink, name, "", {}});
  return absl::OkStatus();
}

absl::Status SimFileSystem::SyncDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  Dir* dir = FindDir(path);
  if (dir == nullptr) return absl::NotFoundError(absl::StrCat("open dir ", path, ": No such directory"));
  stats_.dir_syncs++;
  bool fail = false;
  if (fail_dir_syncs_ > 0) {
    fail_dir_syncs_--;
    fail = true;
  } else if (Chance(faults_.dir_sync_eio_rate)) {
    fail = true;
  }
  if (fail) {
    stats_.injected_eio++;
    dir->pending.clear();
    return Eio("fsync dir", path);
  }
  for (const auto& op : dir->pending) ApplyDirOp(dir->durable, op);
  dir->pending.clear();
  return absl::OkStatus();
}

absl::StatusOr<bool> SimFileSystem::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (SplitPath(path).empty()) return true;
  auto parent = ParentOf(path);
  if (!parent.ok()) return false;
  return parent->first->entries.count(parent->second) > 0;
}

absl::StatusOr<bool> SimFileSystem::IsDirectory(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (SplitPath(path).empty()) return true;
  auto parent = ParentOf(path);
  if (!parent.ok()) return parent.status();
  auto it = parent->first->entries.find(parent->second);
  if (it == parent->first->entries.end()) {
    return absl::NotFoundError(absl::StrCat("stat ", path, ": No such file or directory"));
  }
  return it->second.dir != nullptr;
}

void SimFileSystem::SetFaults(const SimFaults& faults) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_ = faults;
}

SimFaults SimFileSystem::faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

void SimFileSystem::FailNextDataSyncs(int n, std::string path_part) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_data_syncs_ = n;
  fail_data_sync_path_part_ = std::move(path_part);
}

void SimFileSystem::FailNextDirSyncs(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_dir_syncs_ = n;
}

SimStats SimFileSystem::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void SimFileSystem::PowerCutDir(Dir& dir) {
  // Directory entries: 0 = no unsynced operation survives, 1 = all do,
  // otherwise each survives independently.
  std::map<std::string, Entry> after = dir.durable;
  uint64_t mode = Below(3);
  for (const auto& op : dir.pending) {
    if (mode == 1 || (mode == 2 && Chance(0.5))) ApplyDirOp(after, op);
  }
  dir.pending.clear();
  std::set<const void*> seen;
  for (auto& [name, e] : after) {
    if (e.dir) {
      if (!seen.insert(e.dir.get()).second) {
        e.dir = std::make_shared<Dir>();  // never expected: a directory under two names
      }
      PowerCutDir(*e.dir);
      continue;
    }
    const Inode& old = *e.file;
    auto inode = std::make_shared<Inode>();
    inode->generation = generation_;
    std::vector<uint8_t> data = old.durable;
    // File data: 0 = drop all, 1 = keep all, 2 = ordered prefix with the
    // next operation torn, 3 = each operation kept, dropped or torn.
    uint64_t fmode = old.pending.empty() ? 0 : Below(4);
    uint64_t prefix = fmode == 2 ? Below(old.pending.size() + 1) : 0;
    for (size_t i = 0; i < old.pending.size(); ++i) {
      const Inode::Op& op = old.pending[i];
      size_t all = op.bytes.size();
      switch (fmode) {
        case 0:
          break;
        case 1:
          ApplyOp(data, op, all);
          break;
        case 2:
          if (i < prefix) ApplyOp(data, op, all);
          if (i == prefix && op.kind == Inode::Op::kWrite) ApplyOp(data, op, Below(all + 1));
          break;
        default: {
          uint64_t what = Below(3);
          if (what == 1) ApplyOp(data, op, all);
          if (what == 2) ApplyOp(data, op, op.kind == Inode::Op::kWrite ? Below(all + 1) : all);
          break;
        }
      }
    }
    inode->data = data;
    inode->durable = std::move(data);
    e.file = inode;
    inodes_.push_back(inode);
  }
  dir.entries = after;
  dir.durable = std::move(after);
}

void SimFileSystem::PowerCut() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.power_cuts++;
  generation_++;
  inodes_.clear();
  // The root always exists; its entries follow the same rules.
  PowerCutDir(*root_);
  fail_data_syncs_ = 0;
  fail_dir_syncs_ = 0;
}

void SimFileSystem::SyncAllDir(Dir& dir) {
  for (const auto& op : dir.pending) ApplyDirOp(dir.durable, op);
  dir.pending.clear();
  for (auto& [name, e] : dir.durable) {
    if (e.dir) {
      SyncAllDir(*e.dir);
    } else {
      for (const auto& op : e.file->pending) ApplyOp(e.file->durable, op, op.bytes.size());
      e.file->pending.clear();
    }
  }
}

void SimFileSystem::SyncAll() {
  std::lock_guard<std::mutex> lock(mu_);
  SyncAllDir(*root_);
}

std::string SimFileSystem::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  auto walk = [&](auto&& self, const Dir& dir, const std::string& prefix) -> void {
    for (const auto& [name, e] : dir.entries) {
      if (e.dir) {
        out << prefix << name << "/ (" << e.dir->pending.size() << " unsynced entry ops)\n";
        self(self, *e.dir, prefix + name + "/");
      } else {
        out << prefix << name << " cached=" << e.file->data.size() << " durable=" << e.file->durable.size()
            << " unsynced_ops=" << e.file->pending.size() << "\n";
      }
    }
  };
  walk(walk, *root_, "/");
  return out.str();
}

}  // namespace keel::testing
