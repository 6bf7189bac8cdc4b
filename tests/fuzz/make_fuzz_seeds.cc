// Writes seed inputs for request_decode_fuzz: every API, request and
// response, every version, filled by FillSample and prefixed with the fuzz
// target's (api_key, version, direction) header. Usage: make_fuzz_seeds <dir>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "keel/protocol/api_table.h"
#include "keel/protocol/messages/all.h"
#include "keel/protocol/testing/samples.h"

namespace {

template <typename Message>
void WriteSeed(const std::string& dir, int16_t key, int16_t version, uint8_t direction) {
  Message m;
  uint32_t seed = 1;
  keel::protocol::testing::FillSample(m, version, seed);
  keel::protocol::Writer w;
  w.WriteInt16(key);
  w.WriteInt16(version);
  w.WriteInt8(int8_t(direction));
  m.Encode(w, version);
  std::vector<uint8_t> bytes = w.Flatten();
  std::string path = dir + "/" + std::string(Message::kName) + "_v" + std::to_string(version);
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  for (const keel::protocol::ApiDescriptor& api : keel::protocol::AllApis()) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      keel::protocol::VisitApi(api.key, [&]<typename Req, typename Resp>() {
        WriteSeed<Req>(dir, api.key, v, 0);
        WriteSeed<Resp>(dir, api.key, v, 1);
      });
    }
  }
  return 0;
}
