#include "keel/coordinator/partition_coordinator_log.h"

#include <map>
#include <string>

#include "fmt/format.h"
#include "keel/common/logging.h"
#include "keel/common/record_batch.h"
#include "keel/common/records.h"
#include "keel/common/status_macros.h"

namespace keel::coordinator {

absl::StatusOr<std::unique_ptr<PartitionCoordinatorLog>> PartitionCoordinatorLog::Open(
    partition::PartitionManager& partitions, int32_t partition_count, const Clock* clock) {
  const std::string topic(kConsumerOffsetsTopic);
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
  } else if (info->partitions != partition_count) {
    ModuleLogger("group")->warn(
        "{} has {} partitions, offsets.topic.num.partitions is {}: keeping {}", topic,
        info->partitions, partition_count, info->partitions);
  }
  std::vector<std::shared_ptr<storage::Log>> logs;
  for (int32_t p = 0; p < info->partitions; ++p) {
    auto log = partitions.GetLog(TopicPartition{topic, PartitionId(p)});
    if (!log) return absl::InternalError(fmt::format("{}-{} has no log", topic, p));
    logs.push_back(std::move(log));
  }
  return std::unique_ptr<PartitionCoordinatorLog>(new PartitionCoordinatorLog(std::move(logs), clock));
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::Append(int32_t partition,
                                                        std::span<const CoordinatorRecord> records) {
  if (partition < 0 || partition >= partition_count()) {
    return absl::NotFoundError(fmt::format("no partition {} of {}", partition, kConsumerOffsetsTopic));
  }
  if (records.empty()) return absl::InvalidArgumentError("no records to append");
  std::vector<RecordInput> inputs;
  inputs.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    RecordInput in;
    in.offset_delta = int32_t(i);
    in.key = std::span<const uint8_t>(records[i].key);
    if (records[i].value) in.value = std::span<const uint8_t>(*records[i].value);
    inputs.push_back(std::move(in));
  }
  BatchHeader header;
  header.base_timestamp = clock_->NowMs();
  header.max_timestamp = header.base_timestamp;
  header.producer_id = -1;
  header.producer_epoch = -1;
  header.base_sequence = -1;
  std::vector<uint8_t> batch = BuildRecordBatch(header, inputs, Compression::kNone);
  KEEL_ASSIGN_OR_RETURN(storage::AppendResult result, logs_[partition]->Append(batch));
  return result.last_offset.value;
}

void PartitionCoordinatorLog::WaitDurable(int32_t partition, int64_t last_offset,
                                          absl::AnyInvocable<void(absl::Status)> done) {
  if (partition < 0 || partition >= partition_count()) {
    done(absl::NotFoundError("no such partition"));
    return;
  }
  logs_[partition]->WaitDurable(Offset(last_offset), std::move(done));
}

absl::StatusOr<int64_t> PartitionCoordinatorLog::LoadInto(GroupCoordinator& coordinator) const {
  int64_t count = 0;
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
        if (header.is_control()) continue;
        absl::Status st = ForEachRecord(batch, [&](const RecordView& r) {
          ++count;
          if (!r.key) return absl::OkStatus();
          absl::Status replayed = coordinator.ReplayStored(*r.key, r.value);
          if (!replayed.ok()) {
            ModuleLogger("group")->warn("{}-{} offset {}: skipping record: {}",
                                        kConsumerOffsetsTopic, p,
                                        header.base_offset + r.offset_delta, replayed.ToString());
          }
          return absl::OkStatus();
        });
        if (!st.ok()) {
          ModuleLogger("group")->warn("{}-{} batch at {}: {}", kConsumerOffsetsTopic, p,
                                      header.base_offset, st.ToString());
        }
      }
      if (read.next_offset <= next) break;
      next = read.next_offset;
    }
  }
  coordinator.FinishLoading();
  return count;
}

}  // namespace keel::coordinator
