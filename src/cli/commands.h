// The keel-admin command groups. Each Add*Commands registers its commands,
// their options and their help on the CLI11 app (see command_line.h); when
// the command line selects one of them, its parse callback stores in
// `*action` what to run. An action prints its result through the Context and
// returns OK or the error to report.
// Usage errors are absl::InvalidArgumentError (exit 2); "damage found" of
// the offline tools is absl::DataLossError (exit 1, after printing the report).
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "cli/context.h"

namespace CLI {
class App;
}

namespace keel::cli {

// What the parsed command line asks for, run once the global options are known.
using Action = std::function<absl::Status(Context&)>;

void AddTopicsCommands(CLI::App& app, Action* action);   // topics_command.cc
void AddGroupsCommands(CLI::App& app, Action* action);   // groups_command.cc
void AddProduceCommand(CLI::App& app, Action* action);   // produce_command.cc
void AddConsumeCommand(CLI::App& app, Action* action);   // consume_command.cc
void AddSegmentCommands(CLI::App& app, Action* action);  // segment_dump.cc
void AddLogDirCommands(CLI::App& app, Action* action);   // log_dir_verify.cc

}  // namespace keel::cli
