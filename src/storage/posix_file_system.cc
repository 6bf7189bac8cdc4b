// POSIX implementation of FileSystem/FileHandle and the small helpers built on
// the interface (atomic replace, read whole file, recursive remove).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/storage/file_system.h"

namespace keel::storage {
namespace {

absl::Status ErrnoStatus(int err, std::string_view op, std::string_view path) {
  std::string msg = fmt::format("{} {}: {}", op, path, std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class PosixFile final : public FileHandle {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  absl::Status PWrite(uint64_t offset, std::span<const uint8_t> data) override {
    const uint8_t* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, off_t(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pwrite", path_);
      }
      p += n;
      left -= size_t(n);
      offset += uint64_t(n);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> PRead(uint64_t offset, std::span<uint8_t> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pread", path_);
      }
      if (n == 0) break;
      done += size_t(n);
    }
    return done;
  }

  absl::Status DataSync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, off_t(size)) != 0) return ErrnoStatus(errno, "ftruncate", path_);
    return absl::OkStatus();
  }

  absl::Status Allocate(uint64_t offset, uint64_t length) override {
    int rc = ::posix_fallocate(fd_, off_t(offset), off_t(length));
    if (rc != 0) return ErrnoStatus(rc, "fallocate", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat", path_);
    return uint64_t(st.st_size);
  }

  const std::string& path() const override { return path_; }
  int native_handle() const override { return fd_; }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::shared_ptr<FileHandle>> Open(const std::string& path,
                                                   OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kReadOnly:
        flags |= O_RDONLY;
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case OpenMode::kCreate:
        flags |= O_RDWR | O_CREAT;
        break;
      case OpenMode::kCreateExclusive:
        flags |= O_RDWR | O_CREAT | O_EXCL;
        break;
      case OpenMode::kCreateTruncate:
        flags |= O_RDWR | O_CREAT | O_TRUNC;
        break;
    }
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return std::shared_ptr<FileHandle>(std::make_shared<PosixFile>(fd, path));
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, "rename", from);
    return absl::OkStatus();
  }

  absl::Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir", dir);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      names.emplace_back(n);
    }
    ::closedir(d);
    return names;
  }

  absl::Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir", dir);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return ErrnoStatus(errno, "rmdir", dir);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open dir", dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(err, "fsync dir", dir);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return ErrnoStatus(errno, "stat", path);
  }

  absl::StatusOr<bool> IsDirectory(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
    return S_ISDIR(st.st_mode);
  }
};

}  // namespace

std::unique_ptr<FileSystem> NewPosixFileSystem() { return std::make_unique<PosixFileSystem>(); }

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (dir.back() != '/') out += '/';
  out += name;
  return out;
}

absl::Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                                 std::string_view contents) {
  std::string tmp = JoinPath(dir, name + ".tmp");
  {
    KEEL_ASSIGN_OR_RETURN(auto file, fs.Open(tmp, OpenMode::kCreateTruncate));
    absl::Status s = file->PWrite(
        0, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(contents.data()),
                                    contents.size()));
    if (s.ok()) s = file->DataSync();
    if (!s.ok()) {
      // Free the space (ENOSPC); recovery would remove the file anyway.
      (void)fs.Unlink(tmp);
      return s;
    }
  }
  KEEL_RETURN_IF_ERROR(fs.Rename(tmp, JoinPath(dir, name)));
  return fs.SyncDir(dir);
}

absl::StatusOr<std::string> ReadFileToString(FileSystem& fs, const std::string& path) {
  KEEL_ASSIGN_OR_RETURN(auto file, fs.Open(path, OpenMode::kReadOnly));
  KEEL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string out(size, '\0');
  KEEL_ASSIGN_OR_RETURN(
      size_t n, file->PRead(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), size)));
  out.resize(n);
  return out;
}

absl::Status RemoveTree(FileSystem& fs, const std::string& dir) {
  KEEL_ASSIGN_OR_RETURN(auto names, fs.ListDir(dir));
  for (const std::string& n : names) {
    std::string p = JoinPath(dir, n);
    KEEL_ASSIGN_OR_RETURN(bool is_dir, fs.IsDirectory(p));
    if (is_dir) {
      KEEL_RETURN_IF_ERROR(RemoveTree(fs, p));
    } else {
      KEEL_RETURN_IF_ERROR(fs.Unlink(p));
    }
  }
  KEEL_RETURN_IF_ERROR(fs.RemoveDir(dir));
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    return fs.SyncDir(dir.substr(0, slash));
  }
  return absl::OkStatus();
}

}  // namespace keel::storage
