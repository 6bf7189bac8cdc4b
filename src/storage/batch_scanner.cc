// Chunked batch walker (see batch_scanner.h).
#include "keel/storage/batch_scanner.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/common/status_macros.h"

namespace keel::storage {

absl::StatusOr<ScanResult> ScanBatches(
    const FileHandle& file, uint64_t start, uint64_t end, const ScanOptions& options,
    absl::FunctionRef<bool(const BatchHeader&, uint64_t position)> on_batch) {
  ScanResult result;
  result.valid_end = start;
  std::vector<uint8_t> buf;
  uint64_t buf_start = start;
  size_t buf_len = 0;
  // Makes [pos, pos + need) available in buf; returns false at end of range.
  auto ensure = [&](uint64_t pos, size_t need) -> absl::StatusOr<bool> {
    if (pos + need > end) return false;
    if (pos >= buf_start && pos + need <= buf_start + buf_len) return true;
    size_t want = size_t(std::min<uint64_t>(std::max(options.chunk_bytes, need), end - pos));
    if (buf.size() < want) buf.resize(want);
    KEEL_ASSIGN_OR_RETURN(size_t n, file.PRead(pos, std::span<uint8_t>(buf.data(), want)));
    buf_start = pos;
    buf_len = n;
    return n >= need;
  };

  uint64_t pos = start;
  int64_t min_base = options.min_base_offset;
  while (pos < end) {
    KEEL_ASSIGN_OR_RETURN(bool have_header, ensure(pos, kBatchHeaderSize));
    if (!have_header) {
      result.stop_reason = absl::DataLossError(
          absl::StrCat("partial batch header at position ", pos, " (", end - pos, " bytes left)"));
      KEEL_ASSIGN_OR_RETURN(bool any, ensure(pos, 1));
      if (any) {
        size_t avail = size_t(std::min<uint64_t>(buf_start + buf_len - pos, end - pos));
        const uint8_t* p = buf.data() + (pos - buf_start);
        result.zero_tail = std::all_of(p, p + avail, [](uint8_t b) { return b == 0; });
      }
      break;
    }
    const uint8_t* p = buf.data() + (pos - buf_start);
    std::span<const uint8_t> head(p, kBatchHeaderSize);
    auto header = ParseBatchHeader(head);
    if (!header.ok()) {
      result.zero_tail = std::all_of(head.begin(), head.end(), [](uint8_t b) { return b == 0; });
      result.stop_reason = absl::DataLossError(
          absl::StrCat("bad batch header at position ", pos, ": ", header.status().message()));
      break;
    }
    size_t total = header->total_size();
    if (pos + total > end) {
      result.stop_reason = absl::DataLossError(absl::StrCat(
          "partial batch at position ", pos, ": needs ", total, " bytes, ", end - pos, " left"));
      break;
    }
    if (min_base >= 0 && header->base_offset < min_base) {
      result.stop_reason = absl::DataLossError(absl::StrCat(
          "batch at position ", pos, " has base offset ", header->base_offset,
          ", expected at least ", min_base));
      break;
    }
    if (header->last_offset_delta < 0) {
      result.stop_reason =
          absl::DataLossError(absl::StrCat("negative lastOffsetDelta at position ", pos));
      break;
    }
    if (header->base_offset >= options.verify_crc_from_offset) {
      KEEL_ASSIGN_OR_RETURN(bool have_body, ensure(pos, total));
      if (!have_body) {
        result.stop_reason = absl::DataLossError(absl::StrCat("short read at position ", pos));
        break;
      }
      auto valid = ValidateBatch(
          std::span<const uint8_t>(buf.data() + (pos - buf_start), total));
      if (!valid.ok()) {
        result.stop_reason = absl::DataLossError(
            absl::StrCat("invalid batch at position ", pos, ": ", valid.status().message()));
        break;
      }
    }
    bool keep_going = on_batch(*header, pos);
    pos += total;
    result.valid_end = pos;
    result.next_offset = header->last_offset() + 1;
    result.batches++;
    min_base = min_base >= 0 ? result.next_offset : -1;
    if (!keep_going) break;
  }
  return result;
}

absl::Status ReadBatches(
    const FileHandle& file, uint64_t start, uint64_t end, size_t chunk_bytes,
    absl::FunctionRef<absl::Status(const BatchHeader&, std::span<const uint8_t> batch)> fn) {
  std::vector<uint8_t> buf;
  uint64_t buf_start = start;
  size_t buf_len = 0;
  int64_t min_base = -1;
  uint64_t pos = start;
  // Makes [pos, pos + need) available in buf, keeping what is already read.
  auto ensure = [&](size_t need) -> absl::Status {
    if (pos + need <= buf_start + buf_len) return absl::OkStatus();
    size_t keep = size_t(buf_start + buf_len - pos);
    size_t want = size_t(std::min<uint64_t>(std::max(chunk_bytes, need), end - pos));
    std::vector<uint8_t> next(want);
    std::copy(buf.begin() + (pos - buf_start), buf.begin() + (pos - buf_start) + keep, next.begin());
    KEEL_ASSIGN_OR_RETURN(size_t n,
                          file.PRead(pos + keep, std::span<uint8_t>(next.data() + keep, want - keep)));
    buf = std::move(next);
    buf_start = pos;
    buf_len = keep + n;
    if (buf_len < need) {
      return absl::DataLossError(absl::StrCat(file.path(), ": short read at position ", pos));
    }
    return absl::OkStatus();
  };
  while (pos < end) {
    if (end - pos < kBatchHeaderSize) {
      return absl::DataLossError(absl::StrCat(file.path(), ": partial batch header at position ", pos));
    }
    KEEL_RETURN_IF_ERROR(ensure(kBatchHeaderSize));
    auto header = ParseBatchHeader(std::span<const uint8_t>(buf.data() + (pos - buf_start), kBatchHeaderSize));
    if (!header.ok()) {
      return absl::DataLossError(absl::StrCat(file.path(), ": bad batch header at position ", pos, ": ",
                                              header.status().message()));
    }
    size_t total = header->total_size();
    if (pos + total > end) {
      return absl::DataLossError(absl::StrCat(file.path(), ": partial batch at position ", pos));
    }
    if (header->base_offset < min_base) {
      return absl::DataLossError(absl::StrCat(file.path(), ": offsets go backwards at position ", pos));
    }
    KEEL_RETURN_IF_ERROR(ensure(total));
    std::span<const uint8_t> batch(buf.data() + (pos - buf_start), total);
    auto valid = ValidateBatch(batch);
    if (!valid.ok()) {
      return absl::DataLossError(absl::StrCat(file.path(), ": invalid batch at position ", pos, ": ",
                                              valid.status().message()));
    }
    KEEL_RETURN_IF_ERROR(fn(*header, batch));
    min_base = header->last_offset() + 1;
    pos += total;
  }
  return absl::OkStatus();
}

}  // namespace keel::storage
