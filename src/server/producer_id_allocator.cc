#include "keel/server/producer_id_allocator.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"

namespace keel::server {
namespace {
constexpr char kFileName[] = "producer_id_block";
}

absl::StatusOr<std::unique_ptr<ProducerIdAllocator>> ProducerIdAllocator::Open(
    storage::FileSystem& fs, std::string dir) {
  int64_t next = 0;
  std::string path = storage::JoinPath(dir, kFileName);
  auto exists = fs.Exists(path);
  if (!exists.ok()) return exists.status();
  if (*exists) {
    auto text = storage::ReadFileToString(fs, path);
    if (!text.ok()) return text.status();
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &next) || next < 0) {
      return absl::DataLossError(absl::StrCat(path, " does not hold a producer id"));
    }
  }
  return std::unique_ptr<ProducerIdAllocator>(new ProducerIdAllocator(fs, std::move(dir), next));
}

absl::StatusOr<int64_t> ProducerIdAllocator::Next() {
  std::lock_guard lock(mu_);
  if (next_ >= reserved_end_) {
    int64_t end = next_ + kBlockSize;
    std::string text = absl::StrCat(end, "\n");
    auto st = storage::WriteFileAtomically(fs_, dir_, kFileName, text);
    if (!st.ok()) return st;
    reserved_end_ = end;
  }
  return next_++;
}

}  // namespace keel::server
