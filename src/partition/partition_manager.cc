// PartitionManager (see partition_manager.h).
#include "keel/partition/partition_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "keel/common/status_macros.h"
#include "keel/storage/format.h"
#include "keel/storage/logger.h"

namespace keel::partition {

using storage::JoinPath;
using storage::Log;
using storage::LogConfig;

PartitionManager::PartitionManager(PartitionManagerOptions options) : options_(std::move(options)) {
  logger_ = options_.logger ? options_.logger : storage::StorageLogger();
  if (!options_.clock_ms) {
    options_.clock_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  flusher_ = std::make_shared<storage::Flusher>(logger_, options_.flush_observer,
                                                options_.flush_threads);
}

PartitionManager::~PartitionManager() {
  absl::Status s = Shutdown();
  if (!s.ok()) logger_->error("partition manager shutdown: {}", s.ToString());
}

absl::StatusOr<std::unique_ptr<PartitionManager>> PartitionManager::Open(
    PartitionManagerOptions options) {
  if (options.log_dirs.empty()) return absl::InvalidArgumentError("no log dirs configured");
  if (options.fs == nullptr) return absl::InvalidArgumentError("PartitionManagerOptions.fs is required");
  std::unique_ptr<PartitionManager> pm(new PartitionManager(std::move(options)));
  pm->flusher_->Start();
  absl::Status s = pm->Load();
  if (!s.ok()) {
    pm->flusher_->Stop();
    pm->shut_down_ = true;
    return s;
  }
  pm->retention_thread_ = std::thread([p = pm.get()] { p->RetentionLoop(); });
  storage::LogCleanerOptions copts;
  copts.backoff_ms = pm->options_.cleaner_backoff_ms;
  copts.dedupe_buffer_bytes = pm->options_.cleaner_dedupe_buffer_bytes;
  copts.clock_ms = pm->options_.clock_ms;
  copts.list_logs = [p = pm.get()] { return p->AllLogs(); };
  copts.logger = pm->logger_;
  pm->cleaner_ = std::make_unique<storage::LogCleaner>(std::move(copts));
  if (pm->options_.cleaner_enable) pm->cleaner_->Start();
  return pm;
}

absl::Status PartitionManager::Load() {
  storage::FileSystem& fs = *options_.fs;
  for (const std::string& d : options_.log_dirs) {
    KEEL_RETURN_IF_ERROR(fs.CreateDir(d));
    partitions_per_dir_[d] = 0;
  }
  std::vector<TopicInfo> infos;
  std::string meta_path = JoinPath(options_.log_dirs[0], kTopicsMetadataFile);
  KEEL_ASSIGN_OR_RETURN(bool have_meta, fs.Exists(meta_path));
  if (have_meta) {
    KEEL_ASSIGN_OR_RETURN(std::string text, storage::ReadFileToString(fs, meta_path));
    KEEL_ASSIGN_OR_RETURN(infos, DecodeTopics(text));
  }
  // Find partition directories; finish interrupted topic deletions.
  for (const std::string& d : options_.log_dirs) {
    KEEL_ASSIGN_OR_RETURN(auto names, fs.ListDir(d));
    for (const std::string& name : names) {
      std::string path = JoinPath(d, name);
      KEEL_ASSIGN_OR_RETURN(bool is_dir, fs.IsDirectory(path));
      if (!is_dir) continue;
      if (std::string_view(name).ends_with(storage::kDeletedDirSuffix)) {
        logger_->info("removing deleted partition directory {}", path);
        KEEL_RETURN_IF_ERROR(storage::RemoveTree(fs, path));
        continue;
      }
      auto parsed = storage::ParsePartitionDirName(name);
      if (!parsed) continue;
      auto key = std::make_pair(parsed->topic, parsed->partition);
      if (locations_.count(key)) {
        return absl::FailedPreconditionError(
            fmt::format("partition {}-{} exists in two log dirs: {} and {}", parsed->topic,
                        parsed->partition, locations_[key], path));
      }
      locations_[key] = d;
      partitions_per_dir_[d]++;
    }
  }
  for (const TopicInfo& info : infos) {
    auto config = options_.default_config.WithOverrides(info.configs);
    if (!config.ok()) {
      logger_->warn("topic {}: ignoring stored config overrides: {}", info.name, config.status().ToString());
      config = options_.default_config;
    }
    TopicState state{info, {}};
    for (int32_t p = 0; p < info.partitions; ++p) {
      KEEL_ASSIGN_OR_RETURN(auto log, OpenPartition(info, p, *config));
      state.logs.push_back(std::move(log));
    }
    by_id_[info.id] = info.name;
    topics_.emplace(info.name, std::move(state));
  }
  for (const auto& [key, dir] : locations_) {
    auto it = topics_.find(key.first);
    if (it == topics_.end() || key.second >= it->second.info.partitions) {
      logger_->warn("partition directory {} is not in the topic metadata; leaving it alone",
                    JoinPath(dir, storage::PartitionDirName(key.first, key.second)));
    }
  }
  logger_->info("partition manager opened {} topics in {} log dirs", topics_.size(), options_.log_dirs.size());
  return absl::OkStatus();
}

std::string PartitionManager::ChooseLogDir() {
  std::string best;
  for (const std::string& d : options_.log_dirs) {
    if (IsLogDirOffline(d)) continue;
    if (best.empty() || partitions_per_dir_[d] < partitions_per_dir_[best]) best = d;
  }
  return best.empty() ? options_.log_dirs[0] : best;  // all offline: the open fails there
}

bool PartitionManager::IsLogDirOffline(std::string_view dir) const {
  std::lock_guard<std::mutex> lock(health_->mu);
  return health_->offline.find(dir) != health_->offline.end();
}

std::vector<std::string> PartitionManager::OfflineLogDirs() const {
  std::lock_guard<std::mutex> lock(health_->mu);
  return std::vector<std::string>(health_->offline.begin(), health_->offline.end());
}

void PartitionManager::TakeDirOffline(const std::shared_ptr<DirHealth>& health, const std::string& dir,
                                      const absl::Status& why,
                                      const std::shared_ptr<spdlog::logger>& logger) {
  std::vector<std::shared_ptr<Log>> logs;
  {
    std::lock_guard<std::mutex> lock(health->mu);
    if (!health->offline.insert(dir).second) return;
    for (const auto& weak : health->logs[dir]) {
      if (auto log = weak.lock()) logs.push_back(std::move(log));
    }
  }
  logger->error("log dir {} is offline ({} partitions): {}", dir, logs.size(), why.ToString());
  absl::Status status = absl::UnavailableError(
      absl::StrCat("log dir ", dir, " is offline after an I/O error: ", why.message()));
  for (const auto& log : logs) log->TakeOffline(status);
}

absl::StatusOr<std::shared_ptr<Log>> PartitionManager::OpenPartition(const TopicInfo& info,
                                                                     int32_t partition,
                                                                     const LogConfig& config) {
  std::string base_dir;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto key = std::make_pair(info.name, partition);
    auto it = locations_.find(key);
    if (it != locations_.end()) {
      base_dir = it->second;
    } else {
      base_dir = ChooseLogDir();
      locations_[key] = base_dir;
      partitions_per_dir_[base_dir]++;
    }
  }
  storage::LogOptions o;
  o.dir = JoinPath(base_dir, storage::PartitionDirName(info.name, partition));
  o.topic_partition = TopicPartition{info.name, PartitionId(partition)};
  o.config = config;
  o.fs = options_.fs;
  o.clock_ms = options_.clock_ms;
  o.flusher = flusher_;
  o.logger = logger_;
  o.on_high_watermark = [slot = observer_](const TopicPartition& tp, Offset hw) {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (slot->fn) slot->fn(tp, hw);
  };
  o.on_offline = [health = health_, base_dir, logger = logger_](const TopicPartition&,
                                                                const absl::Status& why) {
    TakeDirOffline(health, base_dir, why, logger);
  };
  bool existed = options_.fs->Exists(o.dir).value_or(false);
  KEEL_ASSIGN_OR_RETURN(auto log, Log::Open(std::move(o)));
  if (!existed) KEEL_RETURN_IF_ERROR(options_.fs->SyncDir(base_dir));
  bool dir_offline;
  {
    std::lock_guard<std::mutex> lock(health_->mu);
    auto& logs = health_->logs[base_dir];
    std::erase_if(logs, [](const auto& w) { return w.expired(); });
    logs.push_back(log);
    dir_offline = health_->offline.count(base_dir) > 0;
  }
  if (dir_offline) log->TakeOffline(absl::UnavailableError(absl::StrCat("log dir ", base_dir, " is offline")));
  return log;
}

std::vector<TopicInfo> PartitionManager::SnapshotInfosLocked() const {
  std::vector<TopicInfo> out;
  for (const auto& [name, state] : topics_) out.push_back(state.info);
  return out;
}

absl::Status PartitionManager::PersistMetadata(const std::vector<TopicInfo>& topics) {
  return storage::WriteFileAtomically(*options_.fs, options_.log_dirs[0],
                                      std::string(kTopicsMetadataFile), EncodeTopics(topics));
}

absl::StatusOr<TopicInfo> PartitionManager::CreateTopic(std::string name, int32_t partitions,
                                                        std::map<std::string, std::string> configs,
                                                        int16_t replication_factor) {
  KEEL_RETURN_IF_ERROR(ValidateTopicName(name));
  if (replication_factor < 1) {
    return absl::InvalidArgumentError(
        fmt::format("replication factor {} must be at least 1", replication_factor));
  }
  if (partitions < 1) {
    return absl::InvalidArgumentError(fmt::format("partition count {} must be at least 1", partitions));
  }
  std::lock_guard<std::mutex> admin(admin_mu_);
  KEEL_ASSIGN_OR_RETURN(LogConfig config, options_.default_config.WithOverrides(configs));
  std::vector<TopicInfo> infos;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (shut_down_) return absl::FailedPreconditionError("partition manager is shut down");
    if (topics_.count(name)) return absl::AlreadyExistsError(fmt::format("topic '{}' already exists", name));
    infos = SnapshotInfosLocked();
  }
  TopicInfo info{name, Uuid::Random(), partitions, std::move(configs), IsInternalTopic(name),
                 replication_factor};
  infos.push_back(info);
  KEEL_RETURN_IF_ERROR(PersistMetadata(infos));
  TopicState state{info, {}};
  for (int32_t p = 0; p < partitions; ++p) {
    KEEL_ASSIGN_OR_RETURN(auto log, OpenPartition(info, p, config));
    state.logs.push_back(std::move(log));
  }
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    by_id_[info.id] = name;
    topics_.emplace(name, std::move(state));
  }
  if (replication_factor == 1) {
    logger_->info("created topic {} ({} partitions, id {})", name, partitions, info.id.ToString());
  } else {
    logger_->info("created topic {} ({} partitions, id {}, replication factor {} recorded; one "
                  "durable copy kept)",
                  name, partitions, info.id.ToString(), replication_factor);
  }
  return info;
}

