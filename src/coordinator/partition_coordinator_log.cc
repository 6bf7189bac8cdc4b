#include "keel/coordinator/partition_coordinator_log.h"

#include <fmt/format.h>

#include <map>
#include <string>

#include "keel/common/logging.h"
#include "keel/common/status_macros.h"
#include "keel/coordinator/group_records.h"
#include "keel/coordinator/txn_coordinator.h"
#include "keel/coordinator/txn_marker.h"
#include "keel/storage/log.h"
#include "keel/storage/producer_state.h"

namespace keel::coordinator {

absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> PartitionCoordinatorLog::Open(
    partition::PartitionManager& partitions, int32_t partition_count, const Clock* clock) {
  return OpenTopic(partitions, std::string(kConsumerOffsetsTopic), partition_count, clock);
}

absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> PartitionCoordinatorLog::OpenTopic(
    partition::PartitionManager& partitions, std::string topic, int32_t partition_count,
    const Clock* clock, bool create_lazily) {
  auto info = partitions.FindTopic(topic);
  std::vector<std::shared_ptr<storage::Log>> logs;
  if (info) {
    if (info->partitions != partition_count) {
      ModuleLogger("coordinator")->warn("{} has {} partitions, the config asks for {}: keeping {}",
                                        topic, info->partitions, partition_count, info->partitions);
    }
    partition_count = info->partitions;
  }
  if (info || !create_lazily) {
    KEEL_ASSIGN_OR_RETURN(logs, CreateOrOpen(partitions, topic, partition_count));
  }
  return std::unique_ptr<PartitionCoordinatorLog>(new PartitionCoordinatorLog(
      partitions, std::move(topic), partition_count, std::move(logs), clock));
}

absl::StatusOr<std::vector<std::shared_ptr<storage::Log>>> PartitionCoordinatorLog::CreateOrOpen(
    partition::PartitionManager& partitions, const std::string& topic, int32_t partition_count) {
  auto info = partitions.FindTopic(topic);
  if (!info) {
    std::map<std::string, std::string> configs{{"cleanup.policy", "compact"},
                                               {"segment.bytes", "104857600"}};
    auto created = partitions.CreateTopic(topic, partition_count, configs);
    if (!created.ok() && created.status().code() == absl::StatusCode::kInvalidArgument) {
      // A config key this build's storage does not know: fall back to defaults.
      created = partitions.CreateTopic(topic, partition_count, {});
    }
    if (!created.ok()) return created.status();
    info = *created;
  }
  std::vector<std::shared_ptr<storage::Log>> logs;
  for (int32_t p = 0; p < info->partitions; ++p) {
    auto log = partitions.GetLog(TopicPartition{topic, PartitionId(p)});
    if (!log) return absl::InternalError(fmt::format("{}-{} has no log", topic, p));
    logs.push_back(std::move(log));
  }
  return logs;
}

absl::StatusOr<storage::Log*> PartitionCoordinatorLog::LogFor(int32_t partition) {
  if (partition < 0 || partition >= partition_count_) {
    return absl::NotFoundError(fmt::format("no partition {} of {}", partition, topic_));
  }
  if (!created_.load(std::memory_order_acquire)) {
    std::lock_guard lock(create_mu_);
    if (!created_.load(std::memory_order_relaxed)) {
      ModuleLogger("coordinator")->info("creating {} on first use ({} partitions)", topic_,
                                        partition_count_);
      KEEL_ASSIGN_OR_RETURN(logs_, CreateOrOpen(partitions_, topic_, partition_count_));
      created_.store(true, std::memory_order_release);
    }
  }
  if (partition >= int32_t(logs_.size())) {
    return absl::NotFoundError(fmt::format("no partition {} of {}", partition, topic_));
  }
  return logs_[partition].get();
}

namespace {

std::vector<uint8_t> RecordsBatch(std::span<const CoordinatorRecord> records, BatchHeader header) {
  std::vector<RecordInput> inputs;
  inputs.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    RecordInput in;
    in.offset_delta = int32_t(i);
    in.key = std::span<const uint8_t>(records[i].key);
    if (records[i].value) in.value = std::span<const uint8_t>(*records[i].value);
    inputs.push_back(std::move(in));
  }
  return BuildRecordBatch(header, inputs, Compression::kNone);
}

}  // namespace

