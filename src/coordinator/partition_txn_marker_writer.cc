#include "keel/coordinator/partition_txn_marker_writer.h"

#include <memory>
#include <mutex>

#include "keel/common/logging.h"
#include "keel/coordinator/group_records.h"
#include "keel/coordinator/txn_marker.h"
#include "keel/storage/log.h"

namespace keel::coordinator {
namespace {

// Counts outstanding partitions; the last one to finish calls `done` with
// the first error seen.
struct Join {
  std::mutex mu;
  size_t remaining = 0;
  absl::Status first_error;
  absl::AnyInvocable<void(absl::Status)> done;

  void Finish(absl::Status st) {
    absl::AnyInvocable<void(absl::Status)> call;
    absl::Status result;
    {
      std::lock_guard lock(mu);
      if (!st.ok() && first_error.ok()) first_error = std::move(st);
      if (--remaining > 0) return;
      call = std::move(done);
      result = first_error;
    }
    call(std::move(result));
  }
};

}  // namespace

void PartitionTxnMarkerWriter::WriteMarkers(int64_t producer_id, int16_t producer_epoch,
                                            bool commit, std::vector<TopicPartition> partitions,
                                            absl::AnyInvocable<void(absl::Status)> done) {
  auto join = std::make_shared<Join>();
  join->remaining = partitions.size() + 1;  // +1 until every write is started
  join->done = std::move(done);
  for (const TopicPartition& tp : partitions) {
    if (tp.topic == kConsumerOffsetsTopic && groups_) {
      groups_->CompleteTxn(tp.partition.value, producer_id, producer_epoch, commit,
                           [join](absl::Status st) { join->Finish(std::move(st)); });
      continue;
    }
    std::shared_ptr<storage::Log> log = partitions_.GetLog(tp);
    if (!log) {
      join->Finish(absl::OkStatus());  // the topic is gone: nothing to end
      continue;
    }
    std::vector<uint8_t> marker =
        BuildTxnMarkerBatch(producer_id, producer_epoch, commit, 0, clock_->NowMs());
    auto appended = log->Append(marker);
    if (!appended.ok()) {
      ModuleLogger("txn")->warn("marker for producer {} in {}-{}: {}", producer_id, tp.topic,
                                tp.partition.value, appended.status().ToString());
      join->Finish(appended.status());
      continue;
    }
    log->WaitDurable(appended->last_offset,
                     [join](absl::Status st) { join->Finish(std::move(st)); });
  }
  join->Finish(absl::OkStatus());
}

}  // namespace keel::coordinator
