// ApplyFileSubstitutions: placeholder fragments become file ranges; a
// placeholder that is missing or whose ranges do not add up refuses the
// response.
#include "file_substitution.h"

#include "gtest/gtest.h"

namespace keel::server {
namespace {

class FileSubstitutionTest : public ::testing::Test {
 protected:
  // Fragments: [owned 0..4) [placeholder A, 100 bytes] [owned 4..8) [placeholder B, 50 bytes]
  void SetUp() override {
    out_.fragments = {std::span<const uint8_t>(owned_, 4), std::span<const uint8_t>(a(), 100),
                      std::span<const uint8_t>(owned_ + 4, 4), std::span<const uint8_t>(b(), 50)};
  }
  const uint8_t* a() const { return reinterpret_cast<const uint8_t*>(tokens_); }
  const uint8_t* b() const { return reinterpret_cast<const uint8_t*>(tokens_ + 1); }

  uint8_t owned_[8] = {};
  char tokens_[2] = {};
  OutboundResponse out_;
};

TEST_F(FileSubstitutionTest, PlaceholdersBecomeFileRanges) {
  std::vector<FileSubstitution> subs = {{b(), {FileRange{7, 0, 20}, FileRange{8, 5, 30}}},
                                        {a(), {FileRange{7, 1000, 100}}}};
  ASSERT_TRUE(ApplyFileSubstitutions(std::move(subs), out_));
  ASSERT_EQ(out_.from_files.size(), 4u);
  EXPECT_TRUE(out_.from_files[0].empty());
  ASSERT_EQ(out_.from_files[1].size(), 1u);
  EXPECT_EQ(out_.from_files[1][0].offset, 1000u);
  EXPECT_TRUE(out_.from_files[2].empty());
  ASSERT_EQ(out_.from_files[3].size(), 2u);
  EXPECT_EQ(out_.from_files[3][1].fd, 8);
}

TEST_F(FileSubstitutionTest, MissingPlaceholderRefusesTheResponse) {
  static const char other = 0;
  std::vector<FileSubstitution> subs = {
      {reinterpret_cast<const uint8_t*>(&other), {FileRange{7, 0, 100}}}};
  EXPECT_FALSE(ApplyFileSubstitutions(std::move(subs), out_));
}

TEST_F(FileSubstitutionTest, RangesThatDoNotAddUpRefuseTheResponse) {
  std::vector<FileSubstitution> subs = {{a(), {FileRange{7, 0, 99}}}};
  EXPECT_FALSE(ApplyFileSubstitutions(std::move(subs), out_));
}

}  // namespace
}  // namespace keel::server
