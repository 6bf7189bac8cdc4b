// Named spdlog loggers, one per module ("net", "storage", "group", ...).
//
// ModuleLogger(name) returns the logger registered under `name`, creating it
// (stderr, the current default level and pattern) on first use. The app
// configures level and pattern once at start-up through ConfigureLogging.
#pragma once

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace keel {

std::shared_ptr<spdlog::logger> ModuleLogger(const std::string& name);

// Sets the level (trace..off) and a one-line pattern for every logger, present
// and future. Returns false if `level` is not a known level name.
bool ConfigureLogging(const std::string& level);

}  // namespace keel
