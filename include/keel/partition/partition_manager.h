// PartitionManager: owns every partition Log under one or more log dirs, the
// group-commit Flusher, the retention task, the log cleaner (compaction) and
// the durable topic metadata.
//
// Topic metadata (name, Uuid, partition count, config overrides) lives in
// `<first log dir>/topics.meta` (see topic_metadata.h) and is written before
// partition directories are created, so a crash in between leaves a topic
// whose missing partitions are created empty on the next Open. Partition
// directories are `<log dir>/<topic>-<partition>`; a new partition goes to the
// log dir holding the fewest partitions. Deleted topics' directories are
// renamed to `<topic>-<p>.<hex>-delete` and removed (leftovers are removed on
// Open). Directories not named in the metadata are left alone (warned about).
//
// Thread-safety: every method is thread-safe. GetLog/FindTopic/ListTopics take
// a shared lock only; admin operations (create/delete/alter) are serialized
// among themselves and do their file I/O without blocking lookups.
// Lifetime: Logs are shared; after Shutdown() or DeleteTopic() a Log still
// held by a caller rejects appends (Unavailable) but stays readable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "keel/common/types.h"
#include "keel/partition/topic_metadata.h"
#include "keel/storage/file_system.h"
#include "keel/storage/flusher.h"
#include "keel/storage/log.h"
#include "keel/storage/log_cleaner.h"
#include "keel/storage/log_config.h"
#include "spdlog/logger.h"

namespace keel::partition {

struct PartitionManagerOptions {
  std::vector<std::string> log_dirs;         // created if missing; at least one
  storage::LogConfig default_config;         // broker-wide defaults (log.* keys)
  storage::FileSystem* fs = nullptr;         // not owned; must outlive the manager
  std::function<int64_t()> clock_ms;         // wall clock ms; defaults to system clock
  int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
  int64_t producer_id_expiration_ms = 86400000;  // producer.id.expiration.ms
  bool cleaner_enable = true;                    // log.cleaner.enable
  int64_t cleaner_backoff_ms = 15000;            // log.cleaner.backoff.ms
  size_t cleaner_dedupe_buffer_bytes = size_t{128} << 20;  // log.cleaner.dedupe.buffer.size
  std::shared_ptr<spdlog::logger> logger;    // defaults to the "storage" logger
  // Told about every group-commit flush (metrics); not owned, may be null,
  // must outlive the manager.
  storage::FlushObserver* flush_observer = nullptr;
  // log.flush.threads: group-commit fsync threads; Shutdown closes as many
  // logs at once. 1 keeps every fsync on one thread (deterministic tests).
  int flush_threads = 1;
};

class PartitionManager {
 public:
  using HighWatermarkObserver = absl::AnyInvocable<void(const TopicPartition&, Offset)>;

  // Loads the metadata and every partition (running log recovery), then
  // starts the flusher and the retention thread.
  static absl::StatusOr<std::unique_ptr<PartitionManager>> Open(PartitionManagerOptions options);
  ~PartitionManager();  // Shutdown() if not done yet

  PartitionManager(const PartitionManager&) = delete;
  PartitionManager& operator=(const PartitionManager&) = delete;

  // AlreadyExists; InvalidArgument for a bad name (Kafka's rules), a
  // partition count < 1, a replication factor < 1, or a bad/unknown config
  // key. `replication_factor` is only recorded (TopicInfo): one copy is kept.
  absl::StatusOr<TopicInfo> CreateTopic(std::string name, int32_t partitions,
                                        std::map<std::string, std::string> configs,
                                        int16_t replication_factor = 1);
  // NotFound. Removes the topic's metadata and data.
  absl::Status DeleteTopic(std::string_view name);
  // NotFound; InvalidArgument unless new_total > the current count.
  absl::Status CreatePartitions(std::string_view name, int32_t new_total);
  // Replaces the topic's config overrides with `configs` (Kafka AlterConfigs
  // semantics; compute merges for IncrementalAlterConfigs before calling).
  // NotFound; InvalidArgument for bad keys/values. Applies to live logs.
  absl::Status AlterTopicConfig(std::string_view name, std::map<std::string, std::string> configs);

