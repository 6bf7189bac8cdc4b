#include "options.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "keel/common/status_macros.h"

namespace keel::app {

std::string Usage() {
  return "usage: keel [--config FILE] [--set key=value]... [--ready-file PATH]\n"
         "  --config FILE      Kafka-style properties file (default: embedded defaults,\n"
         "                     127.0.0.1:9092 and ./data)\n"
         "  --set key=value    override one config key (repeatable)\n"
         "  --ready-file PATH  once listening, write one line per listener\n"
         "                     (NAME://host:port, real port) to PATH\n"
         "  --print-config     print every config key with its default and meaning\n"
         "  --version          print the version\n";
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> absl::StatusOr<std::string> {
      std::string prefix = std::string(flag) + "=";
      if (a.substr(0, prefix.size()) == prefix) return std::string(a.substr(prefix.size()));
      if (i + 1 >= argc) return absl::InvalidArgumentError(std::string(flag) + " needs a value");
      return std::string(argv[++i]);
    };
    auto is = [&](std::string_view flag) {
      return a == flag || (a.size() > flag.size() && a.substr(0, flag.size()) == flag &&
                           a[flag.size()] == '=');
    };
    if (a == "-h" || a == "--help") {
      cl.help = true;
    } else if (a == "--print-config") {
      cl.print_config = true;
    } else if (a == "--version") {
      cl.version = true;
    } else if (is("--config")) {
      KEEL_ASSIGN_OR_RETURN(cl.config_path, value("--config"));
    } else if (is("--ready-file")) {
      KEEL_ASSIGN_OR_RETURN(cl.ready_file, value("--ready-file"));
    } else if (is("--set")) {
      KEEL_ASSIGN_OR_RETURN(std::string kv, value("--set"));
      KEEL_ASSIGN_OR_RETURN(auto pair, config::ParseOverride(kv));
      cl.overrides[pair.first] = pair.second;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", argv[i], "'"));
    }
  }
  return cl;
}

}  // namespace keel::app
