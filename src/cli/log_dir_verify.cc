// keel-admin log-dir verify DIR: checks every partition of a log directory.
//
// For each <topic>-<partition> directory and each segment, in base-offset
// order, the storage scanner (storage::ScanBatches, as recovery uses it, but
// CRC-checking every batch) checks lengths, magic, CRCs and that offsets
// increase within and across segments. Where the scan stops before the end
// of the file, recovery would truncate the segment there (and drop every
// later segment): the report names the file, byte position and byte count.
// A zero-filled tail (preallocated space) is trimmed by recovery without
// loss and is not damage. Index files are decoded with the storage
// library's own decoders (OffsetIndex/TimeIndex::Decode) and each entry must
// name a batch start in the log (offset index) or the batch where that max
// timestamp was reached (time index); a missing index is not damage
// (recovery rebuilds it). A damaged checkpoint is reported as a warning.
//
// Read-only: files are opened read-only and nothing is created, renamed or
// removed. Progress (bytes done / total) goes to stderr with --progress, or
// when stderr is a terminal. Exit 1 when damage is found.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "fmt/format.h"
#include "keel/common/coding.h"
#include "keel/common/status_macros.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/file_system.h"
#include "keel/storage/format.h"
#include "keel/storage/segment_index.h"

namespace keel::cli {
namespace {

struct Problem {
  std::string file;
  int64_t position = -1;  // -1: not about a byte range
  int64_t bytes = 0;
  bool damage = true;     // false: a warning
  std::string what;
};

struct PartitionReport {
  std::string name;
  int segments = 0;
  uint64_t batches = 0;
  uint64_t bytes = 0;
  int64_t first_offset = -1;
  int64_t next_offset = -1;
  bool clean_shutdown = false;
  int damage = 0;
};

class Progress {
 public:
  Progress(bool enabled, uint64_t total) : enabled_(enabled), total_(total) {}
  void Update(uint64_t done) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (printed_ && now - last_ < std::chrono::milliseconds(250) && done < total_) return;
    last_ = now;
    printed_ = true;
    double pct = total_ == 0 ? 100.0 : 100.0 * double(done) / double(total_);
    std::fprintf(stderr, "\rverify: %llu / %llu bytes (%.1f%%)", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), pct);
    std::fflush(stderr);
  }
  void Finish() {
    if (!enabled_) return;
    Update(total_);
    std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  uint64_t total_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point last_;
};

struct BatchAt {
  int64_t base_offset;
  int64_t max_timestamp;
};

// Checks the index files of one segment against the batches found in it.
void CheckIndexes(storage::FileSystem& fs, const std::string& dir, int64_t base,
                  const std::map<uint64_t, BatchAt>& by_position, uint64_t valid_end, int64_t next_offset,
                  std::vector<Problem>* problems) {
  std::map<int64_t, int64_t> max_ts_by_offset;
  for (const auto& [pos, b] : by_position) max_ts_by_offset[b.base_offset] = b.max_timestamp;
  const size_t unlimited = std::numeric_limits<size_t>::max() / 16;

  std::string index_path = storage::JoinPath(dir, storage::SegmentFileName(base, storage::kIndexSuffix));
  if (auto bytes = storage::ReadFileToString(fs, index_path); bytes.ok()) {
    auto decoded = storage::OffsetIndex::Decode(*bytes, base, unlimited, valid_end);
    if (!decoded.ok()) {
      problems->push_back({index_path, -1, 0, true,
                           fmt::format("offset index rejected (recovery rebuilds it): {}",
                                       decoded.status().ToString())});
    } else {
      const auto* p = reinterpret_cast<const uint8_t*>(bytes->data());
      for (size_t i = 0; i < bytes->size() / storage::kOffsetIndexEntrySize; ++i) {
        int64_t offset = base + int64_t(coding::LoadBE32(p + i * 8));
        uint64_t position = coding::LoadBE32(p + i * 8 + 4);
        auto it = by_position.find(position);
        if (it == by_position.end() || it->second.base_offset != offset) {
          problems->push_back({index_path, -1, 0, true,
                               fmt::format("offset index entry {} (offset {} -> position {}) does not "
                                           "point at the batch starting with that offset",
                                           i, offset, position)});
        }
      }
    }
  }

  std::string time_path = storage::JoinPath(dir, storage::SegmentFileName(base, storage::kTimeIndexSuffix));
  if (auto bytes = storage::ReadFileToString(fs, time_path); bytes.ok()) {
    auto decoded = storage::TimeIndex::Decode(*bytes, base, unlimited, next_offset);
    if (!decoded.ok()) {
      problems->push_back({time_path, -1, 0, true,
                           fmt::format("time index rejected (recovery rebuilds it): {}",
                                       decoded.status().ToString())});
    } else {
      const auto* p = reinterpret_cast<const uint8_t*>(bytes->data());
      for (size_t i = 0; i < bytes->size() / storage::kTimeIndexEntrySize; ++i) {
        int64_t ts = int64_t(coding::LoadBE64(p + i * 12));
        int64_t offset = base + int64_t(coding::LoadBE32(p + i * 12 + 8));
        auto it = max_ts_by_offset.find(offset);
        if (it == max_ts_by_offset.end() || it->second != ts) {
          problems->push_back({time_path, -1, 0, true,
                               fmt::format("time index entry {} (timestamp {} -> offset {}) does not "
                                           "match the batch starting with that offset",
                                           i, ts, offset)});
        }
      }
    }
  }
}

PartitionReport VerifyPartition(storage::FileSystem& fs, const std::string& dir, const std::string& name,
                                Progress& progress, uint64_t* done, std::vector<Problem>* problems,
                                absl::Status* io_error) {
  PartitionReport report;
  report.name = name;
  auto names = fs.ListDir(dir);
  if (!names.ok()) {
    *io_error = names.status();
    return report;
  }
  std::vector<int64_t> bases;
  for (const std::string& n : *names) {
    if (auto base = storage::ParseSegmentFileName(n, storage::kLogSuffix)) bases.push_back(*base);
    if (n == storage::kCleanShutdownFile) report.clean_shutdown = true;
  }
  std::sort(bases.begin(), bases.end());
  report.segments = int(bases.size());

  if (auto text = storage::ReadFileToString(fs, storage::JoinPath(dir, storage::kCheckpointFile)); text.ok()) {
    if (auto c = storage::DecodeCheckpoint(*text); !c.ok()) {
      problems->push_back({storage::JoinPath(dir, storage::kCheckpointFile), -1, 0, false,
                           fmt::format("damaged checkpoint (recovery ignores it and rescans the log): {}",
                                       c.status().ToString())});
    }
  }

  int64_t next = -1;
  bool truncated = false;
  size_t before = problems->size();
  for (int64_t base : bases) {
    std::string path = storage::JoinPath(dir, storage::SegmentFileName(base, storage::kLogSuffix));
    auto file = fs.Open(path, storage::OpenMode::kReadOnly);
    if (!file.ok()) {
      *io_error = file.status();
      return report;
    }
    auto size = (*file)->Size();
    if (!size.ok()) {
      *io_error = size.status();
      return report;
    }
    if (truncated) {
      problems->push_back({path, 0, int64_t(*size), true,
                           "recovery would drop this whole segment (it follows a truncation point)"});
      *done += *size;
      progress.Update(*done);
      continue;
    }
    storage::ScanOptions options;
    options.verify_crc_from_offset = std::numeric_limits<int64_t>::min();  // every batch
    options.min_base_offset = std::max(base, next);
    std::map<uint64_t, BatchAt> by_position;
    uint64_t start_done = *done;
    auto scan = storage::ScanBatches(**file, 0, *size, options, [&](const BatchHeader& h, uint64_t pos) {
      by_position[pos] = BatchAt{h.base_offset, h.max_timestamp};
      if (report.first_offset < 0) report.first_offset = h.base_offset;
      progress.Update(start_done + pos + h.total_size());
      return true;
    });
    if (!scan.ok()) {
      *io_error = scan.status();
      return report;
    }
    *done = start_done + *size;
    progress.Update(*done);
    report.batches += scan->batches;
    report.bytes += *size;
    if (scan->batches > 0) next = scan->next_offset;
    if (scan->valid_end < *size) {
      uint64_t dropped = *size - scan->valid_end;
      if (scan->zero_tail) {
        problems->push_back({path, int64_t(scan->valid_end), int64_t(dropped), false,
                             "zero-filled tail (preallocated space): recovery trims it, no data lost"});
      } else {
        problems->push_back({path, int64_t(scan->valid_end), int64_t(dropped), true,
                             fmt::format("recovery would truncate here: {}", scan->stop_reason.ToString())});
        truncated = true;
      }
    }
    CheckIndexes(fs, dir, base, by_position, scan->valid_end, scan->batches > 0 ? scan->next_offset : base,
                 problems);
  }
  report.next_offset = next;
  for (size_t i = before; i < problems->size(); ++i) report.damage += (*problems)[i].damage ? 1 : 0;
  return report;
}

struct VerifyOptions {
  std::string root;
  bool progress = false;
};

absl::Status Verify(Context& ctx, const VerifyOptions& o) {
  const std::string* root = &o.root;
  const bool progress_flag = o.progress;

  auto fs = storage::NewPosixFileSystem();
  KEEL_ASSIGN_OR_RETURN(bool is_dir, fs->IsDirectory(*root));
  if (!is_dir) return absl::NotFoundError(fmt::format("{} is not a directory", *root));
  KEEL_ASSIGN_OR_RETURN(auto entries, fs->ListDir(*root));
  std::sort(entries.begin(), entries.end());

  // Partition directories and the total bytes of their segments.
  std::vector<std::string> partitions;
  uint64_t total = 0;
  for (const std::string& e : entries) {
    std::string path = storage::JoinPath(*root, e);
    auto d = fs->IsDirectory(path);
    if (!d.ok() || !*d || !storage::ParsePartitionDirName(e)) continue;
    partitions.push_back(e);
    auto names = fs->ListDir(path);
    if (!names.ok()) continue;
    for (const std::string& n : *names) {
      if (!storage::ParseSegmentFileName(n, storage::kLogSuffix)) continue;
      auto f = fs->Open(storage::JoinPath(path, n), storage::OpenMode::kReadOnly);
      if (!f.ok()) continue;
      if (auto size = (*f)->Size(); size.ok()) total += *size;
    }
  }

  Progress progress(progress_flag || ::isatty(STDERR_FILENO), total);
  uint64_t done = 0;
  std::vector<Problem> problems;
  std::vector<PartitionReport> reports;
  for (const std::string& name : partitions) {
    absl::Status io_error;
    reports.push_back(VerifyPartition(*fs, storage::JoinPath(*root, name), name, progress, &done, &problems,
                                      &io_error));
    KEEL_RETURN_IF_ERROR(io_error);
  }
  progress.Finish();

  int damage = 0;
  for (const Problem& p : problems) damage += p.damage ? 1 : 0;
  Json doc = {{"dir", *root}, {"bytes", total}};
  Json jparts = Json::array();
  Table ptable{{"PARTITION", "SEGMENTS", "BATCHES", "BYTES", "OFFSETS", "SHUTDOWN", "STATUS"}, {}};
  for (const auto& r : reports) {
    jparts.push_back({{"partition", r.name},
                      {"segments", r.segments},
                      {"batches", r.batches},
                      {"bytes", r.bytes},
                      {"first_offset", r.first_offset},
                      {"next_offset", r.next_offset},
                      {"clean_shutdown", r.clean_shutdown},
                      {"ok", r.damage == 0}});
    ptable.rows.push_back({r.name, std::to_string(r.segments), std::to_string(r.batches),
                           std::to_string(r.bytes),
                           r.first_offset < 0 ? "-" : fmt::format("[{}, {})", r.first_offset, r.next_offset),
                           r.clean_shutdown ? "clean" : "unclean", r.damage == 0 ? "ok" : "DAMAGED"});
  }
  doc["partitions"] = std::move(jparts);
  Json jproblems = Json::array();
  Table qtable{{"SEVERITY", "FILE", "POSITION", "BYTES", "PROBLEM"}, {}};
  for (const Problem& p : problems) {
    jproblems.push_back({{"severity", p.damage ? "damage" : "warning"},
                         {"file", p.file},
                         {"position", p.position >= 0 ? Json(p.position) : Json()},
                         {"bytes", p.bytes},
                         {"problem", p.what}});
    qtable.rows.push_back({p.damage ? "DAMAGE" : "warning", p.file,
                           p.position >= 0 ? std::to_string(p.position) : "-", std::to_string(p.bytes), p.what});
  }
  doc["problems"] = std::move(jproblems);
  doc["damaged"] = damage > 0;
  std::string text = fmt::format("Log directory {}: {} partition(s), {} bytes\n\n", *root, reports.size(), total);
  text += ptable.Render();
  if (!problems.empty()) text += "\n" + qtable.Render();
  text += damage > 0 ? fmt::format("\n{} problem(s) found.\n", damage) : "\nNo damage found.\n";
  ctx.Emit(doc, text);
  if (damage > 0) return absl::DataLossError(fmt::format("{}: {} problem(s) found", *root, damage));
  return absl::OkStatus();
}

}  // namespace

void AddLogDirCommands(CLI::App& app, Action* action) {
  CLI::App* log_dir = app.add_subcommand("log-dir", "offline tools for a whole log directory (no broker; read-only)");
  log_dir->require_subcommand(0, 1);
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* v = log_dir->add_subcommand(
      "verify", "check every partition's batches, offsets and indexes as recovery would; exit 1 on damage");
  v->add_option("DIR", o->root, "the broker's log directory")->required();
  v->add_flag("--progress", o->progress, "report bytes done on stderr (default when stderr is a terminal)");
  v->callback([action, o] { *action = [o](Context& ctx) { return Verify(ctx, *o); }; });
}

}  // namespace keel::cli
