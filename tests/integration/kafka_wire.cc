#include "kafka_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace keel::integration {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxResponseFrame = 64 << 20;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

// ---------------------------------------------------------------- WireWriter

WireWriter& WireWriter::Int8(int8_t v) {
  buf_.push_back(static_cast<uint8_t>(v));
  return *this;
}
WireWriter& WireWriter::Int16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  buf_.push_back(uint8_t(u >> 8));
  buf_.push_back(uint8_t(u));
  return *this;
}
WireWriter& WireWriter::Int32(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int s = 24; s >= 0; s -= 8) buf_.push_back(uint8_t(u >> s));
  return *this;
}
WireWriter& WireWriter::Int64(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int s = 56; s >= 0; s -= 8) buf_.push_back(uint8_t(u >> s));
  return *this;
}
WireWriter& WireWriter::UVarint(uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  buf_.push_back(uint8_t(v));
  return *this;
}
WireWriter& WireWriter::String(const std::string& s) {
  Int16(static_cast<int16_t>(s.size()));
  buf_.insert(buf_.end(), s.begin(), s.end());
  return *this;
}
WireWriter& WireWriter::NullString() { return Int16(-1); }
WireWriter& WireWriter::CompactString(const std::string& s) {
  UVarint(s.size() + 1);
  buf_.insert(buf_.end(), s.begin(), s.end());
  return *this;
}
WireWriter& WireWriter::Bytes(std::span<const uint8_t> b) {
  Int32(static_cast<int32_t>(b.size()));
  return Raw(b);
}
WireWriter& WireWriter::Raw(std::span<const uint8_t> b) {
  buf_.insert(buf_.end(), b.begin(), b.end());
  return *this;
}

// ---------------------------------------------------------------- WireReader

bool WireReader::Need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}
int8_t WireReader::Int8() {
  if (!Need(1)) return 0;
  return static_cast<int8_t>(data_[pos_++]);
}
int16_t WireReader::Int16() {
  if (!Need(2)) return 0;
  const uint16_t v = uint16_t(data_[pos_]) << 8 | data_[pos_ + 1];
  pos_ += 2;
  return static_cast<int16_t>(v);
}
int32_t WireReader::Int32() {
  if (!Need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 4;
  return static_cast<int32_t>(v);
}
int64_t WireReader::Int64() {
  if (!Need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 8;
  return static_cast<int64_t>(v);
}
uint64_t WireReader::UVarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!Need(1)) return 0;
    const uint8_t b = data_[pos_++];
    v |= uint64_t(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  ok_ = false;
  return 0;
}
std::optional<std::string> WireReader::NullableString() {
  const int16_t n = Int16();
  if (!ok_ || n < 0) return std::nullopt;
  if (!Need(size_t(n))) return std::nullopt;
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), size_t(n));
  pos_ += size_t(n);
  return s;
}
std::optional<std::string> WireReader::CompactNullableString() {
  const uint64_t n = UVarint();
  if (!ok_ || n == 0) return std::nullopt;
  if (!Need(n - 1)) return std::nullopt;
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n - 1);
  pos_ += n - 1;
  return s;
}
void WireReader::Skip(size_t n) {
  if (Need(n)) pos_ += n;
}

// ---------------------------------------------------------------- framing

std::vector<uint8_t> EncodeRequest(int16_t api_key, int16_t api_version, int32_t correlation_id,
                                   bool flexible_header, std::span<const uint8_t> body) {
  WireWriter h;
  h.Int16(api_key).Int16(api_version).Int32(correlation_id).String("keel-integration");
  if (flexible_header) h.UVarint(0);  // no tagged fields
  WireWriter frame;
  frame.Int32(static_cast<int32_t>(h.data().size() + body.size())).Raw(h.data()).Raw(body);
  return frame.data();
}

// ---------------------------------------------------------------- RawConnection

absl::StatusOr<RawConnection> RawConnection::Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  RawConnection conn(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return conn;
}

RawConnection::RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}
RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status RawConnection::Send(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    done += size_t(n);
  }
  return absl::OkStatus();
}