absl::StatusOr<int64_t> PartitionCoordinatorLog::AppendBatch(int32_t partition,
                                                             std::vector<uint8_t> batch) {
  KEEL_ASSIGN_OR_RETURN(storage::Log * log, LogFor(partition));
  KEEL_ASSIGN_OR_RETURN(storage::AppendResult result, log->Append(batch));
  return result.last_offset.value;
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::Append(int32_t partition,
                                                        std::span<const CoordinatorRecord> records) {
  if (records.empty()) return absl::InvalidArgumentError("no records to append");
  BatchHeader header;
  header.base_timestamp = clock_->NowMs();
  header.max_timestamp = header.base_timestamp;
  return AppendBatch(partition, RecordsBatch(records, header));
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::AppendTransactional(
    int32_t partition, int64_t producer_id, int16_t producer_epoch,
    std::span<const CoordinatorRecord> records) {
  if (records.empty()) return absl::InvalidArgumentError("no records to append");
  BatchHeader header;
  header.attributes = batch_attr::kTransactional;
  header.base_timestamp = clock_->NowMs();
  header.max_timestamp = header.base_timestamp;
  header.producer_id = producer_id;
  header.producer_epoch = producer_epoch;
  header.base_sequence = -1;
  return AppendBatch(partition, RecordsBatch(records, header));
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::AppendMarker(int32_t partition,
                                                              int64_t producer_id,
                                                              int16_t producer_epoch, bool commit) {
  return AppendBatch(partition, BuildTxnMarkerBatch(producer_id, producer_epoch, commit,
                                                    /*coordinator_epoch=*/0, clock_->NowMs()));
}

void PartitionCoordinatorLog::WaitDurable(int32_t partition, int64_t last_offset,
                                          absl::AnyInvocable<void(absl::Status)> done) {
  auto log = LogFor(partition);
  if (!log.ok()) {
    done(log.status());
    return;
  }
  (*log)->WaitDurable(Offset(last_offset), std::move(done));
}

absl::Status PartitionCoordinatorLog::ForEachBatch(
    const std::function<void(int32_t, const BatchHeader&, std::span<const uint8_t>)>& fn) const {
  for (size_t p = 0; p < logs_.size(); ++p) {
    const auto& log = logs_[p];
    Offset next = log->log_start_offset();
    const Offset end = log->log_end_offset();
    while (next < end) {
      KEEL_ASSIGN_OR_RETURN(storage::ReadResult read, log->Read(next, 4 << 20, end));
      if (read.slices.empty()) break;
      KEEL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, storage::ReadBytes(read.slices));
      std::span<const uint8_t> rest(bytes);
      while (!rest.empty()) {
        KEEL_ASSIGN_OR_RETURN(size_t size, NextBatchSize(rest));
        if (size > rest.size()) return absl::DataLossError("truncated batch in read");
        auto batch = rest.first(size);
        rest = rest.subspan(size);
        KEEL_ASSIGN_OR_RETURN(BatchHeader header, ParseBatchHeader(batch));
        fn(int32_t(p), header, batch);
      }
      if (read.next_offset <= next) break;
      next = read.next_offset;
    }
  }
  return absl::OkStatus();
}

int64_t PartitionCoordinatorLog::ForEachKeyedRecord(
    int32_t partition, const BatchHeader& header, std::span<const uint8_t> batch,
    const std::function<absl::Status(std::span<const uint8_t>,
                                     std::optional<std::span<const uint8_t>>)>& fn) const {
  int64_t count = 0;
  absl::Status st = ForEachRecord(batch, [&](const RecordView& r) {
    ++count;
    if (!r.key) return absl::OkStatus();
    absl::Status replayed = fn(*r.key, r.value);
    if (!replayed.ok()) {
      ModuleLogger("coordinator")->warn("{}-{} offset {}: skipping record: {}", topic_, partition,
                                        header.base_offset + r.offset_delta, replayed.ToString());
    }
    return absl::OkStatus();
  });
  if (!st.ok()) {
    ModuleLogger("coordinator")->warn("{}-{} batch at {}: {}", topic_, partition,
                                      header.base_offset, st.ToString());
  }
  return count;
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::LoadInto(GroupCoordinator& coordinator) const {
  int64_t count = 0;
  KEEL_RETURN_IF_ERROR(ForEachBatch([&](int32_t p, const BatchHeader& header,
                                        std::span<const uint8_t> batch) {
    if (header.is_control()) {
      auto type = storage::ParseControlType(batch);
      if (type && header.producer_id >= 0) {
        coordinator.ReplayStoredMarker(p, header.producer_id,
                                       *type == storage::ControlType::kCommit);
      }
      return;
    }
    const int64_t txn_producer = header.is_transactional() ? header.producer_id : -1;
    count += ForEachKeyedRecord(p, header, batch, [&](auto key, auto value) {
      return coordinator.ReplayStored(key, value, txn_producer);
    });
  }));
  coordinator.FinishLoading();
  return count;
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::LoadInto(TxnCoordinator& coordinator) const {
  int64_t count = 0;
  KEEL_RETURN_IF_ERROR(ForEachBatch([&](int32_t p, const BatchHeader& header,
                                        std::span<const uint8_t> batch) {
    if (header.is_control()) return;
    count += ForEachKeyedRecord(p, header, batch, [&](auto key, auto value) {
      return coordinator.ReplayStored(key, value);
    });
  }));
  return count;
}

}  // namespace keel::coordinator
