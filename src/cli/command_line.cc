// keel-admin's CLI11 command tree and the mapping of its outcomes to usage
// errors and help (see command_line.h).
#include "cli/command_line.h"

#include <algorithm>
#include <cstdint>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "fmt/format.h"

namespace keel::cli {
namespace {

constexpr const char* kFooter = R"(
Run `keel-admin COMMAND [SUBCOMMAND] --help` for a command's options.
Global options may appear anywhere on the line. Output is aligned tables, or
one JSON document with --json. Exit status: 0 ok, 1 error (the Kafka error is
named) or damage found, 2 usage error.
)";

// Registers the global options and every command on `app`. The options and
// the action live outside the app, so they survive it.
void BuildApp(CLI::App& app, GlobalOptions* options, Action* action) {
  app.footer(kFooter);
  // Options a command does not know are tried on its parents, so the global
  // options work after the command words too. Set before the commands are
  // added: subcommands copy it.
  app.fallthrough();
  app.add_option("--bootstrap-server", options->bootstrap, "broker address host:port")
      ->capture_default_str();
  app.add_flag("--json", options->json, "print one JSON document instead of tables");
  app.add_option("--timeout-ms", options->timeout_ms, "timeout of each request (ms)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX).description("POSITIVE"))
      ->capture_default_str();
  // At most one command, and at most one subcommand in each group: a later
  // word equal to a command name (a topic called "list") is then a
  // positional, not another command.
  app.require_subcommand(0, 1);
  AddTopicsCommands(app, action);
  AddGroupsCommands(app, action);
  AddProduceCommand(app, action);
  AddConsumeCommand(app, action);
  AddSegmentCommands(app, action);
  AddLogDirCommands(app, action);
  // Words nobody takes end up in app.remaining() (reported below, with
  // better messages than CLI11's); set last so the commands do not copy it.
  app.allow_extras();
}

// The commands of `app` (its option groups are subcommands to CLI11 too).
std::vector<CLI::App*> Commands(CLI::App* app) {
  return app->get_subcommands([](CLI::App* sub) { return dynamic_cast<CLI::Option_group*>(sub) == nullptr; });
}

std::string CommandNames(CLI::App* app) {
  std::vector<std::string> names;
  for (CLI::App* sub : Commands(app)) names.push_back(sub->get_name());
  return absl::StrJoin(names, ", ");
}

}  // namespace

std::string FullHelp() {
  CLI::App app("keel-admin: the Keel admin tool (Kafka protocol to any broker; offline log tools)",
               "keel-admin");
  GlobalOptions options;
  Action action;
  BuildApp(app, &options, &action);
  return app.help("", CLI::AppFormatMode::All);
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  CLI::App app("keel-admin: the Keel admin tool (Kafka protocol to any broker; offline log tools)",
               "keel-admin");
  BuildApp(app, &out.options, &out.action);
  // CLI11 takes the words in reverse order.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    // The help of the deepest command given, or of everything.
    out.help = app.get_subcommands().empty() ? app.help("", CLI::AppFormatMode::All) : app.help();
    out.action = nullptr;
    return out;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  // The deepest command given, and its words.
  CLI::App* deepest = &app;
  std::string path;
  while (!deepest->get_subcommands().empty()) {
    deepest = deepest->get_subcommands().front();
    path += (path.empty() ? "" : " ") + deepest->get_name();
  }
  bool is_group = !Commands(deepest).empty();
  std::vector<std::string> extra = app.remaining();
  if (!extra.empty()) {
    if (deepest == &app) return absl::InvalidArgumentError(fmt::format("unknown command '{}'", extra.front()));
    if (is_group) {
      return absl::InvalidArgumentError(fmt::format("unknown {} subcommand '{}' (one of: {})", path,
                                                    extra.front(), CommandNames(deepest)));
    }
    return absl::InvalidArgumentError(fmt::format("unexpected argument '{}'", extra.front()));
  }
  if (deepest == &app) return absl::InvalidArgumentError("missing command");
  if (is_group) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs a subcommand: {}", path, CommandNames(deepest)));
  }
  if (!out.action) return absl::InternalError(fmt::format("command '{}' has no action", path));
  return out;
}

}  // namespace keel::cli
