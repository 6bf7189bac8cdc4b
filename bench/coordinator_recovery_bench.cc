// How long the group coordinator takes to rebuild its state from
// __consumer_offsets at start-up, before and after log compaction.
//
// Writes `commits` offset commits (10 partitions per commit request, as a
// consumer commits its whole assignment) for `groups` groups into one
// __consumer_offsets partition, rolls the segment as time would, and then
// measures a broker-like start-up (PartitionManager open with log recovery +
// coordinator replay) twice: on the raw log and after one cleaner pass.
//
// Usage: coordinator_recovery_bench [commits=1000000] [groups=100]
// Prints one line per phase and the speed-up; never asserts timings.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "keel/coordinator/group_coordinator.h"
#include "keel/coordinator/group_records.h"
#include "keel/coordinator/partition_coordinator_log.h"
#include "keel/partition/partition_manager.h"
#include "keel/storage/file_system.h"
#include "spdlog/spdlog.h"
#include "testutil/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Opened {
  std::unique_ptr<keel::partition::PartitionManager> pm;
  std::unique_ptr<keel::coordinator::PartitionCoordinatorLog> log;
};

Opened Open(keel::storage::FileSystem* fs, const std::string& dir,
            const keel::coordinator::Clock* clock) {
  keel::partition::PartitionManagerOptions o;
  o.log_dirs = {dir};
  o.fs = fs;
  o.cleaner_enable = false;  // passes are run by hand below
  auto pm = keel::partition::PartitionManager::Open(o);
  if (!pm.ok()) {
    std::fprintf(stderr, "open: %s\n", pm.status().ToString().c_str());
    std::exit(1);
  }
  auto log = keel::coordinator::PartitionCoordinatorLog::Open(**pm, 1, clock);
  if (!log.ok()) {
    std::fprintf(stderr, "coordinator log: %s\n", log.status().ToString().c_str());
    std::exit(1);
  }
  return {std::move(*pm), std::move(*log)};
}

// Opens and replays; returns {ms, records replayed, groups}.
void MeasureStartup(const char* label, keel::storage::FileSystem* fs, const std::string& dir,
                    const keel::coordinator::Clock* clock, double* ms_out) {
  auto start = Clock::now();
  Opened o = Open(fs, dir, clock);
  keel::coordinator::GroupCoordinator coordinator({}, o.log.get(), clock);
  auto records = o.log->LoadInto(coordinator);
  double ms = MsSince(start);
  if (!records.ok()) {
    std::fprintf(stderr, "load: %s\n", records.status().ToString().c_str());
    std::exit(1);
  }
  auto tp_log = o.pm->GetLog({std::string(keel::coordinator::kConsumerOffsetsTopic), keel::PartitionId(0)});
  std::printf("%-28s %10.1f ms  %9lld records replayed  %8.1f MiB on disk  %zu groups\n", label, ms,
              static_cast<long long>(*records), tp_log->size_bytes() / 1048576.0,
              coordinator.group_count());
  *ms_out = ms;
  (void)o.pm->Shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t commits = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int groups = argc > 2 ? std::atoi(argv[2]) : 100;
  constexpr int kPartitionsPerCommit = 10;
  spdlog::set_level(spdlog::level::warn);
  keel::testutil::TempDir tmp;
  auto fs = keel::storage::NewPosixFileSystem();
  keel::coordinator::SystemClock clock;

  {
    Opened o = Open(fs.get(), tmp.str(), &clock);
    auto start = Clock::now();
    std::vector<keel::coordinator::CoordinatorRecord> batch;
    for (int64_t i = 0; i < commits; i += kPartitionsPerCommit) {
      std::string group = "group-" + std::to_string((i / kPartitionsPerCommit) % groups);
      batch.clear();
      for (int p = 0; p < kPartitionsPerCommit; ++p) {
        keel::coordinator::CommittedOffset value;
        value.offset = keel::Offset(i);
        value.commit_timestamp_ms = clock.NowMs();
        batch.push_back(keel::coordinator::OffsetCommitRecord(
            group, {"agent-events", keel::PartitionId(p)}, value));
      }
      auto r = o.log->Append(0, batch);
      if (!r.ok()) {
        std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
        return 1;
      }
    }
    auto tp_log = o.pm->GetLog({std::string(keel::coordinator::kConsumerOffsetsTopic), keel::PartitionId(0)});
    (void)tp_log->Roll();
    (void)tp_log->Flush();
    std::printf("wrote %lld offset commits (%d groups x %d partitions) in %.1f ms\n",
                static_cast<long long>(commits), groups, kPartitionsPerCommit, MsSince(start));
    (void)o.pm->Shutdown();
  }

  double raw_ms = 0, compacted_ms = 0;
  MeasureStartup("start-up, not compacted", fs.get(), tmp.str(), &clock, &raw_ms);
  {
    Opened o = Open(fs.get(), tmp.str(), &clock);
    auto start = Clock::now();
    auto pass = o.pm->RunCleanerPass();
    std::printf("%-28s %10.1f ms  %9lld records removed  %8.1f MiB reclaimed\n", "cleaner pass",
                MsSince(start), static_cast<long long>(pass.records_removed),
                pass.bytes_reclaimed / 1048576.0);
    (void)o.pm->Shutdown();
  }
  MeasureStartup("start-up, compacted", fs.get(), tmp.str(), &clock, &compacted_ms);
  std::printf("compaction speeds up coordinator start-up %.1fx\n", raw_ms / compacted_ms);
  return 0;
}
