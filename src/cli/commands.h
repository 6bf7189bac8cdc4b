// The keel-admin command groups. Each takes the words after its group name
// ("topics describe T ..." -> RunTopics with "describe T ..."), prints its
// result through the Context and returns OK or the error to report.
// Usage errors are absl::InvalidArgumentError (exit 2); "damage found" of
// the offline tools is absl::DataLossError (exit 1, after printing the report).
#pragma once

#include "absl/status/status.h"
#include "cli/args.h"
#include "cli/context.h"

namespace keel::cli {

absl::Status RunTopics(Context& ctx, Args& args);     // topics_command.cc
absl::Status RunGroups(Context& ctx, Args& args);     // groups_command.cc
absl::Status RunProduce(Context& ctx, Args& args);    // produce_command.cc
absl::Status RunConsume(Context& ctx, Args& args);    // consume_command.cc
absl::Status RunSegment(Context& ctx, Args& args);    // segment_dump.cc
absl::Status RunLogDir(Context& ctx, Args& args);     // log_dir_verify.cc

// The usage text printed by --help and after usage errors.
const char* UsageText();

}  // namespace keel::cli
