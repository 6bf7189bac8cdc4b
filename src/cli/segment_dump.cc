// keel-admin segment dump FILE.log: every batch of one segment file.
//
// Walks the file with the storage scanner (storage::ScanBatches, headers
// only, so a batch with a bad CRC is shown and the walk goes on) and reads
// each batch to check its CRC (keel::ValidateBatch). With --records the
// records of every batch are listed too. The walk stops where the scanner
// stops (torn or impossible header); that position and the reason are shown.
// Read-only. Exit 1 if a batch is corrupt or the file has a torn tail.
#include <limits>
#include <memory>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "fmt/format.h"
#include "keel/common/compression.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/common/status_macros.h"
#include "keel/storage/batch_scanner.h"
#include "keel/storage/file_system.h"

namespace keel::cli {
namespace {

std::string Flags(const BatchHeader& h) {
  std::string f;
  if (h.is_transactional()) f += "transactional";
  if (h.is_control()) f += std::string(f.empty() ? "" : ",") + "control";
  if (h.log_append_time()) f += std::string(f.empty() ? "" : ",") + "log-append-time";
  return f.empty() ? "-" : f;
}

std::string Text(const std::optional<std::span<const uint8_t>>& bytes) {
  if (!bytes) return "null";
  return BytesToText(bytes->data(), bytes->size());
}

struct DumpOptions {
  std::string path;
  bool with_records = false;
};

absl::Status Dump(Context& ctx, const DumpOptions& o) {
  const std::string* path = &o.path;
  const bool with_records = o.with_records;

  auto fs = storage::NewPosixFileSystem();
  KEEL_ASSIGN_OR_RETURN(auto file, fs->Open(*path, storage::OpenMode::kReadOnly));
  KEEL_ASSIGN_OR_RETURN(uint64_t size, file->Size());

  Json jbatches = Json::array();
  Table table{{"BASE-OFFSET", "LAST-OFFSET", "COUNT", "POSITION", "SIZE", "BASE-TIMESTAMP", "MAX-TIMESTAMP",
               "PRODUCER-ID", "EPOCH", "BASE-SEQ", "CODEC", "FLAGS", "CRC"},
              {}};
  Table rtable{{"OFFSET", "TIMESTAMP", "KEY", "VALUE", "HEADERS"}, {}};
  absl::Status io_error;
  uint64_t bad_crc = 0;
  storage::ScanOptions options;  // headers only: a bad CRC must not end the walk
  options.verify_crc_from_offset = std::numeric_limits<int64_t>::max();
  KEEL_ASSIGN_OR_RETURN(
      storage::ScanResult scan,
      storage::ScanBatches(*file, 0, size, options, [&](const BatchHeader& h, uint64_t position) {
        std::vector<uint8_t> bytes(h.total_size());
        auto n = file->PRead(position, bytes);
        if (!n.ok() || *n != bytes.size()) {
          io_error = n.ok() ? absl::DataLossError("short read") : n.status();
          return false;
        }
        bool crc_ok = ValidateBatch(bytes).ok();
        if (!crc_ok) ++bad_crc;
        Json jb = {{"base_offset", h.base_offset},
                   {"last_offset", h.last_offset()},
                   {"count", h.records_count},
                   {"position", position},
                   {"size", uint64_t(h.total_size())},
                   {"partition_leader_epoch", h.partition_leader_epoch},
                   {"base_timestamp", h.base_timestamp},
                   {"max_timestamp", h.max_timestamp},
                   {"producer_id", h.producer_id},
                   {"producer_epoch", int64_t(h.producer_epoch)},
                   {"base_sequence", h.base_sequence},
                   {"codec", std::string(CompressionName(h.compression()))},
                   {"transactional", h.is_transactional()},
                   {"control", h.is_control()},
                   {"log_append_time", h.log_append_time()},
                   {"crc", uint64_t(h.crc)},
                   {"crc_ok", crc_ok}};
        table.rows.push_back({std::to_string(h.base_offset), std::to_string(h.last_offset()),
                              std::to_string(h.records_count), std::to_string(position),
                              std::to_string(h.total_size()), std::to_string(h.base_timestamp),
                              std::to_string(h.max_timestamp), std::to_string(h.producer_id),
                              std::to_string(h.producer_epoch), std::to_string(h.base_sequence),
                              std::string(CompressionName(h.compression())), Flags(h),
                              crc_ok ? "ok" : "BAD"});
        if (with_records && crc_ok) {
          Json jrecords = Json::array();
          absl::Status s = ForEachRecord(bytes, [&](const RecordView& r) -> absl::Status {
            int64_t offset = h.base_offset + r.offset_delta;
            int64_t ts = h.log_append_time() ? h.max_timestamp : h.base_timestamp + r.timestamp_delta;
            jrecords.push_back({{"offset", offset},
                                {"timestamp", ts},
                                {"key", r.key ? Json(Text(r.key)) : Json()},
                                {"value", r.value ? Json(Text(r.value)) : Json()},
                                {"headers", r.headers.size()}});
            rtable.rows.push_back({std::to_string(offset), std::to_string(ts), Text(r.key), Text(r.value),
                                   std::to_string(r.headers.size())});
            return absl::OkStatus();
          });
          if (!s.ok()) jb["records_error"] = s.ToString();
          jb["records"] = std::move(jrecords);
        }
        jbatches.push_back(std::move(jb));
        return true;
      }));
  KEEL_RETURN_IF_ERROR(io_error);

  bool torn = scan.valid_end < size && !scan.zero_tail;
  std::string tail;
  if (scan.valid_end < size) {
    tail = scan.zero_tail
               ? fmt::format("zero-filled tail: {} bytes from position {} (preallocated space)",
                             size - scan.valid_end, scan.valid_end)
               : fmt::format("damaged tail: {} bytes from position {}: {}", size - scan.valid_end,
                             scan.valid_end, scan.stop_reason.ToString());
  }
  Json doc = {{"file", *path},
              {"file_bytes", size},
              {"valid_bytes", scan.valid_end},
              {"batches", std::move(jbatches)},
              {"bad_crc_batches", bad_crc},
              {"tail", tail.empty() ? Json() : Json(tail)},
              {"damaged", torn || bad_crc > 0}};
  std::string text = fmt::format("Segment {}: {} bytes, {} batch(es)\n\n", *path, size, scan.batches);
  text += table.Render();
  if (with_records) text += "\n" + rtable.Render();
  if (!tail.empty()) text += "\n" + tail + "\n";
  if (bad_crc > 0) text += fmt::format("\n{} batch(es) with a bad CRC\n", bad_crc);
  ctx.Emit(doc, text);
  if (torn || bad_crc > 0) {
    return absl::DataLossError(fmt::format("{}: damage found ({} bad CRC, {})", *path, bad_crc,
                                           torn ? "torn tail" : "no torn tail"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddSegmentCommands(CLI::App& app, Action* action) {
  CLI::App* segment = app.add_subcommand("segment", "offline tools for one segment file (no broker; read-only)");
  segment->require_subcommand(0, 1);
  auto o = std::make_shared<DumpOptions>();
  CLI::App* d = segment->add_subcommand(
      "dump", "one row per batch (offsets, position, size, timestamps, producer, codec, CRC check)");
  d->add_option("FILE", o->path, "a segment file, NNN.log")->required();
  d->add_flag("--records", o->with_records, "and every record of each batch");
  d->callback([action, o] { *action = [o](Context& ctx) { return Dump(ctx, *o); }; });
}

}  // namespace keel::cli
