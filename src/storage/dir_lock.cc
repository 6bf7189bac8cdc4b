// DirLock: fcntl open-file-description locks on `<dir>/.lock` (see dir_lock.h).
#include "keel/storage/dir_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::storage {
namespace {

absl::Status Errno(const char* what, const std::string& path, int err) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " ", path));
}

// The pid written by the holder, or "" when the file has none (yet).
std::string ReadHolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  int64_t pid;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, size_t(n))), &pid) ||
      pid <= 0)
    return "";
  return std::to_string(pid);
}

}  // namespace

absl::StatusOr<DirLock> DirLock::Acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Errno("cannot create directory", dir, ec.value());
  std::string path = dir + "/" + std::string(kDirLockFile);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open lock file", path, errno);
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // the whole file
  if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    int err = errno;
    if (err == EAGAIN || err == EACCES) {
      std::string pid = ReadHolderPid(fd);
      ::close(fd);
      return absl::FailedPreconditionError(absl::StrCat(
          "log dir ", dir, " is locked by another process",
          pid.empty() ? "" : absl::StrCat(" (pid ", pid, ")"), ": ", path,
          " is held; is another keel running on this log dir?"));
    }
    ::close(fd);
    return Errno("cannot lock", path, err);
  }
  std::string text = absl::StrCat(getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != ssize_t(text.size())) {
    int err = errno;
    ::close(fd);
    return Errno("cannot write pid to", path, err);
  }
  return DirLock(dir, fd);
}

DirLock::DirLock(DirLock&& other) noexcept : dir_(std::move(other.dir_)), fd_(other.fd_) {
  other.fd_ = -1;
}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    Release();
    dir_ = std::move(other.dir_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirLock::~DirLock() { Release(); }

void DirLock::Release() {
  if (fd_ >= 0) ::close(fd_);  // closing the description drops the OFD lock
  fd_ = -1;
}

}  // namespace keel::storage
