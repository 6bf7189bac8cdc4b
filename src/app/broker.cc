#include "broker.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/common/logging.h"
#include "keel/common/status_macros.h"
#include "keel/metrics/process_metrics.h"
#include "keel/protocol/api_table.h"

namespace keel::app {

Broker::Broker(config::BrokerConfig config) : config_(std::move(config)) {}

Broker::~Broker() { Stop(); }

absl::Status Broker::StartHttp() {
  request_metrics_ = std::make_unique<metrics::RequestMetrics>([](int16_t key) {
    const protocol::ApiDescriptor* api = protocol::FindApi(key);
    return api ? std::string(api->name) : absl::StrCat("api_", key);
  });
  registry_.Add([this](metrics::ExpositionWriter& w) {
    w.Family("keel_ready", "1 when the broker serves Kafka clients (what /readyz reports).",
             metrics::MetricType::kGauge);
    w.Sample("keel_ready", {}, ready_.load() ? 1 : 0);
  });
  registry_.Add([](metrics::ExpositionWriter& w) { metrics::CollectProcessMetrics(w); });
  registry_.Add([this](metrics::ExpositionWriter& w) { request_metrics_->Collect(w); });
  registry_.Add([this](metrics::ExpositionWriter& w) { flush_metrics_.Collect(w); });
  if (config_.http_listener_port < 0) return absl::OkStatus();
  server::HttpServerOptions hopts;
  hopts.host = config_.http_listener_host;
  hopts.port = uint16_t(config_.http_listener_port);
  http_ = std::make_unique<server::HttpServer>(hopts, HttpRoutes());
  KEEL_RETURN_IF_ERROR(http_->Start());
  ModuleLogger("broker")->info("HTTP listener accepting on {} (/healthz /readyz /metrics)",
                               http_->address());
  return absl::OkStatus();
}

std::string Broker::http_address() const { return http_ ? http_->address() : std::string(); }

server::HttpRouter Broker::HttpRoutes() {
  server::HttpRouter router;
  router.Add("GET", "/healthz", [](const server::HttpRequest&) {
    return server::HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}};
  });
  router.Add("GET", "/readyz", [this](const server::HttpRequest&) {
    if (ready_.load()) return server::HttpResponse{200, "text/plain; charset=utf-8", "ready\n", {}};
    return server::HttpResponse{503, "text/plain; charset=utf-8", "not ready\n", {}};
  });
  router.Add("GET", "/metrics", [this](const server::HttpRequest&) {
    return server::HttpResponse{200, std::string(metrics::ExpositionWriter::kContentType), registry_.Scrape(), {}};
  });
  return router;
}

void Broker::LogRecoverySummary(std::chrono::milliseconds took) {
  size_t logs = 0, recovered = 0;
  uint64_t truncated = 0;
  for (const auto& t : partitions_->ListTopics()) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      auto l = partitions_->GetLog(TopicPartition{t.name, PartitionId(p)});
      if (!l) continue;
      ++logs;
      auto info = l->recovery_info();
      if (!info.clean_shutdown) ++recovered;
      truncated += info.bytes_truncated;
    }
  }
  auto log = ModuleLogger("broker");
  if (logs == 0) {
    log->info("no partition logs yet (a new log dir)");
  } else if (recovered == 0) {
    log->info("opened {} partition logs in {} ms; previous shutdown was clean (no recovery)", logs,
              took.count());
  } else {
    log->warn("opened {} partition logs in {} ms; recovered {} after an unclean shutdown, "
              "{} bytes truncated",
              logs, took.count(), recovered, truncated);
  }
}

