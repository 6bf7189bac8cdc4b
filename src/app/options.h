// Command-line options of the keel executable.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "keel/config/properties.h"

namespace keel::app {

struct CommandLine {
  std::string config_path;      // empty: embedded default config
  config::Properties overrides; // --set key=value, in order (last wins)
  std::string ready_file;       // written once listeners accept
  bool help = false;
  bool version = false;
  bool print_config = false;    // print every key with its default and exit
};

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv);
std::string Usage();

}  // namespace keel::app