absl::Status PartitionManager::RemovePartitionDir(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash);
  Uuid tag = Uuid::Random();
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", tag.bytes[i]);
  std::string doomed = fmt::format("{}.{}{}", dir, hex, storage::kDeletedDirSuffix);
  KEEL_RETURN_IF_ERROR(options_.fs->Rename(dir, doomed));
  KEEL_RETURN_IF_ERROR(options_.fs->SyncDir(parent));
  return storage::RemoveTree(*options_.fs, doomed);
}

absl::Status PartitionManager::DeleteTopic(std::string_view name) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  std::vector<TopicInfo> infos;
  TopicState state;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return absl::NotFoundError(fmt::format("topic '{}' does not exist", name));
    state = it->second;
    for (const auto& [n, s] : topics_) {
      if (n != name) infos.push_back(s.info);
    }
  }
  KEEL_RETURN_IF_ERROR(PersistMetadata(infos));
  std::vector<std::string> dirs;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    topics_.erase(topics_.find(name));
    by_id_.erase(state.info.id);
    for (int32_t p = 0; p < state.info.partitions; ++p) {
      auto key = std::make_pair(std::string(name), p);
      auto it = locations_.find(key);
      if (it == locations_.end()) continue;
      partitions_per_dir_[it->second]--;
      locations_.erase(it);
    }
  }
  for (const auto& log : state.logs) log->MarkDeleted();
  absl::Status first;
  for (const auto& log : state.logs) {
    absl::Status s = RemovePartitionDir(log->dir());
    if (!s.ok() && first.ok()) first = s;
  }
  logger_->info("deleted topic {}", name);
  return first;
}

