// Crash test: a child process appends with fsync-before-ack and reports every
// acknowledged batch; the parent kill -9s it at random moments, reopens the
// log (running recovery) and checks that every acknowledged batch is present
// byte-for-byte and that offsets are contiguous. KEEL_CRASH_ITERATIONS
// overrides the default of 50 iterations.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "keel/common/record_batch.h"
#include "keel/storage/file_system.h"
#include "keel/storage/log.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::storage {
namespace {

struct Ack {
  int records;
  size_t value_size;
  uint32_t seed;
};

int Iterations() {
  const char* env = std::getenv("KEEL_CRASH_ITERATIONS");
  int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : 50;
}

// Runs the appender for about `run_ms` after it starts, kill -9s it and
// returns everything it wrote to stdout.
std::string RunAndKill(const std::string& dir, uint64_t seed, bool preallocate, int run_ms) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::string s = std::to_string(seed);
    ::execl(KEEL_CRASH_APPENDER, KEEL_CRASH_APPENDER, dir.c_str(), s.c_str(), preallocate ? "1" : "0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
  bool eof = false;
  while (!eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) > 0) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) eof = true;
      else out.append(buf, size_t(n));
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "appender exited early with status " << status;
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  ::close(fds[0]);
  return out;
}

TEST(CrashTest, AcknowledgedBatchesSurviveKillNine) {
  testutil::TempDir tmp;
  std::string dir = tmp.str() + "/crash-0";
  auto fs = NewPosixFileSystem();
  std::map<int64_t, Ack> acked;
  std::mt19937 rng(12345);
  int iterations = Iterations();
  int64_t total_acked = 0;
  for (int it = 0; it < iterations; ++it) {
    int run_ms = 30 + int(rng() % 200);
    std::string out = RunAndKill(dir, uint64_t(it), it % 3 == 1, run_ms);
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      int64_t base;
      Ack a;
      if (fields >> base >> a.records >> a.value_size >> a.seed) {
        acked[base] = a;
        total_acked++;
      } else if (!lines.eof()) {
        ADD_FAILURE() << "unparsable acknowledgement line: " << line;
      }
    }

    LogOptions o;
    o.dir = dir;
    o.topic_partition = TopicPartition{"crash", PartitionId(0)};
    o.config.segment_bytes = 64 * 1024;
    o.config.index_interval_bytes = 1024;
    o.fs = fs.get();
    auto log = Log::Open(std::move(o));
    ASSERT_TRUE(log.ok()) << log.status();
    auto read = (*log)->Read(Offset(0), size_t(1) << 31, (*log)->high_watermark());
    ASSERT_TRUE(read.ok()) << read.status();
    auto bytes = ReadBytes(read->slices);
    ASSERT_TRUE(bytes.ok());

    // Walk every stored batch: valid, contiguous offsets from 0.
    std::map<int64_t, std::pair<size_t, size_t>> batches;  // base -> (pos, size)
    int64_t expected_base = 0;
    for (size_t pos = 0; pos < bytes->size();) {
      auto size = NextBatchSize(std::span<const uint8_t>(*bytes).subspan(pos));
      ASSERT_TRUE(size.ok() && *size > 0) << "iteration " << it << " position " << pos;
      auto h = ValidateBatch(std::span<const uint8_t>(*bytes).subspan(pos, *size));
      ASSERT_TRUE(h.ok()) << h.status();
      ASSERT_EQ(h->base_offset, expected_base) << "iteration " << it;
      batches[h->base_offset] = {pos, *size};
      expected_base = h->last_offset() + 1;
      pos += *size;
    }
    ASSERT_EQ(expected_base, (*log)->log_end_offset().value);

    // Every acknowledged batch is present byte-for-byte.
    for (const auto& [b, ack] : acked) {
      auto found = batches.find(b);
      ASSERT_NE(found, batches.end()) << "acknowledged batch at " << b << " lost in iteration " << it;
      auto want = testutil::BuildSimpleBatch(ack.records, ack.value_size, ack.seed);
      PatchBaseOffset(want, b);
      PatchPartitionLeaderEpoch(want, 0);
      ASSERT_EQ(found->second.second, want.size()) << "batch at " << b;
      ASSERT_TRUE(std::equal(want.begin(), want.end(), bytes->begin() + std::ptrdiff_t(found->second.first)))
          << "batch at " << b << " differs in iteration " << it;
    }
    // Alternate: half the verifications close cleanly, half leave the log
    // as a crash would (no clean-shutdown marker).
    if (it % 2 == 0) ASSERT_TRUE((*log)->Close().ok());
  }
  EXPECT_GT(total_acked, int64_t(iterations)) << "the appender acknowledged too little to test anything";
  RecordProperty("acknowledged_batches", std::to_string(total_acked));
}

}  // namespace
}  // namespace keel::storage
