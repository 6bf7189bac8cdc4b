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

#include "decode_encode.h"
#include "keel/protocol/internal/group_metadata_key.h"
#include "keel/protocol/internal/group_metadata_value.h"
#include "keel/protocol/internal/offset_commit_key.h"
#include "keel/protocol/internal/offset_commit_value.h"
#include "keel/protocol/internal/transaction_log_key.h"
#include "keel/protocol/internal/transaction_log_value.h"

namespace {

// Versions outside a schema's range are not decoders' business here.
template <typename Message>
void Check(std::span<const uint8_t> body, int16_t version) {
  if (version < Message::kMinVersion || version > Message::kMaxVersion) return;
  keel::fuzz::DecodeEncode<Message>(body, version);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int16_t version = int16_t(data[1] << 8 | data[2]);
  std::span<const uint8_t> body(data + 3, size - 3);
  namespace p = keel::protocol;
  switch (data[0] % 6) {
    case 0: Check<p::GroupMetadataKey>(body, version); break;
    case 1: Check<p::GroupMetadataValue>(body, version); break;
    case 2: Check<p::OffsetCommitKey>(body, version); break;
    case 3: Check<p::OffsetCommitValue>(body, version); break;
    case 4: Check<p::TransactionLogKey>(body, version); break;
    case 5: Check<p::TransactionLogValue>(body, version); break;
  }
  return 0;
}
