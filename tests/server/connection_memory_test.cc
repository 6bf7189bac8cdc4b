// Connections sharing a RequestMemoryPool (queued.max.request.bytes): a
// connection whose next request does not fit stops reading until an answered
// request frees room; a client gone while waiting leaves nothing reserved.
#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "keel/common/coding.h"
#include "keel/server/connection.h"
#include "keel/server/server.h"

namespace keel::server {
namespace {

using std::chrono::milliseconds;

constexpr int16_t kHeldKey = 7;   // answered once the test opens the gate
constexpr int16_t kQuickKey = 18; // answered at once
constexpr int32_t kFrameSize = 60;
constexpr int64_t kPoolBytes = 100;  // one 60-byte frame fits, two do not

class GatedProcessor : public RequestProcessor {
 public:
  Task<ProcessResult> Process(RequestContext ctx) override {
    const auto& f = *ctx.frame;
    const int16_t key = int16_t(coding::LoadBE16(f.data()));
    const uint32_t corr = coding::LoadBE32(f.data() + 4);
    ++processed;
    while (key == kHeldKey && !open.load()) {
      net::steady_timer t(co_await net::this_coro::executor, milliseconds(5));
      co_await t.async_wait(use_tuple);
    }
    auto buf = std::make_shared<std::vector<uint8_t>>(8);
    coding::StoreBE32(buf->data(), 4);
    coding::StoreBE32(buf->data() + 4, corr);
    OutboundResponse r;
    r.fragments.push_back(*buf);
    r.owner = buf;
    co_return ProcessResult{std::move(r), false};
  }
  std::atomic<int> processed{0};
  std::atomic<bool> open{false};
};

class ConnectionMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.listeners = {{"PLAINTEXT", "127.0.0.1", 0}};
    o.io_threads = 2;
    o.connection.max_request_bytes = 1024;
    o.queued_max_request_bytes = kPoolBytes;
    server_ = std::make_unique<Server>(o, processor_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->bound()[0].port;
  }
  void TearDown() override {
    processor_.open = true;
    server_->Stop();
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    return s;
  }
  static void Send(tcp::socket& s, int16_t key, uint32_t corr) {
    std::vector<uint8_t> f(4 + kFrameSize, 0);
    coding::StoreBE32(f.data(), kFrameSize);
    coding::StoreBE16(f.data() + 4, uint16_t(key));
    coding::StoreBE32(f.data() + 8, corr);
    coding::StoreBE16(f.data() + 12, 0xFFFF);
    net::write(s, net::buffer(f));
  }
  static uint32_t ReadCorrelation(tcp::socket& s) {
    uint8_t b[8];
    net::read(s, net::buffer(b));
    return coding::LoadBE32(b + 4);
  }
  // Polls `pred` for up to 5 s.
  template <typename P>
  static bool Eventually(P pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return pred();
  }
  const RequestMemoryPool& pool() const { return server_->memory_pool(); }

  GatedProcessor processor_;
  std::unique_ptr<Server> server_;
  net::io_context client_io_;
  uint16_t port_ = 0;
};

TEST_F(ConnectionMemoryTest, RequestThatDoesNotFitWaitsUntilAnAnswerFreesRoom) {
  tcp::socket a = Connect();
  tcp::socket b = Connect();
  Send(a, kHeldKey, 1);
  ASSERT_TRUE(Eventually([&] { return processor_.processed.load() == 1; }));
  EXPECT_EQ(pool().reserved(), kFrameSize);

  Send(b, kQuickKey, 2);
  ASSERT_TRUE(Eventually([&] { return pool().waiting() == 1; }))
      << "the second frame must wait for room, not be read";
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(processor_.processed.load(), 1) << "read and processed beyond the pool";
  EXPECT_EQ(pool().pause_count(), 1u);

  processor_.open = true;
  EXPECT_EQ(ReadCorrelation(a), 1u);
  EXPECT_EQ(ReadCorrelation(b), 2u) << "answered once the first response freed its bytes";
  EXPECT_TRUE(Eventually([&] { return pool().reserved() == 0; }))
      << "reservations are returned once responses are written";
}

TEST_F(ConnectionMemoryTest, ClientGoneWhileWaitingLeavesNothingReserved) {
  tcp::socket a = Connect();
  Send(a, kHeldKey, 1);
  ASSERT_TRUE(Eventually([&] { return processor_.processed.load() == 1; }));
  {
    tcp::socket b = Connect();
    Send(b, kQuickKey, 2);
    ASSERT_TRUE(Eventually([&] { return pool().waiting() == 1; }));
  }  // b hangs up while waiting (its request is already sent)
  processor_.open = true;
  EXPECT_EQ(ReadCorrelation(a), 1u);
  // Granted to the closed connection (or withdrawn): either way it returns.
  EXPECT_TRUE(Eventually([&] { return pool().reserved() == 0 && pool().waiting() == 0; }))
      << "reserved " << pool().reserved() << " waiting " << pool().waiting();
  // The server still serves new connections within the budget.
  tcp::socket c = Connect();
  Send(c, kQuickKey, 3);
  EXPECT_EQ(ReadCorrelation(c), 3u);
}

TEST_F(ConnectionMemoryTest, StoppingTheServerWithdrawsWaitingConnections) {
  tcp::socket a = Connect();
  tcp::socket b = Connect();
  Send(a, kHeldKey, 1);
  ASSERT_TRUE(Eventually([&] { return processor_.processed.load() == 1; }));
  Send(b, kQuickKey, 2);
  ASSERT_TRUE(Eventually([&] { return pool().waiting() == 1; }));
  server_->Stop();  // a never finishes: drained for the timeout, then closed
  EXPECT_EQ(pool().waiting(), 0u) << "a closed connection must not stay queued";
  EXPECT_EQ(processor_.processed.load(), 1);
}

TEST_F(ConnectionMemoryTest, FrameLargerThanThePoolIsServedAlone) {
  tcp::socket a = Connect();
  std::vector<uint8_t> f(4 + 500, 0);
  coding::StoreBE32(f.data(), 500);
  coding::StoreBE16(f.data() + 4, uint16_t(kQuickKey));
  coding::StoreBE32(f.data() + 8, 9);
  coding::StoreBE16(f.data() + 12, 0xFFFF);
  net::write(a, net::buffer(f));
  EXPECT_EQ(ReadCorrelation(a), 9u) << "a frame above the pool (within max bytes) still runs";
  EXPECT_TRUE(Eventually([&] { return pool().reserved() == 0; }));
}

}  // namespace
}  // namespace keel::server
