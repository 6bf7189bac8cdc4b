// ByteStream: the blocking byte pipe a BrokerConnection talks through, and
// the Kafka size-prefixed framing on top of it.
//
// A frame is an int32 big-endian size followed by that many bytes. ReadFrame
// and WriteFrame loop over short reads and writes, so a stream that delivers
// one byte at a time works the same as one that delivers everything at once.
//
// SocketStream is the POSIX TCP implementation: blocking connect and I/O
// bounded by a per-operation deadline (poll(2)), TCP_NODELAY on.
//
// Errors: end of stream before a frame is complete -> Unavailable ("closed
// by peer"); a deadline passed -> DeadlineExceeded; an impossible frame size
// (negative or over `max_frame_bytes`) -> DataLoss.
// Thread-safety: none; one stream is used by one thread at a time.
// Ownership: a SocketStream owns its descriptor and closes it when destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel::client {

using Deadline = std::chrono::steady_clock::time_point;

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads at least 1 and at most out.size() bytes; 0 means end of stream.
  virtual absl::StatusOr<size_t> ReadSome(std::span<uint8_t> out, Deadline deadline) = 0;
  // Writes at least 1 and at most data.size() bytes.
  virtual absl::StatusOr<size_t> WriteSome(std::span<const uint8_t> data, Deadline deadline) = 0;
};

// Writes all of `data` (an already size-prefixed frame or any bytes).
absl::Status WriteAll(ByteStream& stream, std::span<const uint8_t> data, Deadline deadline);

// Reads exactly out.size() bytes.
absl::Status ReadExact(ByteStream& stream, std::span<uint8_t> out, Deadline deadline);

// Reads one frame and returns its payload (without the size prefix).
absl::StatusOr<std::vector<uint8_t>> ReadFrame(ByteStream& stream, size_t max_frame_bytes,
                                               Deadline deadline);

class SocketStream final : public ByteStream {
 public:
  // Resolves `host` (name or numeric) and connects to the first address
  // that accepts before `deadline`.
  static absl::StatusOr<std::unique_ptr<SocketStream>> Connect(const std::string& host,
                                                               uint16_t port, Deadline deadline);
  ~SocketStream() override;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  absl::StatusOr<size_t> ReadSome(std::span<uint8_t> out, Deadline deadline) override;
  absl::StatusOr<size_t> WriteSome(std::span<const uint8_t> data, Deadline deadline) override;

 private:
  explicit SocketStream(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace keel::client
