// libFuzzer target: decode the records of the coordinator topics
// (__consumer_offsets, __transaction_state) from arbitrary bytes, then
// re-encode, with the same stability check as request_decode_fuzz: the
// loaders replay whatever the log holds, so these decoders see disk bytes.
//
// Input layout: schema selector uint8, version int16, then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "keel/protocol/internal/group_metadata_key.h"
#include "keel/protocol/internal/group_metadata_value.h"
#include "keel/protocol/internal/offset_commit_key.h"
#include "keel/protocol/internal/offset_commit_value.h"
#include "keel/protocol/internal/transaction_log_key.h"
#include "keel/protocol/internal/transaction_log_value.h"

namespace {

template <typename Message>
void DecodeEncode(std::span<const uint8_t> body, int16_t version) {
  if (version < Message::kMinVersion || version > Message::kMaxVersion) return;
  keel::protocol::Reader reader(body);
  Message first;
  if (!first.Decode(reader, version).ok()) return;
  (void)first.DebugString();
  keel::protocol::Writer w1;
  first.Encode(w1, version);
  std::vector<uint8_t> once = w1.Flatten();
  keel::protocol::Reader again(once);
  Message second;
  if (!second.Decode(again, version).ok() || !again.empty()) std::abort();
  keel::protocol::Writer w2;
  second.Encode(w2, version);
  if (w2.Flatten() != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int16_t version = int16_t(data[1] << 8 | data[2]);
  std::span<const uint8_t> body(data + 3, size - 3);
  namespace p = keel::protocol;
  switch (data[0] % 6) {
    case 0: DecodeEncode<p::GroupMetadataKey>(body, version); break;
    case 1: DecodeEncode<p::GroupMetadataValue>(body, version); break;
    case 2: DecodeEncode<p::OffsetCommitKey>(body, version); break;
    case 3: DecodeEncode<p::OffsetCommitValue>(body, version); break;
    case 4: DecodeEncode<p::TransactionLogKey>(body, version); break;
    case 5: DecodeEncode<p::TransactionLogValue>(body, version); break;
  }
  return 0;
}
