// libFuzzer target: decode any generated request or response from arbitrary
// bytes, then re-encode. Must never crash, hang or trip a sanitizer, and a
// message that decoded once must re-encode to bytes that decode again and
// encode identically (encode is stable after one normalisation).
//
// Input layout: api_key int16, version int16, direction int8 (even: request,
// odd: response), then the message body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "decode_encode.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/messages/all.h"
#include "keel/protocol/request_header.h"

using keel::fuzz::DecodeEncode;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) {
    // Also exercise the request-header parser on short inputs.
    keel::protocol::Reader r(std::span<const uint8_t>(data, size));
    (void)keel::protocol::ParseRequestHeader(r);
    return 0;
  }
  int16_t api_key = int16_t(data[0] << 8 | data[1]);
  int16_t version = int16_t(data[2] << 8 | data[3]);
  bool response = data[4] & 1;
  std::span<const uint8_t> body(data + 5, size - 5);

  keel::protocol::Reader header_reader(std::span<const uint8_t>(data, size));
  (void)keel::protocol::ParseRequestHeader(header_reader);

  keel::protocol::VisitApi(api_key, [&]<typename Req, typename Resp>() {
    if (response) {
      DecodeEncode<Resp>(body, version);
    } else {
      DecodeEncode<Req>(body, version);
    }
  });
  return 0;
}
