// Process metrics read from /proc/self at scrape time: open file descriptors,
// resident memory, CPU time, start time.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/metrics/exposition.h"

namespace keel::metrics {

struct ProcessStats {
  int64_t open_fds = 0;
  int64_t max_fds = 0;
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  double cpu_seconds = 0;  // user + system
};

// Parses the text of /proc/self/stat (fields utime, stime, vsize, rss) with
// the given clock ticks per second and page size; nullopt if malformed.
std::optional<ProcessStats> ParseProcStat(std::string_view stat, long ticks_per_second,
                                          long page_size);

// Reads /proc/self; fields it cannot read stay 0.
ProcessStats ReadProcessStats();

// Writes keel_process_open_fds, keel_process_max_fds,
// keel_process_resident_memory_bytes, keel_process_virtual_memory_bytes and
// keel_process_cpu_seconds_total.
void CollectProcessMetrics(ExpositionWriter& w);

}  // namespace keel::metrics