absl::Status PartitionManager::CreatePartitions(std::string_view name, int32_t new_total) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TopicInfo info;
  std::vector<TopicInfo> infos;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return absl::NotFoundError(fmt::format("topic '{}' does not exist", name));
    info = it->second.info;
    if (new_total <= info.partitions) {
      return absl::InvalidArgumentError(fmt::format(
          "topic '{}' has {} partitions; the new count {} must be larger", name, info.partitions, new_total));
    }
    infos = SnapshotInfosLocked();
  }
  KEEL_ASSIGN_OR_RETURN(LogConfig config, TopicConfig(name));
  int32_t old_total = info.partitions;
  info.partitions = new_total;
  for (TopicInfo& t : infos) {
    if (t.name == name) t.partitions = new_total;
  }
  KEEL_RETURN_IF_ERROR(PersistMetadata(infos));
  std::vector<std::shared_ptr<Log>> added;
  for (int32_t p = old_total; p < new_total; ++p) {
    KEEL_ASSIGN_OR_RETURN(auto log, OpenPartition(info, p, config));
    added.push_back(std::move(log));
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  TopicState& state = topics_.find(name)->second;
  state.info.partitions = new_total;
  for (auto& log : added) state.logs.push_back(std::move(log));
  return absl::OkStatus();
}

