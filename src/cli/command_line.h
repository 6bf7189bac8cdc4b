// keel-admin's command line, parsed by CLI11: the global options (accepted
// anywhere on the line), the command groups of commands.h with their
// subcommands, options and generated help.
//
// Every usage error is absl::InvalidArgumentError (exit code 2) with the
// message to print: CLI11's own (a missing or malformed value, an option out
// of range, a required option absent) or one of ours (unknown command, a
// group without its subcommand, an unexpected argument).
// Thread-safety: none needed; pure function of its input.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "cli/context.h"

namespace keel::cli {

struct CommandLine {
  GlobalOptions options;
  // The selected command; empty when help was asked for.
  Action action;
  // Non-empty when --help (or -h) was given: the help of the command it
  // follows, or of the whole tool.
  std::string help;
};

// `args` are the words after the program name.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The help of the whole tool (printed for --help and, on stderr, when
// keel-admin is run without arguments).
std::string FullHelp();

}  // namespace keel::cli
