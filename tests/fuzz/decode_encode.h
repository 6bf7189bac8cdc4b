// The check every codec fuzz target makes: a message that decodes must
// re-encode to bytes that decode again and encode identically (encoding is
// stable after one normalisation). Aborts on a violation, for libFuzzer.
#pragma once

#include <cstdlib>
#include <span>
#include <vector>

#include "keel/protocol/reader.h"
#include "keel/protocol/writer.h"

namespace keel::fuzz {

template <typename Message>
void DecodeEncode(std::span<const uint8_t> body, int16_t version) {
  keel::protocol::Reader reader(body);
  Message first;
  if (!first.Decode(reader, version).ok()) return;
  (void)first.DebugString();
  keel::protocol::Writer w1;
  first.Encode(w1, version);
  std::vector<uint8_t> once = w1.Flatten();
  if (w1.size() != once.size()) std::abort();

  keel::protocol::Reader again(once);
  Message second;
  if (!second.Decode(again, version).ok() || !again.empty()) std::abort();
  keel::protocol::Writer w2;
  second.Encode(w2, version);
  if (w2.Flatten() != once) std::abort();
}

}  // namespace keel::fuzz