absl::Status PartitionManager::AlterTopicConfig(std::string_view name,
                                                std::map<std::string, std::string> configs) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  KEEL_ASSIGN_OR_RETURN(LogConfig config, options_.default_config.WithOverrides(configs));
  std::vector<TopicInfo> infos;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (!topics_.count(name)) return absl::NotFoundError(fmt::format("topic '{}' does not exist", name));
    infos = SnapshotInfosLocked();
  }
  for (TopicInfo& t : infos) {
    if (t.name == name) t.configs = configs;
  }
  KEEL_RETURN_IF_ERROR(PersistMetadata(infos));
  std::unique_lock<std::shared_mutex> lock(mu_);
  TopicState& state = topics_.find(name)->second;
  state.info.configs = std::move(configs);
  for (const auto& log : state.logs) log->UpdateConfig(config);
  return absl::OkStatus();
}

std::vector<TopicInfo> PartitionManager::ListTopics() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return SnapshotInfosLocked();
}

std::optional<TopicInfo> PartitionManager::FindTopic(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second.info;
}

std::optional<TopicInfo> PartitionManager::FindTopicById(const Uuid& id) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return topics_.find(it->second)->second.info;
}

absl::StatusOr<LogConfig> PartitionManager::TopicConfig(std::string_view name) const {
  std::map<std::string, std::string> overrides;
  LogConfig defaults;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return absl::NotFoundError(fmt::format("topic '{}' does not exist", name));
    overrides = it->second.info.configs;
    defaults = options_.default_config;
  }
  return defaults.WithOverrides(overrides);
}

LogConfig PartitionManager::default_config() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return options_.default_config;
}

