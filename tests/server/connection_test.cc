// Connection-level behaviour with a stand-in RequestProcessor: ordering of
// pipelined responses, frame size limits, acks=0-style empty responses.
#include "keel/server/connection.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "gtest/gtest.h"
#include "keel/common/coding.h"
#include "keel/server/server.h"

namespace keel::server {
namespace {

// Echoes the correlation id back. A request whose api_key is 1 sleeps
// 200 ms first; api_key 2 gets no response; api_key 3 closes the connection.
class EchoProcessor : public RequestProcessor {
 public:
  Task<ProcessResult> Process(RequestContext ctx) override {
    const auto& f = *ctx.frame;
    int16_t key = int16_t(coding::LoadBE16(f.data()));
    uint32_t corr = coding::LoadBE32(f.data() + 4);
    ++processed;
    if (key == 1) {
      net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(200));
      co_await t.async_wait(use_tuple);
    }
    if (key == 2) co_return ProcessResult{};
    if (key == 4) co_return FileResponse(corr);
    auto buf = std::make_shared<std::vector<uint8_t>>(8);
    coding::StoreBE32(buf->data(), 4);
    coding::StoreBE32(buf->data() + 4, corr);
    OutboundResponse r;
    r.fragments.push_back(*buf);
    r.owner = buf;
    co_return ProcessResult{std::move(r), key == 3};
  }
  std::atomic<int> processed{0};
  // For api_key 4: a response of [size, correlation id] from memory, then
  // `file_size` bytes of `file_fd` from offset `file_offset` (sendfile), then
  // "END!" from memory.
  int file_fd = -1;
  uint64_t file_offset = 0;
  size_t file_size = 0;

 private:
  ProcessResult FileResponse(uint32_t corr) {
    auto head = std::make_shared<std::vector<uint8_t>>(12);
    coding::StoreBE32(head->data(), uint32_t(4 + file_size + 4));
    coding::StoreBE32(head->data() + 4, corr);
    std::memcpy(head->data() + 8, "END!", 4);
    OutboundResponse r;
    r.fragments.emplace_back(head->data(), 8);
    // Stands for the file bytes: never read, only its size counts.
    r.fragments.emplace_back(head->data() + 1, file_size);
    r.fragments.emplace_back(head->data() + 8, 4);
    r.from_files.resize(3);
    // Two ranges for one fragment, to check they go out back to back.
    size_t first = file_size / 3;
    r.from_files[1] = {FileRange{file_fd, file_offset, first},
                       FileRange{file_fd, file_offset + first, file_size - first}};
    r.owner = head;
    return ProcessResult{std::move(r), false};
  }
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.listeners = {{"PLAINTEXT", "127.0.0.1", 0}};
    o.io_threads = 2;
    o.connection.max_request_bytes = 1024;
    server_ = std::make_unique<Server>(o, processor_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->bound()[0].port;
  }
  void TearDown() override { server_->Stop(); }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    return s;
  }
  static std::vector<uint8_t> Frame(int16_t key, uint32_t corr) {
    std::vector<uint8_t> f(4 + 10, 0);
    coding::StoreBE32(f.data(), 10);
    coding::StoreBE16(f.data() + 4, uint16_t(key));
    coding::StoreBE32(f.data() + 8, corr);
    coding::StoreBE16(f.data() + 12, 0xFFFF);
    return f;
  }
  static uint32_t ReadCorrelation(tcp::socket& s) {
    uint8_t b[8];
    net::read(s, net::buffer(b));
    return coding::LoadBE32(b + 4);
  }

  EchoProcessor processor_;
  std::unique_ptr<Server> server_;
  net::io_context client_io_;
  uint16_t port_ = 0;
};

TEST_F(ConnectionTest, PipelinedResponsesKeepRequestOrder) {
  auto s = Connect();
  // The first request is slow; the next two finish first but must wait.
  for (auto [key, corr] : {std::pair{1, 100u}, {0, 101u}, {0, 102u}}) {
    auto f = Frame(int16_t(key), corr);
    net::write(s, net::buffer(f));
  }
  EXPECT_EQ(ReadCorrelation(s), 100u);
  EXPECT_EQ(ReadCorrelation(s), 101u);
  EXPECT_EQ(ReadCorrelation(s), 102u);
}

