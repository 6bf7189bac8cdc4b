// Framing helpers and the POSIX socket stream (see byte_stream.h).
#include "keel/client/byte_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "keel/common/coding.h"
#include "keel/common/status_macros.h"

namespace keel::client {
namespace {

// Milliseconds left until `deadline` for poll(2): >= 0.
int RemainingMs(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                    std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : int(left.count());
}

// Waits until `fd` is ready for `events`; DeadlineExceeded on timeout.
absl::Status WaitFor(int fd, short events, Deadline deadline, const char* what) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return absl::OkStatus();
    if (n == 0) return absl::DeadlineExceededError(absl::StrCat("timed out waiting to ", what));
    if (errno != EINTR) return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
  }
}

}  // namespace

absl::Status WriteAll(ByteStream& stream, std::span<const uint8_t> data, Deadline deadline) {
  while (!data.empty()) {
    KEEL_ASSIGN_OR_RETURN(size_t n, stream.WriteSome(data, deadline));
    data = data.subspan(n);
  }
  return absl::OkStatus();
}

absl::Status ReadExact(ByteStream& stream, std::span<uint8_t> out, Deadline deadline) {
  while (!out.empty()) {
    KEEL_ASSIGN_OR_RETURN(size_t n, stream.ReadSome(out, deadline));
    if (n == 0) return absl::UnavailableError("connection closed by peer in the middle of a response");
    out = out.subspan(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadFrame(ByteStream& stream, size_t max_frame_bytes,
                                               Deadline deadline) {
  uint8_t size_bytes[4];
  KEEL_RETURN_IF_ERROR(ReadExact(stream, size_bytes, deadline));
  int32_t size = int32_t(coding::LoadBE32(size_bytes));
  if (size < 0 || size_t(size) > max_frame_bytes) {
    return absl::DataLossError(absl::StrCat("impossible response frame size ", size, " (limit ",
                                            max_frame_bytes, ")"));
  }
  std::vector<uint8_t> payload(static_cast<size_t>(size));
  KEEL_RETURN_IF_ERROR(ReadExact(stream, payload, deadline));
  return payload;
}

absl::StatusOr<std::unique_ptr<SocketStream>> SocketStream::Connect(const std::string& host,
                                                                    uint16_t port,
                                                                    Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      absl::Status waited = WaitFor(fd, POLLOUT, deadline, "connect");
      if (!waited.ok()) {
        last_error = waited.ToString();
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::freeaddrinfo(list);
    return std::unique_ptr<SocketStream>(new SocketStream(fd));
  }
  ::freeaddrinfo(list);
  return absl::UnavailableError(absl::StrCat("cannot connect to ", host, ":", port, ": ", last_error));
}

SocketStream::~SocketStream() { ::close(fd_); }

absl::StatusOr<size_t> SocketStream::ReadSome(std::span<uint8_t> out, Deadline deadline) {
  while (true) {
    ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    if (n >= 0) return size_t(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    KEEL_RETURN_IF_ERROR(WaitFor(fd_, POLLIN, deadline, "read the response"));
  }
}

absl::StatusOr<size_t> SocketStream::WriteSome(std::span<const uint8_t> data, Deadline deadline) {
  while (true) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) return size_t(n);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    KEEL_RETURN_IF_ERROR(WaitFor(fd_, POLLOUT, deadline, "send the request"));
  }
}

}  // namespace keel::client
