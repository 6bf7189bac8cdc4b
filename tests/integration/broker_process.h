// BrokerProcess: runs the real `keel` executable as a child process for
// integration tests.
//
// Promises:
//  - Every instance owns a fresh temporary directory holding the data dir
//    (`data/`), the ready file and the broker's captured stdout+stderr
//    (`keel.log`, appended across restarts). The directory is removed when the
//    instance dies.
//  - Start() listens on an ephemeral 127.0.0.1 port the first time; every later
//    Start()/Restart() passes listeners=PLAINTEXT://127.0.0.1:<same port> and the
//    same data dir, so clients can reconnect to the same bootstrap address.
//  - Start() returns once keel has written its ready file (20 s timeout), or an
//    error that includes the tail of the broker log if keel died or hung.
//  - Stop() sends SIGTERM and waits (20 s) for a clean exit (status 0);
//    Kill() sends SIGKILL and reaps the child. The destructor kills a broker
//    that is still running, and prints the broker log when the current
//    GoogleTest test has failed.
//
// The executable is taken from the KEEL_BINARY environment variable (set by
// CTest), falling back to the compile-time KEEL_BINARY_PATH when defined.
//
// Thread-safety: not thread-safe; use from the test's main thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "testutil/temp_dir.h"

namespace keel::integration {

// Broker settings passed as `--set key=value`.
using BrokerSettings = std::map<std::string, std::string>;

class BrokerProcess {
 public:
  // `settings` are passed as `--set key=value` in addition to listeners and
  // log.dirs (which the fixture controls).
  explicit BrokerProcess(BrokerSettings settings = {});
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  absl::Status Start();
  absl::Status Stop();     // SIGTERM, wait, require exit status 0
  absl::Status Kill();     // SIGKILL, wait
  absl::Status Restart();  // Stop() if running, then Start() on the same port

  bool running() const { return pid_ > 0; }
  // True if the child is still alive (reaps it if it has exited).
  bool Alive();
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string bootstrap() const;  // "127.0.0.1:<port>"
  std::string data_dir() const;
  std::string log_path() const;
  std::string ReadLog() const;

  // Path of the keel executable, or empty if none is configured.
  static std::string BinaryPath();

 private:
  absl::Status WaitForReady(std::chrono::milliseconds timeout);
  absl::Status WaitForExit(std::chrono::milliseconds timeout, int* status);
  std::string LogTail(size_t max_bytes) const;

  testutil::TempDir dir_;
  std::map<std::string, std::string> settings_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace keel::integration
