// keel-admin: the Keel admin command-line tool (see commands.h and the
// README section "Admin CLI").
#include <cstdio>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "fmt/format.h"

namespace keel::cli {
namespace {

absl::Status Run(Context& ctx, Args& args) {
  auto group = args.Positional();
  if (!group) return UsageError("missing command");
  if (*group == "topics") return RunTopics(ctx, args);
  if (*group == "groups") return RunGroups(ctx, args);
  if (*group == "produce") return RunProduce(ctx, args);
  if (*group == "consume") return RunConsume(ctx, args);
  if (*group == "segment") return RunSegment(ctx, args);
  if (*group == "log-dir") return RunLogDir(ctx, args);
  return UsageError(fmt::format("unknown command '{}'", *group));
}

int Main(int argc, char** argv) {
  Args args(std::vector<std::string>(argv + 1, argv + argc));
  if (args.Flag("--help") || args.Flag("-h") || argc < 2) {
    std::fputs(UsageText(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  GlobalOptions options;
  absl::Status parsed = [&]() -> absl::Status {
    auto bootstrap = args.Value("--bootstrap-server");
    if (!bootstrap.ok()) return bootstrap.status();
    if (bootstrap->has_value()) options.bootstrap = **bootstrap;
    options.json = args.Flag("--json");
    auto timeout = args.Int("--timeout-ms", options.timeout_ms);
    if (!timeout.ok()) return timeout.status();
    if (*timeout <= 0) return UsageError("--timeout-ms must be positive");
    options.timeout_ms = *timeout;
    return absl::OkStatus();
  }();
  absl::Status status = parsed;
  if (status.ok()) {
    Context ctx(options);
    status = Run(ctx, args);
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
