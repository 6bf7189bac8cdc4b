#include "broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace keel::integration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr auto kReadyTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(20);

}  // namespace

BrokerProcess::BrokerProcess(BrokerSettings settings)
    : settings_(std::move(settings)) {
  fs::create_directories(dir_.path() / "data");
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "==== keel log (%s) ====\n%s==== end of keel log ====\n",
                 log_path().c_str(), LogTail(64 * 1024).c_str());
  }
}

std::string BrokerProcess::BinaryPath() {
  if (const char* env = std::getenv("KEEL_BINARY"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef KEEL_BINARY_PATH
  return KEEL_BINARY_PATH;
#else
  return "";
#endif
}

std::string BrokerProcess::bootstrap() const { return absl::StrCat("127.0.0.1:", port_); }
std::string BrokerProcess::data_dir() const { return (dir_.path() / "data").string(); }
std::string BrokerProcess::log_path() const { return (dir_.path() / "keel.log").string(); }

std::string BrokerProcess::ReadLog() const {
  std::ifstream in(log_path(), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string BrokerProcess::LogTail(size_t max_bytes) const {
  std::string log = ReadLog();
  if (log.size() > max_bytes) log = "...\n" + log.substr(log.size() - max_bytes);
  return log;
}

absl::Status BrokerProcess::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("broker already running");
  const std::string binary = BinaryPath();
  if (binary.empty()) {
    return absl::FailedPreconditionError("KEEL_BINARY is not set (path of the keel executable)");
  }
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("keel binary not executable: ", binary));
  }
  const std::string ready = (dir_.path() / "ready").string();
  std::error_code ec;
  fs::remove(ready, ec);

  std::vector<std::string> args = {binary, "--ready-file", ready};
  // The embedded default turns the HTTP listener on at a fixed port: make it
  // ephemeral so tests can run in parallel (a test's own setting wins).
  std::map<std::string, std::string> all = {{"http.listener", "127.0.0.1:0"}};
  for (const auto& [k, v] : settings_) all[k] = v;
  all["listeners"] = absl::StrCat("PLAINTEXT://127.0.0.1:", port_);
  all["log.dirs"] = data_dir();
  for (const auto& [k, v] : all) {
    args.push_back("--set");
    args.push_back(absl::StrCat(k, "=", v));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("open log: ", std::strerror(errno)));
  std::string banner = "---- starting:";
  for (const auto& a : args) absl::StrAppend(&banner, " ", a);
  banner += "\n";
  (void)!::write(log_fd, banner.data(), banner.size());

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Die with the test process (e.g. when CTest kills it on a timeout).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "execv %s: %s\n", binary.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  absl::Status st = WaitForReady(kReadyTimeout);
  if (!st.ok()) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    return absl::Status(st.code(),
                        absl::StrCat(st.message(), "\n---- keel log tail ----\n", LogTail(8192)));
  }
  return absl::OkStatus();
}

absl::Status BrokerProcess::WaitForReady(std::chrono::milliseconds timeout) {
  const std::string ready = (dir_.path() / "ready").string();
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("keel exited before becoming ready (wait status ", status, ")"));
    }
    std::ifstream in(ready);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) {
      // Expected form: PLAINTEXT://127.0.0.1:<port>
      const auto colon = line.rfind(':');
      uint32_t port = 0;
      if (line.rfind("PLAINTEXT://", 0) != 0 || colon == std::string::npos ||
          !absl::SimpleAtoi(line.substr(colon + 1), &port) || port == 0 || port > 65535) {
        return absl::DataLossError(absl::StrCat("malformed ready file line: '", line, "'"));
      }
      if (port_ != 0 && port != port_) {
        return absl::FailedPreconditionError(
            absl::StrCat("keel bound port ", port, " but was asked for ", port_));
      }
      port_ = static_cast<uint16_t>(port);
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("keel did not write its ready file within 20 s");
}

absl::Status BrokerProcess::WaitForExit(std::chrono::milliseconds timeout, int* status) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const pid_t r = ::waitpid(pid_, status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError("keel did not exit in time");
}

bool BrokerProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

absl::Status BrokerProcess::Stop() {
  if (pid_ <= 0) return absl::FailedPreconditionError("broker not running");
  ::kill(pid_, SIGTERM);
  int status = 0;
  absl::Status st = WaitForExit(kStopTimeout, &status);
  if (!st.ok()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return absl::DeadlineExceededError("keel ignored SIGTERM for 20 s (killed)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(
        "keel did not exit cleanly on SIGTERM: ",
        WIFEXITED(status) ? absl::StrCat("exit code ", WEXITSTATUS(status))
                          : absl::StrCat("signal ", WTERMSIG(status))));
  }
  return absl::OkStatus();
}

absl::Status BrokerProcess::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("broker not running");
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status BrokerProcess::Restart() {
  if (pid_ > 0) {
    absl::Status st = Stop();
    if (!st.ok()) return st;
  }
  return Start();
}

}  // namespace keel::integration