absl::Status RawConnection::ReadExact(uint8_t* out, size_t n, Clock::time_point deadline) {
  size_t done = 0;
  while (done < n) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no response: read ", done, " of ", n, " bytes before the timeout"));
    }
    const ssize_t got = ::recv(fd_, out + done, n - done, 0);
    if (got == 0) return absl::UnavailableError("connection closed by the broker");
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    done += size_t(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RawConnection::ReadFrame(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  uint8_t size_buf[4];
  absl::Status st = ReadExact(size_buf, 4, deadline);
  if (!st.ok()) return st;
  const uint32_t size = uint32_t(size_buf[0]) << 24 | uint32_t(size_buf[1]) << 16 |
                        uint32_t(size_buf[2]) << 8 | size_buf[3];
  if (size > kMaxResponseFrame) {
    return absl::DataLossError(absl::StrCat("response frame size ", size, " is implausible"));
  }
  std::vector<uint8_t> frame(size);
  st = ReadExact(frame.data(), size, deadline);
  if (!st.ok()) return st;
  return frame;
}

bool RawConnection::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  uint8_t buf[4096];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return false;
    const ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0) {
      if (errno == EINTR) continue;
      return true;  // ECONNRESET and friends: closed
    }
  }
}

void RawConnection::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

// ---------------------------------------------------------------- requests

absl::StatusOr<ApiVersionsResult> ParseApiVersionsV0(std::span<const uint8_t> frame) {
  WireReader r(frame);
  ApiVersionsResult out;
  out.correlation_id = r.Int32();
  out.error_code = r.Int16();
  const int32_t n = r.Int32();
  if (!r.ok() || n < 0 || size_t(n) * 6 != r.remaining()) {
    return absl::DataLossError(absl::StrCat(
        "not a v0-format ApiVersions response: array count ", n, " with ", r.remaining(),
        " bytes left (a v0 body holds exactly 6 bytes per entry)"));
  }
  for (int32_t i = 0; i < n; ++i) {
    const int16_t key = r.Int16();
    ApiRange range;
    range.min = r.Int16();
    range.max = r.Int16();
    out.apis[key] = range;
  }
  return out;
}

absl::StatusOr<ApiVersionsResult> RequestApiVersionsV0(RawConnection& conn,
                                                       int32_t correlation_id) {
  absl::Status st = conn.Send(EncodeRequest(18, 0, correlation_id, false, {}));
  if (!st.ok()) return st;
  auto frame = conn.ReadFrame(std::chrono::seconds(10));
  if (!frame.ok()) return frame.status();
  auto result = ParseApiVersionsV0(*frame);
  if (!result.ok()) return result.status();
  if (result->correlation_id != correlation_id) {
    return absl::DataLossError(absl::StrCat("correlation id ", result->correlation_id,
                                             " in response to request ", correlation_id));
  }
  return result;
}

absl::Status CheckBrokerServes(uint16_t port) {
  auto conn = RawConnection::Connect(port);
  if (!conn.ok()) return conn.status();
  auto versions = RequestApiVersionsV0(*conn, 1001);
  if (!versions.ok()) {
    return absl::Status(versions.status().code(),
                        absl::StrCat("ApiVersions v0: ", versions.status().message()));
  }
  if (versions->error_code != 0) {
    return absl::UnknownError(absl::StrCat("ApiVersions v0 error ", versions->error_code));
  }
  // Metadata v1, all topics (null array).
  WireWriter body;
  body.Int32(-1);
  absl::Status st = conn->Send(EncodeRequest(3, 1, 1002, false, body.data()));
  if (!st.ok()) return st;
  auto frame = conn->ReadFrame(std::chrono::seconds(10));
  if (!frame.ok()) {
    return absl::Status(frame.status().code(),
                        absl::StrCat("Metadata v1: ", frame.status().message()));
  }
  WireReader r(*frame);
  const int32_t corr = r.Int32();
  const int32_t brokers = r.Int32();
  for (int32_t i = 0; r.ok() && i < brokers && i < 1000; ++i) {
    r.Int32();           // node id
    r.NullableString();  // host
    r.Int32();           // port (checked by the metadata tests, not here)
    r.NullableString();  // rack
  }
  r.Int32();  // controller id
  const int32_t topics = r.Int32();
  if (!r.ok() || corr != 1002 || brokers < 1 || topics < 0) {
    return absl::DataLossError(absl::StrCat("malformed Metadata v1 response (correlation id ",
                                             corr, ", ", brokers, " brokers)"));
  }
  return absl::OkStatus();
}

}  // namespace keel::integration