TEST_F(ConnectionTest, RequestWithoutResponseDoesNotBlockLaterOnes) {
  auto s = Connect();
  for (auto [key, corr] : {std::pair{2, 1u}, {0, 2u}}) {
    auto f = Frame(int16_t(key), corr);
    net::write(s, net::buffer(f));
  }
  EXPECT_EQ(ReadCorrelation(s), 2u);
}

TEST_F(ConnectionTest, OversizedFrameClosesConnectionOthersUnaffected) {
  auto bad = Connect();
  uint8_t huge[4];
  coding::StoreBE32(huge, 0x7fffffff);
  net::write(bad, net::buffer(huge));
  uint8_t b[1];
  boost::system::error_code ec;
  net::read(bad, net::buffer(b), ec);
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();

  auto good = Connect();
  auto f = Frame(0, 7);
  net::write(good, net::buffer(f));
  EXPECT_EQ(ReadCorrelation(good), 7u);
}

TEST_F(ConnectionTest, NegativeAndTinyFrameSizesClose) {
  for (uint32_t size : {0xFFFFFFFFu, 0u, 3u}) {
    auto s = Connect();
    uint8_t hdr[4];
    coding::StoreBE32(hdr, size);
    net::write(s, net::buffer(hdr));
    uint8_t b[1];
    boost::system::error_code ec;
    net::read(s, net::buffer(b), ec);
    EXPECT_TRUE(ec) << size;
  }
}

TEST_F(ConnectionTest, ProcessorCanCloseAfterResponse) {
  auto s = Connect();
  auto f = Frame(3, 9);
  net::write(s, net::buffer(f));
  EXPECT_EQ(ReadCorrelation(s), 9u);
  uint8_t b[1];
  boost::system::error_code ec;
  net::read(s, net::buffer(b), ec);
  EXPECT_TRUE(ec);
}

// A response fragment backed by file ranges is sent with sendfile, between
// the memory fragments around it, and later responses follow in order. 3 MiB
// is more than a loopback socket buffer holds, so sendfile has to wait for
// the reader.
TEST_F(ConnectionTest, FileRangesAreSentInPlaceOfTheirFragment) {
  std::string path = ::testing::TempDir() + "/keel-sendfile-" + std::to_string(::getpid());
  std::vector<uint8_t> content(3 << 20);
  for (size_t i = 0; i < content.size(); ++i) content[i] = uint8_t(i * 131 + (i >> 12));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::unlink(path.c_str());
  ASSERT_EQ(::pwrite(fd, content.data(), content.size(), 0), ssize_t(content.size()));
  processor_.file_fd = fd;
  processor_.file_offset = 1000;
  processor_.file_size = content.size() - 1000 - 17;

  auto s = Connect();
  for (auto [key, corr] : {std::pair{4, 41u}, {0, 42u}}) {
    auto f = Frame(int16_t(key), corr);
    net::write(s, net::buffer(f));
  }
  std::vector<uint8_t> got(8 + processor_.file_size + 4);
  net::read(s, net::buffer(got));
  EXPECT_EQ(coding::LoadBE32(got.data()), 4 + processor_.file_size + 4);
  EXPECT_EQ(coding::LoadBE32(got.data() + 4), 41u);
  EXPECT_TRUE(std::equal(got.begin() + 8, got.end() - 4, content.begin() + 1000))
      << "file bytes differ";
  EXPECT_EQ(std::memcmp(got.data() + got.size() - 4, "END!", 4), 0);
  EXPECT_EQ(ReadCorrelation(s), 42u);
  ::close(fd);
}

TEST_F(ConnectionTest, ManyConnectionsAreServed) {
  std::vector<tcp::socket> socks;
  for (int i = 0; i < 200; ++i) socks.push_back(Connect());
  for (size_t i = 0; i < socks.size(); ++i) {
    auto f = Frame(0, uint32_t(i));
    net::write(socks[i], net::buffer(f));
  }
  for (size_t i = 0; i < socks.size(); ++i) EXPECT_EQ(ReadCorrelation(socks[i]), uint32_t(i));
}

}  // namespace
}  // namespace keel::server