absl::Status PartitionManager::SetDefaultConfig(LogConfig config) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  std::unique_lock<std::shared_mutex> lock(mu_);
  options_.default_config = config;
  size_t updated = 0;
  for (auto& [name, state] : topics_) {
    auto effective = config.WithOverrides(state.info.configs);
    if (!effective.ok()) {
      logger_->warn("topic {}: keeping its config, its overrides do not apply over the new "
                    "defaults: {}", name, effective.status().ToString());
      continue;
    }
    for (const auto& log : state.logs) log->UpdateConfig(*effective);
    ++updated;
  }
  logger_->info("broker-wide topic defaults changed; {} topics follow them", updated);
  return absl::OkStatus();
}

std::shared_ptr<Log> PartitionManager::GetLog(const TopicPartition& tp) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = topics_.find(tp.topic);
  if (it == topics_.end()) return nullptr;
  int32_t p = tp.partition.value;
  if (p < 0 || p >= int32_t(it->second.logs.size())) return nullptr;
  return it->second.logs[size_t(p)];
}

void PartitionManager::SetHighWatermarkObserver(HighWatermarkObserver observer) {
  std::lock_guard<std::mutex> lock(observer_->mu);
  observer_->fn = std::move(observer);
}

std::vector<std::shared_ptr<Log>> PartitionManager::AllLogs() const {
  std::vector<std::shared_ptr<Log>> logs;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [name, state] : topics_) logs.insert(logs.end(), state.logs.begin(), state.logs.end());
  return logs;
}

storage::CleanerPassStats PartitionManager::RunCleanerPass() { return cleaner_->RunPass(); }

void PartitionManager::RetentionLoop() {
  std::unique_lock<std::mutex> lock(retention_mu_);
  while (!stopping_) {
    retention_cv_.wait_for(lock, std::chrono::milliseconds(options_.retention_check_interval_ms));
    if (stopping_) break;
    lock.unlock();
    std::vector<std::shared_ptr<Log>> logs;
    {
      std::shared_lock<std::shared_mutex> topics_lock(mu_);
      for (const auto& [name, state] : topics_) logs.insert(logs.end(), state.logs.begin(), state.logs.end());
    }
    int64_t now = options_.clock_ms();
    for (const auto& log : logs) {
      log->ExpireProducers(now, options_.producer_id_expiration_ms);
      auto deleted = log->ApplyRetention(now);
      if (!deleted.ok()) {
        logger_->warn("retention of {} failed: {}", log->dir(), deleted.status().ToString());
      }
    }
    lock.lock();
  }
}

absl::Status PartitionManager::Shutdown() {
  std::lock_guard<std::mutex> admin(admin_mu_);
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (shut_down_) return absl::OkStatus();
    shut_down_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(retention_mu_);
    stopping_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (cleaner_) cleaner_->Stop();
  std::vector<std::shared_ptr<Log>> logs;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& [name, state] : topics_) logs.insert(logs.end(), state.logs.begin(), state.logs.end());
  }
  // Each Close is a chain of fsyncs (data, index, snapshot, checkpoint,
  // marker); closing logs side by side lets the file system join them into
  // fewer journal commits instead of paying each one in turn.
  absl::Status first;
  std::mutex first_mu;
  std::atomic<size_t> next{0};
  auto close_some = [&] {
    for (size_t i; (i = next.fetch_add(1)) < logs.size();) {
      absl::Status s = logs[i]->Close();
      if (!s.ok()) {
        logger_->error("closing {}: {}", logs[i]->dir(), s.ToString());
        std::lock_guard<std::mutex> lock(first_mu);
        if (first.ok()) first = s;
      }
    }
  };
  std::vector<std::thread> closers;
  size_t helpers = std::min(logs.size(), size_t(std::max(1, options_.flush_threads))) - (logs.empty() ? 0 : 1);
  for (size_t i = 0; i < helpers; ++i) closers.emplace_back(close_some);
  close_some();
  for (auto& t : closers) t.join();
  flusher_->Stop();
  logger_->info("partition manager shut down");
  return first;
}

}  // namespace keel::partition
