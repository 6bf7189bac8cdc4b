// BrokerConnection: request framing, correlation and version negotiation
// (see broker_connection.h).
#include "keel/client/broker_connection.h"

#include <algorithm>

#include "keel/common/coding.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/api_versions.h"
#include "keel/protocol/request_header.h"

namespace keel::client {

BrokerConnection::BrokerConnection(std::unique_ptr<ByteStream> stream, ConnectionOptions options)
    : stream_(std::move(stream)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<BrokerConnection>> BrokerConnection::Connect(
    const std::string& host, uint16_t port, ConnectionOptions options) {
  Deadline deadline = std::chrono::steady_clock::now() + options.timeout;
  KEEL_ASSIGN_OR_RETURN(auto stream, SocketStream::Connect(host, port, deadline));
  auto conn = std::make_unique<BrokerConnection>(std::move(stream), std::move(options));
  KEEL_RETURN_IF_ERROR(conn->Negotiate());
  return conn;
}

absl::Status BrokerConnection::Negotiate() {
  using protocol::ApiVersionsRequest;
  using protocol::ApiVersionsResponse;
  ApiVersionsRequest request;
  request.client_software_name = "keel-admin";
  request.client_software_version = "1";
  // A broker that does not know the requested version answers with a v0
  // body carrying UNSUPPORTED_VERSION; the error code is the first body
  // field in every version, so peek at it before decoding.
  ApiVersionsResponse response;
  for (int16_t version : {int16_t{3}, int16_t{0}}) {
    protocol::Writer body;
    request.Encode(body, version);
    KEEL_ASSIGN_OR_RETURN(std::vector<uint8_t> frame,
                          RoundTrip(ApiVersionsRequest::kApiKey, version, body));
    // ApiVersions responses always use header v0: the correlation id only.
    if (frame.size() >= 6 &&
        int16_t(coding::LoadBE16(frame.data() + 4)) ==
            protocol::ToWire(protocol::ErrorCode::UNSUPPORTED_VERSION) &&
        version > 0) {
      continue;
    }
    protocol::Reader reader(std::span<const uint8_t>(frame).subspan(4));
    if (absl::Status s = response.Decode(reader, version); !s.ok()) {
      return absl::DataLossError(fmt::format("cannot decode ApiVersionsResponse v{}: {}", version,
                                             s.ToString()));
    }
    break;
  }
  if (response.error_code != 0) {
    return absl::UnavailableError(fmt::format(
        "ApiVersions failed: {}", protocol::ErrorName(protocol::ErrorCode(response.error_code))));
  }
  broker_versions_.clear();
  for (const auto& api : response.api_keys) {
    broker_versions_[api.api_key] = VersionRange{api.min_version, api.max_version};
  }
  negotiated_ = true;
  return absl::OkStatus();
}

std::optional<VersionRange> BrokerConnection::BrokerRange(int16_t api_key) const {
  auto it = broker_versions_.find(api_key);
  if (it == broker_versions_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int16_t> BrokerConnection::PickVersion(int16_t api_key, int16_t client_min,
                                                      int16_t client_max, int16_t cap) const {
  int16_t lo = client_min;
  int16_t hi = client_max;
  if (cap >= 0) hi = std::min(hi, cap);
  if (negotiated_) {
    auto range = BrokerRange(api_key);
    if (!range) {
      return absl::UnimplementedError(absl::StrCat("the broker does not support API key ", api_key));
    }
    lo = std::max(lo, range->min);
    hi = std::min(hi, range->max);
  }
  if (hi < lo) {
    return absl::UnimplementedError(
        absl::StrCat("no version of API key ", api_key, " is supported by both client and broker"));
  }
  return hi;
}

absl::StatusOr<std::vector<uint8_t>> BrokerConnection::RoundTrip(int16_t api_key, int16_t version,
                                                                 const protocol::Writer& body) {
  if (broken()) return broken_reason_;
  int32_t correlation_id = next_correlation_id_++;
  protocol::Writer frame;
  size_t size_pos = frame.ReserveInt32();
  protocol::RequestHeader header;
  header.api_key = api_key;
  header.api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = options_.client_id;
  protocol::WriteRequestHeader(frame, header, protocol::RequestHeaderVersion(api_key, version));
  for (std::span<const uint8_t> part : body.Fragments()) frame.WriteRaw(part);
  frame.PatchSizeAfter(size_pos);
  std::vector<uint8_t> bytes = frame.Flatten();

  Deadline deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto fail = [&](absl::Status s) {
    broken_reason_ = s;
    return s;
  };
  if (absl::Status s = WriteAll(*stream_, bytes, deadline); !s.ok()) return fail(s);
  auto response = ReadFrame(*stream_, options_.max_frame_bytes, deadline);
  if (!response.ok()) return fail(response.status());
  if (response->size() < 4) {
    return fail(absl::DataLossError("response frame shorter than its correlation id"));
  }
  int32_t got = int32_t(coding::LoadBE32(response->data()));
  if (got != correlation_id) {
    return fail(absl::DataLossError(absl::StrCat("correlation id mismatch: sent ", correlation_id,
                                                 ", received ", got)));
  }
  return std::move(*response);
}

absl::StatusOr<size_t> BrokerConnection::SkipResponseHeader(int16_t api_key, int16_t version,
                                                            const std::vector<uint8_t>& frame) const {
  protocol::Reader reader(frame);
  int32_t correlation_id = 0;
  KEEL_RETURN_IF_ERROR(reader.ReadInt32(&correlation_id));
  if (protocol::ResponseHeaderVersion(api_key, version) >= 1) {
    KEEL_RETURN_IF_ERROR(reader.SkipTaggedFields());
  }
  return reader.position();
}

}  // namespace keel::client