absl::Status Broker::Start() {
  auto log = ModuleLogger("broker");
  log->info("log dirs: {}", absl::StrJoin(config_.log_dirs, ", "));
  // Before anything reads or writes a log dir: a second keel on the same
  // dirs must not recover logs the first is writing.
  for (const std::string& dir : config_.log_dirs) {
    KEEL_ASSIGN_OR_RETURN(storage::DirLock lock, storage::DirLock::Acquire(dir));
    dir_locks_.push_back(std::move(lock));
  }
  KEEL_RETURN_IF_ERROR(StartHttp());
  fs_ = storage::NewPosixFileSystem();
  // Dynamic broker configs (AlterConfigs on the BROKER resource) persisted
  // by an earlier run sit on top of the static config.
  KEEL_ASSIGN_OR_RETURN(dynamic_config_,
                        server::DynamicBrokerConfig::Open(*fs_, config_.log_dirs.front(), config_));
  for (const auto& e : dynamic_config_->current()->entries) {
    if (e.source == config::ConfigSource::kDynamicBroker ||
        e.source == config::ConfigSource::kDynamicDefault)
      log->info("dynamic config {}={} ({})", e.name, e.value,
                e.source == config::ConfigSource::kDynamicBroker ? "this broker"
                                                                 : "cluster default");
  }
  storage::LogConfig log_defaults = dynamic_config_->log_defaults();

  auto started = std::chrono::steady_clock::now();
  partition::PartitionManagerOptions popts;
  popts.log_dirs = config_.log_dirs;
  popts.default_config = log_defaults;
  popts.fs = fs_.get();
  popts.retention_check_interval_ms = config_.log_retention_check_interval_ms;
  popts.producer_id_expiration_ms = config_.producer_id_expiration_ms;
  popts.cleaner_enable = config_.log_cleaner_enable;
  popts.cleaner_backoff_ms = config_.log_cleaner_backoff_ms;
  popts.cleaner_dedupe_buffer_bytes = size_t(config_.log_cleaner_dedupe_buffer_size);
  popts.flush_observer = &flush_metrics_;
  popts.flush_threads = config_.log_flush_threads;
  KEEL_ASSIGN_OR_RETURN(partitions_, partition::PartitionManager::Open(popts));
  dynamic_config_->SetLogDefaultsSink(
      [this](const storage::LogConfig& defaults) { return partitions_->SetDefaultConfig(defaults); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log->info("opened {} topics under {} log dir(s) in {} ms", partitions_->ListTopics().size(),
            config_.log_dirs.size(), took.count());
  LogRecoverySummary(took);
  registry_.Add([this](metrics::ExpositionWriter& w) { CollectPartitionMetrics(*partitions_, w); });

  KEEL_ASSIGN_OR_RETURN(producer_ids_,
                        server::ProducerIdAllocator::Open(*fs_, config_.log_dirs.front()));
  partitions_->SetHighWatermarkObserver(
      [this](const TopicPartition& tp, Offset) { waiters_.Notify(tp); });

  storage_pool_ = std::make_unique<server::net::thread_pool>(config_.num_io_threads);
  context_ = std::make_unique<server::BrokerContext>(server::BrokerContext{
      config_, *partitions_, *storage_pool_, waiters_, *producer_ids_, log_defaults});

  // Consumer groups: open (or create) __consumer_offsets and replay it.
  auto groups_started = std::chrono::steady_clock::now();
  KEEL_ASSIGN_OR_RETURN(offsets_log_,
                        coordinator::PartitionCoordinatorLog::Open(
                            *partitions_, config_.offsets_topic_num_partitions, &group_clock_));
  coordinator::GroupCoordinatorConfig gcfg;
  gcfg.initial_rebalance_delay_ms = config_.group_initial_rebalance_delay_ms;
  gcfg.min_session_timeout_ms = config_.group_min_session_timeout_ms;
  gcfg.max_session_timeout_ms = config_.group_max_session_timeout_ms;
  gcfg.offsets_retention_ms = config_.offsets_retention_minutes * 60 * 1000;
  groups_ = std::make_unique<coordinator::GroupCoordinator>(gcfg, offsets_log_.get(), &group_clock_);
  KEEL_ASSIGN_OR_RETURN(int64_t group_records, offsets_log_->LoadInto(*groups_));
  log->info("loaded {} groups from {} records of {} in {} ms", groups_->group_count(), group_records,
            coordinator::kConsumerOffsetsTopic,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  groups_started)
                .count());
  context_->groups = groups_.get();

  // Transactions: open (or create) __transaction_state, replay it, then
  // finish what a crash left between a decision and its markers.
  auto txns_started = std::chrono::steady_clock::now();
  KEEL_ASSIGN_OR_RETURN(txn_log_, coordinator::PartitionCoordinatorLog::OpenTopic(
                                      *partitions_, std::string(coordinator::kTransactionStateTopic),
                                      config_.transaction_state_log_num_partitions, &group_clock_,
                                      /*create_lazily=*/true));
  txn_markers_ = std::make_unique<coordinator::PartitionTxnMarkerWriter>(*partitions_, groups_.get(),
                                                                         &group_clock_);
  coordinator::TxnCoordinatorConfig tcfg;
  tcfg.max_timeout_ms = config_.transaction_max_timeout_ms;
  tcfg.id_expiration_ms = config_.transactional_id_expiration_ms;
  txns_ = std::make_unique<coordinator::TxnCoordinator>(
      tcfg, txn_log_.get(), txn_markers_.get(), [this] { return producer_ids_->Next(); },
      &group_clock_);
  KEEL_ASSIGN_OR_RETURN(int64_t txn_records, txn_log_->LoadInto(*txns_));
  txns_->FinishLoading();
  log->info("loaded {} transactional ids from {} records of {} in {} ms", txns_->size(),
            txn_records, coordinator::kTransactionStateTopic,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  txns_started)
                .count());
  context_->txns = txns_.get();
  context_->request_metrics = request_metrics_.get();
  context_->dynamic_config = dynamic_config_.get();
  registry_.Add([this](metrics::ExpositionWriter& w) {
    CollectGroupMetrics(*partitions_, *groups_, [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    }, w);
  });
  // Group timers fire at their deadlines: the ticker sleeps until the
  // earliest one (at most 100 ms, for the transaction work below) and is
  // woken when a join or rebalance schedules an earlier one.
  groups_->SetDeadlineWakeup([this] {
    {
      std::lock_guard lock(ticker_mu_);
      ticker_wake_ = true;
    }
    ticker_cv_.notify_all();
  });
  group_ticker_ = std::thread([this] {
    const auto txn_interval =
        std::chrono::milliseconds(config_.transaction_abort_timed_out_transaction_cleanup_interval_ms);
    auto next_txn_tick = std::chrono::steady_clock::now() + txn_interval;
    std::unique_lock lock(ticker_mu_);
    while (!ticker_stop_) {
      lock.unlock();
      int64_t wait_ms = groups_->NextDeadlineMs() - group_clock_.NowMs();
      wait_ms = std::clamp<int64_t>(wait_ms, 1, 100);
      lock.lock();
      if (ticker_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                              [this] { return ticker_stop_ || ticker_wake_; })) {
        if (ticker_stop_) break;
        ticker_wake_ = false;
        continue;  // an earlier deadline: recompute the wait
      }
      lock.unlock();
      groups_->Tick();
      txns_->RetryDueMarkers();  // failed markers: backoff 100 ms doubling to 5 s
      if (std::chrono::steady_clock::now() >= next_txn_tick) {
        txns_->Tick();
        next_txn_tick = std::chrono::steady_clock::now() + txn_interval;
      }
      lock.lock();
    }
  });
  dispatcher_ = std::make_unique<server::Dispatcher>(*context_);

  server::ServerOptions sopts;
  sopts.listeners = config_.listeners;
  sopts.io_threads = config_.num_network_threads > 0
                         ? config_.num_network_threads
                         : int(std::max(1u, std::thread::hardware_concurrency()));
  sopts.connection.max_request_bytes = config_.socket_request_max_bytes;
  sopts.connection.max_inflight = config_.max_inflight_requests_per_connection;
  sopts.connection.idle_timeout = std::chrono::milliseconds(config_.connections_max_idle_ms);
  sopts.drain_timeout = std::chrono::milliseconds(config_.shutdown_drain_ms);
  sopts.queued_max_request_bytes = config_.queued_max_request_bytes;
  server_ = std::make_unique<server::Server>(sopts, *dispatcher_);
  KEEL_RETURN_IF_ERROR(server_->Bind());
  // An advertised listener with port 0 means "whatever port was bound" (the
  // listener it names asked for an ephemeral port): advertise the real one.
  for (auto& adv : config_.advertised_listeners) {
    if (adv.port != 0) continue;
    for (const auto& b : server_->bound())
      if (b.name == adv.name) adv.port = b.port;
  }
  server_->Run();
  registry_.Add([this](metrics::ExpositionWriter& w) { CollectServerMetrics(*server_, w); });
  ready_ = true;
  return absl::OkStatus();
}

std::vector<config::ListenerSpec> Broker::bound_listeners() const {
  return server_ ? server_->bound() : std::vector<config::ListenerSpec>{};
}

void Broker::Stop() {
  if (stopped_) return;
  stopped_ = true;
  auto log = ModuleLogger("broker");
  ready_ = false;  // /readyz answers 503 from here on
  if (server_) server_->Stop();
  if (storage_pool_) storage_pool_->join();
  if (group_ticker_.joinable()) {
    {
      std::lock_guard lock(ticker_mu_);
      ticker_stop_ = true;
    }
    ticker_cv_.notify_all();
    group_ticker_.join();
  }
  if (partitions_) {
    if (auto st = partitions_->Shutdown(); !st.ok()) {
      log->error("shutdown did not flush cleanly: {}", st.ToString());
    } else {
      log->info("all logs flushed; clean shutdown recorded");
    }
  }
  if (http_) http_->Stop();
  registry_.Clear();
  dir_locks_.clear();  // last: nothing writes to the log dirs any more
}

}  // namespace keel::app
