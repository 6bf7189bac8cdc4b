// BrokerConnection: one blocking Kafka protocol connection to one broker.
//
// Promises:
//  - Negotiate() sends ApiVersions (v3, falling back to v0 when the broker
//    answers UNSUPPORTED_VERSION) and remembers the broker's range per API.
//  - Call<Resp>(request) picks the highest version both sides support (the
//    generated Req::kMinVersion..kMaxVersion intersected with the broker's
//    range, optionally capped), encodes the request header and body with the
//    generated codecs, waits for the response (timeout per call), checks the
//    correlation id and decodes the response at the same version.
//  - A correlation id mismatch, a malformed frame or an I/O error breaks the
//    connection: that call and every later one fail (no resynchronisation on
//    a byte stream whose framing is in doubt).
//
// Errors: Unimplemented if no version is common to both sides; DataLoss for a
// correlation mismatch or an undecodable response; Unavailable /
// DeadlineExceeded from the stream. Kafka error codes INSIDE a response are
// not errors here: callers read them from the decoded message.
//
// Thread-safety: none; use from one thread. Ownership: owns its stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "keel/client/byte_stream.h"
#include "keel/common/status_macros.h"
#include "keel/protocol/reader.h"
#include "keel/protocol/writer.h"

namespace keel::client {

struct ConnectionOptions {
  std::string client_id = "keel-admin";
  std::chrono::milliseconds timeout{30000};  // per request (and for connect)
  size_t max_frame_bytes = size_t{256} << 20;
};

// A decoded response plus the frame it was decoded from: RecordsRef fields
// (Fetch) point into `frame`, which moves with the Reply without
// reallocating, so they stay valid as long as the Reply lives.
template <typename Resp>
struct Reply {
  Resp message;
  int16_t version = 0;
  std::vector<uint8_t> frame;
};

struct VersionRange {
  int16_t min = 0;
  int16_t max = -1;
};

class BrokerConnection {
 public:
  BrokerConnection(std::unique_ptr<ByteStream> stream, ConnectionOptions options);

  // Connects over TCP and negotiates versions.
  static absl::StatusOr<std::unique_ptr<BrokerConnection>> Connect(const std::string& host,
                                                                   uint16_t port,
                                                                   ConnectionOptions options);

  absl::Status Negotiate();

  // The version to use for an API the client implements in [client_min,
  // client_max]: the highest one the broker supports too, at most `cap`
  // (cap < 0: no cap). Before Negotiate() the client range is used as is.
  absl::StatusOr<int16_t> PickVersion(int16_t api_key, int16_t client_min, int16_t client_max,
                                      int16_t cap = -1) const;

  // The broker's advertised range for an API, if it listed it.
  std::optional<VersionRange> BrokerRange(int16_t api_key) const;

  template <typename Resp, typename Req>
  absl::StatusOr<Reply<Resp>> Call(const Req& request, int16_t cap = -1) {
    static_assert(Req::kApiKey == Resp::kApiKey);
    KEEL_ASSIGN_OR_RETURN(int16_t version,
                          PickVersion(Req::kApiKey, Req::kMinVersion, Req::kMaxVersion, cap));
    protocol::Writer body;
    request.Encode(body, version);
    Reply<Resp> reply;
    reply.version = version;
    KEEL_ASSIGN_OR_RETURN(reply.frame, RoundTrip(Req::kApiKey, version, body));
    KEEL_ASSIGN_OR_RETURN(size_t body_start, SkipResponseHeader(Req::kApiKey, version, reply.frame));
    protocol::Reader reader(std::span<const uint8_t>(reply.frame).subspan(body_start));
    if (absl::Status s = reply.message.Decode(reader, version); !s.ok()) {
      return absl::DataLossError(
          fmt::format("cannot decode {} v{}: {}", Resp::kName, version, s.ToString()));
    }
    return reply;
  }

  // Sends one request (header + `body`) and returns the whole response frame
  // after checking its correlation id. Exposed for tests.
  absl::StatusOr<std::vector<uint8_t>> RoundTrip(int16_t api_key, int16_t version,
                                                 const protocol::Writer& body);

  bool broken() const { return !broken_reason_.ok(); }

 private:
  // Position of the body in `frame` after the response header of this API
  // version (the correlation id was already checked).
  absl::StatusOr<size_t> SkipResponseHeader(int16_t api_key, int16_t version,
                                            const std::vector<uint8_t>& frame) const;

  std::unique_ptr<ByteStream> stream_;
  ConnectionOptions options_;
  int32_t next_correlation_id_ = 1;
  absl::Status broken_reason_;
  bool negotiated_ = false;
  std::map<int16_t, VersionRange> broker_versions_;
};

}  // namespace keel::client
