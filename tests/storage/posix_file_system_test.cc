#include <gtest/gtest.h>

#include <filesystem>

#include "keel/storage/file_system.h"
#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

namespace fs = std::filesystem;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  testutil::TempDir tmp_;
  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
};

TEST_F(PosixFileSystemTest, WriteReadTruncateAllocate) {
  auto f = fs_->Open(tmp_.str() + "/a", OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  ASSERT_TRUE((*f)->PWrite(10, data).ok());
  EXPECT_EQ(*(*f)->Size(), 15u);
  std::vector<uint8_t> out(10);
  EXPECT_EQ(*(*f)->PRead(10, out), 5u);  // short read at end of file
  EXPECT_EQ(out[4], 5);
  ASSERT_TRUE((*f)->Allocate(15, 100).ok());
  EXPECT_EQ(*(*f)->Size(), 115u);
  ASSERT_TRUE((*f)->Truncate(12).ok());
  EXPECT_EQ(*(*f)->Size(), 12u);
  EXPECT_TRUE((*f)->DataSync().ok());
  EXPECT_GE((*f)->native_handle(), 0);
}

TEST_F(PosixFileSystemTest, OpenModesReportMissingAndExisting) {
  EXPECT_TRUE(absl::IsNotFound(fs_->Open(tmp_.str() + "/missing", OpenMode::kReadOnly).status()));
  ASSERT_TRUE(fs_->Open(tmp_.str() + "/x", OpenMode::kCreateExclusive).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(fs_->Open(tmp_.str() + "/x", OpenMode::kCreateExclusive).status()));
  EXPECT_TRUE(absl::IsNotFound(fs_->Unlink(tmp_.str() + "/missing")));
}

TEST_F(PosixFileSystemTest, WriteFileAtomicallyReplacesContents) {
  ASSERT_TRUE(WriteFileAtomically(*fs_, tmp_.str(), "f", "one").ok());
  ASSERT_TRUE(WriteFileAtomically(*fs_, tmp_.str(), "f", "two!").ok());
  EXPECT_EQ(*ReadFileToString(*fs_, tmp_.str() + "/f"), "two!");
  EXPECT_FALSE(fs::exists(tmp_.path() / "f.tmp"));
}

TEST_F(PosixFileSystemTest, ListDirAndRemoveTree) {
  ASSERT_TRUE(fs_->CreateDir(tmp_.str() + "/d").ok());
  ASSERT_TRUE(fs_->CreateDir(tmp_.str() + "/d").ok());  // idempotent
  ASSERT_TRUE(fs_->CreateDir(tmp_.str() + "/d/e").ok());
  ASSERT_TRUE(WriteFileAtomically(*fs_, tmp_.str() + "/d", "f", "x").ok());
  ASSERT_TRUE(WriteFileAtomically(*fs_, tmp_.str() + "/d/e", "g", "y").ok());
  auto names = fs_->ListDir(tmp_.str() + "/d");
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"e", "f"}));
  EXPECT_TRUE(*fs_->IsDirectory(tmp_.str() + "/d/e"));
  ASSERT_TRUE(RemoveTree(*fs_, tmp_.str() + "/d").ok());
  EXPECT_FALSE(*fs_->Exists(tmp_.str() + "/d"));
}

}  // namespace
}  // namespace keel::storage