  std::vector<TopicInfo> ListTopics() const;  // sorted by name
  std::optional<TopicInfo> FindTopic(std::string_view name) const;
  std::optional<TopicInfo> FindTopicById(const Uuid& id) const;
  // The effective LogConfig of a topic (defaults + overrides). NotFound.
  absl::StatusOr<storage::LogConfig> TopicConfig(std::string_view name) const;
  // The broker-wide topic defaults now in effect (a copy: they may change).
  storage::LogConfig default_config() const;
  // Replaces the broker-wide topic defaults (dynamic broker configs): every
  // live log without its own override of a key follows the new value at
  // once. Nothing is persisted here (the caller owns the defaults' storage).
  absl::Status SetDefaultConfig(storage::LogConfig config);

  // nullptr if the topic or partition is unknown.
  std::shared_ptr<storage::Log> GetLog(const TopicPartition& tp) const;

  // Called (from the flusher thread, or the appending thread for flush.ms
  // topics) whenever a partition's HW advances. Must be cheap and must not
  // call back into the manager's admin methods. Replaces any earlier observer.
  void SetHighWatermarkObserver(HighWatermarkObserver observer);

  // True once a log in `dir` (one of options.log_dirs) failed with an I/O
  // error (e.g. EIO on fsync): every partition in that dir is then offline
  // (appends, reads and durability waits fail with Unavailable, which the
  // server answers with KAFKA_STORAGE_ERROR) until the broker restarts and
  // recovers it. Partitions in other log dirs keep working; new partitions
  // are not placed in an offline dir.
  bool IsLogDirOffline(std::string_view dir) const;
  std::vector<std::string> OfflineLogDirs() const;

  // Runs one log-cleaner pass now, synchronously (tests, admin). Returns
  // what it did; works whether or not the background cleaner is enabled.
  storage::CleanerPassStats RunCleanerPass();

  // Stops retention, flushes and closes every log (writing clean-shutdown
  // markers), stops the flusher. Idempotent; returns the first error.
  absl::Status Shutdown();

 private:
  struct TopicState {
    TopicInfo info;
    std::vector<std::shared_ptr<storage::Log>> logs;
  };
  struct ObserverSlot {
    std::mutex mu;
    HighWatermarkObserver fn;
  };
  // Log-dir health, shared with the logs' on_offline callbacks (which may
  // outlive the manager).
  struct DirHealth {
    std::mutex mu;
    std::set<std::string, std::less<>> offline;
    std::map<std::string, std::vector<std::weak_ptr<storage::Log>>> logs;  // by log dir
  };
  static void TakeDirOffline(const std::shared_ptr<DirHealth>& health, const std::string& dir,
                             const absl::Status& why, const std::shared_ptr<spdlog::logger>& logger);

  explicit PartitionManager(PartitionManagerOptions options);
  absl::Status Load();
  absl::Status PersistMetadata(const std::vector<TopicInfo>& topics);
  std::vector<TopicInfo> SnapshotInfosLocked() const;
  absl::StatusOr<std::shared_ptr<storage::Log>> OpenPartition(const TopicInfo& info, int32_t partition,
                                                              const storage::LogConfig& config);
  std::string ChooseLogDir();
  absl::Status RemovePartitionDir(const std::string& dir);
  void RetentionLoop();
  std::vector<std::shared_ptr<storage::Log>> AllLogs() const;

  PartitionManagerOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<storage::Flusher> flusher_;
  std::shared_ptr<ObserverSlot> observer_ = std::make_shared<ObserverSlot>();
  std::shared_ptr<DirHealth> health_ = std::make_shared<DirHealth>();

  // Serializes admin operations and metadata writes; options_.default_config
  // changes under both admin_mu_ and mu_ (read it under either).
  std::mutex admin_mu_;
  mutable std::shared_mutex mu_;  // guards topics_, by_id_, locations_, partitions_per_dir_
  std::map<std::string, TopicState, std::less<>> topics_;
  absl::flat_hash_map<Uuid, std::string> by_id_;
  std::map<std::pair<std::string, int32_t>, std::string> locations_;  // partition -> its dir
  std::map<std::string, int> partitions_per_dir_;

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool stopping_ = false;
  bool shut_down_ = false;
  std::thread retention_thread_;
  std::unique_ptr<storage::LogCleaner> cleaner_;
};

}  // namespace keel::partition
