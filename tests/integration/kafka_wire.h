// Minimal hand-rolled Kafka wire access for integration tests that must send
// bytes a real client never would: a blocking 127.0.0.1 TCP connection with
// timeouts, a request writer (request header v1/v2 + body) and a bounds-checked
// response reader. Written independently of src/protocol so that it is an
// oracle, not a copy, of the broker's codec.
//
// Not thread-safe; RawConnection owns its socket and closes it on destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel::integration {

// Big-endian request body / header builder.
class WireWriter {
 public:
  WireWriter& Int8(int8_t v);
  WireWriter& Int16(int16_t v);
  WireWriter& Int32(int32_t v);
  WireWriter& Int64(int64_t v);
  WireWriter& UVarint(uint64_t v);
  WireWriter& String(const std::string& s);  // int16 length
  WireWriter& NullString();                  // int16 -1
  WireWriter& CompactString(const std::string& s);
  WireWriter& Bytes(std::span<const uint8_t> b);  // int32 length
  WireWriter& Raw(std::span<const uint8_t> b);
  const std::vector<uint8_t>& data() const { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

// Bounds-checked big-endian reader; after a short read ok() stays false and
// every getter returns 0 / empty.
class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> data) : data_(data) {}
  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  uint64_t UVarint();
  std::optional<std::string> NullableString();  // int16 length, -1 = null
  std::optional<std::string> CompactNullableString();
  void Skip(size_t n);
  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }

 private:
  bool Need(size_t n);
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// A complete size-prefixed request: request header v1 (api_key, api_version,
// correlation_id, client_id) or v2 when `flexible_header` (adds an empty
// tagged-field section), followed by `body`.
std::vector<uint8_t> EncodeRequest(int16_t api_key, int16_t api_version, int32_t correlation_id,
                                   bool flexible_header, std::span<const uint8_t> body);

class RawConnection {
 public:
  static absl::StatusOr<RawConnection> Connect(uint16_t port);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  ~RawConnection();

  absl::Status Send(std::span<const uint8_t> bytes);
  // Reads one response frame and returns it without its 4-byte size prefix.
  // Fails with kUnavailable on EOF, kDeadlineExceeded on timeout.
  absl::StatusOr<std::vector<uint8_t>> ReadFrame(std::chrono::milliseconds timeout);
  // Discards incoming bytes until the peer closes; true if it closed in time.
  bool WaitForClose(std::chrono::milliseconds timeout);
  void ShutdownWrite();

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  absl::Status ReadExact(uint8_t* out, size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

struct ApiRange {
  int16_t min = 0;
  int16_t max = 0;
};
struct ApiVersionsResult {
  int32_t correlation_id = 0;
  int16_t error_code = 0;
  std::map<int16_t, ApiRange> apis;
};

// Sends ApiVersions v0 and parses the v0 response.
absl::StatusOr<ApiVersionsResult> RequestApiVersionsV0(RawConnection& conn, int32_t correlation_id);
// Parses a v0-format ApiVersions response frame (correlation id, error, array)
// and requires that nothing follows the array.
absl::StatusOr<ApiVersionsResult> ParseApiVersionsV0(std::span<const uint8_t> frame);

// Opens a new connection and checks that ApiVersions v0 and Metadata v1 are
// answered; used to prove the broker survived bad input on another socket.
absl::Status CheckBrokerServes(uint16_t port);

}  // namespace keel::integration
