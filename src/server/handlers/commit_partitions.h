// The per-partition answers shared by OffsetCommit and TxnOffsetCommit:
// every requested partition gets one response entry, in request order; the
// partitions that can be committed go to the group coordinator, whose
// per-partition errors are then written back into the entries still NONE.
//
// Thread-safety: the functions only touch their arguments; the pointers
// AnswerCommitPartitions keeps into `out` stay valid because `out` no longer
// grows once CollectCommitPartitions has returned.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "handler.h"
#include "join_group.h"
#include "keel/coordinator/group_error.h"

namespace keel::server {

// Appends one response topic per request topic and one response partition per
// request partition to `out`. A partition's error is `refusal` when that is
// not NONE (the whole request is refused), else UNKNOWN_TOPIC_OR_PARTITION
// for a partition that does not exist; otherwise it stays NONE and
// `accept(topic_name, request_partition)` adds it to the coordinator request.
template <typename RequestTopics, typename ResponseTopics, typename Accept>
void CollectCommitPartitions(Call& call, const RequestTopics& in, ResponseTopics& out,
                             protocol::ErrorCode refusal, Accept&& accept) {
  for (const auto& topic : in) {
    auto& tout = out.emplace_back();
    tout.name = topic.name;
    auto info = call.broker.partitions.FindTopic(topic.name);
    for (const auto& p : topic.partitions) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p.partition_index;
      if (refusal != protocol::ErrorCode::NONE) {
        pout.error_code = int16_t(refusal);
      } else if (!info || p.partition_index.value < 0 ||
                 p.partition_index.value >= info->partitions) {
        pout.error_code = int16_t(protocol::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        accept(topic.name, p);
      }
    }
  }
}

// Runs `start` (the coordinator commit of the accepted partitions) on the
// broker's group-commit strand (so pipelined commits apply in arrival order)
// and writes its errors, in order, into the partitions of `out` still NONE:
// the ones CollectCommitPartitions accepted.
// (`start` is a named variable at the call site, never a temporary: GCC 12
// may destroy temporaries of a co_await's full expression twice.)
using GroupCommitCall =
    std::function<void(absl::AnyInvocable<void(std::vector<coordinator::GroupError>)>)>;

template <typename ResponseTopics>
Task<void> AnswerCommitPartitions(Call& call, ResponseTopics& out, const GroupCommitCall& start) {
  std::vector<int16_t*> slots;
  for (auto& t : out)
    for (auto& p : t.partitions)
      if (p.error_code == 0) slots.push_back(&p.error_code);
  auto errors = co_await AwaitGroupCallback<std::vector<coordinator::GroupError>>(
      call.broker.group_commit_calls, start);
  for (size_t i = 0; i < slots.size() && i < errors.size(); ++i) *slots[i] = WireError(errors[i]);
}

}  // namespace keel::server
