#include "reliability_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::reliability {

int64_t IntFromEnv(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  int64_t out = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &out)) return fallback;
  return out;
}

uint64_t SeedFromEnv(const char* name) {
  const char* v = std::getenv(name);
  uint64_t out = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &out)) return out;
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd();
}

int64_t ProcStatusKib(pid_t pid, std::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  const std::string prefix = absl::StrCat(std::string(field), ":");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string digits;
    for (char c : line.substr(prefix.size())) {
      if (c >= '0' && c <= '9') digits += c;
    }
    int64_t v = -1;
    return absl::SimpleAtoi(digits, &v) ? v : -1;
  }
  return -1;
}

int64_t OpenFdCount(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  if (ec) return -1;
  int64_t n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  return n;
}

std::map<std::string, int64_t> OpenFdKinds(pid_t pid) {
  std::map<std::string, int64_t> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    if (ec) {
      ec.clear();
      continue;
    }
    if (target.rfind("socket:", 0) == 0) {
      ++out["socket"];
    } else if (!target.empty() && target[0] == '/') {
      constexpr std::string_view kDeleted = " (deleted)";
      const bool deleted = target.size() > kDeleted.size() &&
                           target.compare(target.size() - kDeleted.size(), kDeleted.size(),
                                          kDeleted) == 0;
      ++out[deleted ? "deleted" : "file"];
    } else {
      ++out["other"];
    }
  }
  return out;
}

std::vector<std::string> DeletedFileFds(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    if (ec) {
      ec.clear();
      continue;
    }
    if (target.size() > 10 && target.compare(target.size() - 10, 10, " (deleted)") == 0)
      out.push_back(target);
  }
  return out;
}

void ReportFigure(const std::string& name, const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  const char* dir = std::getenv("KEEL_FIGURES_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(absl::StrCat(dir, "/", name, ".txt"), std::ios::app);
  out << line << "\n";
}

size_t CountLines(std::string_view text, std::string_view needle) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(pos, end - pos).find(needle) != std::string_view::npos) ++n;
    pos = end + 1;
  }
  return n;
}

}  // namespace keel::reliability
