// Test doubles for the coordinator: a hand-driven clock and an in-memory
// CoordinatorLog that keeps every record (for replay into a "restarted"
// coordinator; markers are empty placeholder records, listed by markers())
// and completes durability either at once or on demand.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "keel/coordinator/clock.h"
#include "keel/coordinator/coordinator_log.h"

namespace keel::coordinator::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now = 1'700'000'000'000) : now_(now) {}
  int64_t NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_;
};

class FakeCoordinatorLog final : public CoordinatorLog {
 public:
  explicit FakeCoordinatorLog(int32_t partitions = 4) : partitions_(partitions) {}

  int32_t partition_count() const override { return partitions_; }

  absl::StatusOr<int64_t> Append(int32_t partition,
                                 std::span<const CoordinatorRecord> records) override {
    std::lock_guard lock(mu_);
    if (!append_error_.ok()) return append_error_;
    auto& log = logs_[partition];
    for (const auto& r : records) log.push_back(r);
    return int64_t(log.size()) - 1;
  }

  absl::StatusOr<int64_t> AppendTransactional(int32_t partition, int64_t producer_id,
                                              int16_t producer_epoch,
                                              std::span<const CoordinatorRecord> records) override {
    std::lock_guard lock(mu_);
    if (!append_error_.ok()) return append_error_;
    auto& log = logs_[partition];
    for (const auto& r : records) {
      log.push_back(r);
      txn_records_.push_back({partition, int64_t(log.size()) - 1, producer_id, producer_epoch});
    }
    return int64_t(log.size()) - 1;
  }

  absl::StatusOr<int64_t> AppendMarker(int32_t partition, int64_t producer_id,
                                       int16_t producer_epoch, bool commit) override {
    std::lock_guard lock(mu_);
    if (!append_error_.ok()) return append_error_;
    auto& log = logs_[partition];
    log.push_back(CoordinatorRecord{});  // a placeholder keeping offsets in step
    markers_.push_back({partition, int64_t(log.size()) - 1, producer_id, producer_epoch, commit});
    return int64_t(log.size()) - 1;
  }

  // What AppendTransactional and AppendMarker wrote.
  struct TxnRecordInfo {
    int32_t partition;
    int64_t offset;
    int64_t producer_id;
    int16_t producer_epoch;
  };
  struct MarkerInfo {
    int32_t partition;
    int64_t offset;
    int64_t producer_id;
    int16_t producer_epoch;
    bool commit;
  };
  std::vector<TxnRecordInfo> txn_records() const {
    std::lock_guard lock(mu_);
    return txn_records_;
  }
  std::vector<MarkerInfo> markers() const {
    std::lock_guard lock(mu_);
    return markers_;
  }

  void WaitDurable(int32_t partition, int64_t last_offset,
                   absl::AnyInvocable<void(absl::Status)> done) override {
    {
      std::lock_guard lock(mu_);
      if (hold_) {
        held_.emplace_back(std::make_pair(partition, last_offset), std::move(done));
        return;
      }
    }
    done(absl::OkStatus());
  }

  // Holds durability callbacks until Release().
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  // Completes every held callback with `status` and stops holding.
  void Release(absl::Status status = absl::OkStatus()) {
    std::vector<std::pair<std::pair<int32_t, int64_t>, absl::AnyInvocable<void(absl::Status)>>> held;
    {
      std::lock_guard lock(mu_);
      hold_ = false;
      held.swap(held_);
    }
    for (auto& [where, done] : held) done(status);
  }
  size_t held_count() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void FailAppends(absl::Status status) {
    std::lock_guard lock(mu_);
    append_error_ = std::move(status);
  }
  // Every record written, per partition, in log order.
  std::map<int32_t, std::vector<CoordinatorRecord>> records() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  size_t total_records() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [p, v] : logs_) n += v.size();
    return n;
  }

 private:
  const int32_t partitions_;
  mutable std::mutex mu_;
  std::map<int32_t, std::vector<CoordinatorRecord>> logs_;
  bool hold_ = false;
  std::vector<std::pair<std::pair<int32_t, int64_t>, absl::AnyInvocable<void(absl::Status)>>> held_;
  absl::Status append_error_;
  std::vector<TxnRecordInfo> txn_records_;
  std::vector<MarkerInfo> markers_;
};

}  // namespace keel::coordinator::testing
