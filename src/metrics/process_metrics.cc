#include "keel/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace keel::metrics {

std::optional<ProcessStats> ParseProcStat(std::string_view stat, long ticks_per_second,
                                          long page_size) {
  // The command name (field 2) is in parentheses and may hold spaces: parse
  // from the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::istringstream in{std::string(stat.substr(close + 1))};
  std::string field;
  // After ')': field 3 (state) is index 0; utime is field 14, stime 15, vsize 23, rss 24.
  ProcessStats s;
  double utime = 0, stime = 0;
  bool got_cpu = false, got_mem = false;
  for (int index = 0; in >> field; ++index) {
    int number = index + 3;
    try {
      if (number == 14) utime = std::stod(field);
      if (number == 15) { stime = std::stod(field); got_cpu = true; }
      if (number == 23) s.virtual_bytes = std::stoll(field);
      if (number == 24) { s.resident_bytes = std::stoll(field) * page_size; got_mem = true; break; }
    } catch (...) {
      return std::nullopt;
    }
  }
  if (!got_cpu || !got_mem) return std::nullopt;
  s.cpu_seconds = (utime + stime) / double(ticks_per_second);
  return s;
}

ProcessStats ReadProcessStats() {
  ProcessStats s;
  std::ifstream f("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (auto parsed = ParseProcStat(text, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE))) s = *parsed;
  if (DIR* d = opendir("/proc/self/fd")) {
    int64_t n = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    s.open_fds = n - 1;  // the directory stream's own descriptor
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = int64_t(rl.rlim_cur);
  return s;
}

void CollectProcessMetrics(ExpositionWriter& w) {
  ProcessStats s = ReadProcessStats();
  w.Family("keel_process_open_fds", "Open file descriptors of the keel process.", MetricType::kGauge);
  w.Sample("keel_process_open_fds", {}, double(s.open_fds));
  w.Family("keel_process_max_fds", "Limit on open file descriptors (RLIMIT_NOFILE).",
           MetricType::kGauge);
  w.Sample("keel_process_max_fds", {}, double(s.max_fds));
  w.Family("keel_process_resident_memory_bytes", "Resident memory of the keel process.",
           MetricType::kGauge);
  w.Sample("keel_process_resident_memory_bytes", {}, double(s.resident_bytes));
  w.Family("keel_process_virtual_memory_bytes", "Virtual memory size of the keel process.",
           MetricType::kGauge);
  w.Sample("keel_process_virtual_memory_bytes", {}, double(s.virtual_bytes));
  w.Family("keel_process_cpu_seconds_total", "User plus system CPU time of the keel process.",
           MetricType::kCounter);
  w.Sample("keel_process_cpu_seconds_total", {}, s.cpu_seconds);
}

}  // namespace keel::metrics
