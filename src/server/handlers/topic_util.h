// Small helpers shared by topic-level handlers.
#pragma once

#include <string>
#include <string_view>

#include "keel/protocol/error_code.h"
#include "absl/status/status.h"

namespace keel::server {

// Every partition is led by this node at leader epoch 0, forever (single node).
inline constexpr int32_t kLeaderEpoch = 0;

// Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool IsValidTopicName(std::string_view name);

// Maps a storage/partition Status to the Kafka error code a client expects.
protocol::ErrorCode ToErrorCode(const absl::Status& status);

}  // namespace keel::server
