// The one list of implemented APIs. Adding an API = a handler file + a row here.
#include "registry.h"

#include <algorithm>
#include <array>

#include "add_offsets_to_txn.h"
#include "add_partitions_to_txn.h"
#include "alter_configs.h"
#include "api_versions.h"
#include "create_partitions.h"
#include "create_topics.h"
#include "delete_groups.h"
#include "delete_records.h"
#include "delete_topics.h"
#include "describe_cluster.h"
#include "describe_configs.h"
#include "describe_groups.h"
#include "describe_log_dirs.h"
#include "describe_producers.h"
#include "describe_transactions.h"
#include "elect_leaders.h"
#include "end_txn.h"
#include "fetch.h"
#include "find_coordinator.h"
#include "heartbeat.h"
#include "incremental_alter_configs.h"
#include "init_producer_id.h"
#include "join_group.h"
#include "leave_group.h"
#include "list_groups.h"
#include "list_offsets.h"
#include "list_transactions.h"
#include "metadata.h"
#include "offset_commit.h"
#include "offset_delete.h"
#include "offset_fetch.h"
#include "offset_for_leader_epoch.h"
#include "produce.h"
#include "sync_group.h"
#include "txn_offset_commit.h"

namespace keel::server {
namespace {

constexpr auto kHandlers = [] {
  std::array table{
      MakeEntry<ProduceHandler>(),
      MakeEntry<FetchHandler>(),
      MakeEntry<MetadataHandler>(),
      MakeEntry<ApiVersionsHandler>(),
      MakeEntry<ListOffsetsHandler>(),
      MakeEntry<OffsetForLeaderEpochHandler>(),
      MakeEntry<InitProducerIdHandler>(),
      MakeEntry<CreateTopicsHandler>(),
      MakeEntry<DeleteTopicsHandler>(),
      MakeEntry<DescribeConfigsHandler>(),
      MakeEntry<CreatePartitionsHandler>(),
      MakeEntry<FindCoordinatorHandler>(),
      MakeEntry<JoinGroupHandler>(),
      MakeEntry<SyncGroupHandler>(),
      MakeEntry<HeartbeatHandler>(),
      MakeEntry<LeaveGroupHandler>(),
      MakeEntry<OffsetCommitHandler>(),
      MakeEntry<OffsetFetchHandler>(),
      MakeEntry<DescribeGroupsHandler>(),
      MakeEntry<ListGroupsHandler>(),
      MakeEntry<DeleteGroupsHandler>(),
      MakeEntry<OffsetDeleteHandler>(),
      MakeEntry<DeleteRecordsHandler>(),
      MakeEntry<AlterConfigsHandler>(),
      MakeEntry<DescribeLogDirsHandler>(),
      MakeEntry<ElectLeadersHandler>(),
      MakeEntry<IncrementalAlterConfigsHandler>(),
      MakeEntry<DescribeClusterHandler>(),
      MakeEntry<AddPartitionsToTxnHandler>(),
      MakeEntry<AddOffsetsToTxnHandler>(),
      MakeEntry<EndTxnHandler>(),
      MakeEntry<TxnOffsetCommitHandler>(),
      MakeEntry<DescribeProducersHandler>(),
      MakeEntry<DescribeTransactionsHandler>(),
      MakeEntry<ListTransactionsHandler>(),
  };
  std::sort(table.begin(), table.end(),
            [](const HandlerEntry& a, const HandlerEntry& b) { return a.api_key < b.api_key; });
  return table;
}();

}  // namespace

std::span<const HandlerEntry> AllHandlers() { return kHandlers; }

const HandlerEntry* FindHandler(int16_t api_key) {
  for (const auto& e : kHandlers)
    if (e.api_key == api_key) return &e;
  return nullptr;
}

}  // namespace keel::server
