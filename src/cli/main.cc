// keel-admin: the Keel admin command-line tool (see command_line.h,
// commands.h and the README section "Admin CLI").
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/context.h"

namespace keel::cli {
namespace {

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(FullHelp().c_str(), stderr);
    return 2;
  }
  absl::StatusOr<CommandLine> command_line = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  absl::Status status = command_line.status();
  if (status.ok() && !command_line->help.empty()) {
    std::fputs(command_line->help.c_str(), stdout);
    return 0;
  }
  if (status.ok()) {
    Context ctx(command_line->options);
    status = command_line->action(ctx);
  }
  if (status.ok()) return 0;
  std::string message(status.message().data(), status.message().size());
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "keel-admin: %s\n(run keel-admin --help for usage)\n", message.c_str());
    return 2;
  }
  std::fprintf(stderr, "keel-admin: error: %s\n", message.c_str());
  return 1;
}

}  // namespace
}  // namespace keel::cli

int main(int argc, char** argv) { return keel::cli::Main(argc, argv); }
