// DirLock: exclusive per-dir locks, the holder's pid in the refusal, stale
// lock files from dead processes.
#include "keel/storage/dir_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(DirLockTest, CreatesDirAndWritesOwnPid) {
  testutil::TempDir tmp;
  std::string dir = tmp.str() + "/logs";
  auto lock = DirLock::Acquire(dir);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(ReadFile(dir + "/.lock"), std::to_string(getpid()) + "\n");
}

TEST(DirLockTest, SecondAcquireIsRefusedNamingTheDirUntilReleased) {
  testutil::TempDir tmp;
  auto first = DirLock::Acquire(tmp.str());
  ASSERT_TRUE(first.ok());
  auto second = DirLock::Acquire(tmp.str());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("log dir " + tmp.str()), std::string::npos);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos);
  first->Release();
  EXPECT_TRUE(DirLock::Acquire(tmp.str()).ok());
}

TEST(DirLockTest, LockHeldByAnotherOpenFileDescriptionNamesItsPid) {
  testutil::TempDir tmp;
  std::string path = tmp.str() + "/.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &fl), 0);
  ASSERT_EQ(::pwrite(fd, "4242\n", 5, 0), 5);
  auto refused = DirLock::Acquire(tmp.str());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(tmp.str()), std::string::npos);
  EXPECT_NE(refused.status().message().find("pid 4242"), std::string::npos);
  EXPECT_EQ(ReadFile(path), "4242\n");  // the holder's file is left alone
  ::close(fd);                          // the holder goes away
  EXPECT_TRUE(DirLock::Acquire(tmp.str()).ok());
}

TEST(DirLockTest, StaleLockFileOfADeadProcessDoesNotBlock) {
  testutil::TempDir tmp;
  {
    std::ofstream out(tmp.str() + "/.lock");
    out << "999999\n";  // written by a process killed with SIGKILL: no kernel lock
  }
  auto lock = DirLock::Acquire(tmp.str());
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(ReadFile(tmp.str() + "/.lock"), std::to_string(getpid()) + "\n");
}

TEST(DirLockTest, MovedLockKeepsHoldingIt) {
  testutil::TempDir tmp;
  auto a = DirLock::Acquire(tmp.str());
  ASSERT_TRUE(a.ok());
  DirLock moved = std::move(*a);
  EXPECT_FALSE(DirLock::Acquire(tmp.str()).ok());
  moved.Release();
  EXPECT_TRUE(DirLock::Acquire(tmp.str()).ok());
}

}  // namespace
}  // namespace keel::storage
