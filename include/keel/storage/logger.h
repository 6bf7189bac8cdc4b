// The "storage" spdlog logger: the registered one if the application made it,
// otherwise an unregistered logger of that name writing to the default sinks.
// Keeps no state of its own.
#pragma once

#include <memory>

#include "spdlog/spdlog.h"

namespace keel::storage {

inline std::shared_ptr<spdlog::logger> StorageLogger() {
  if (auto l = spdlog::get("storage")) return l;
  auto def = spdlog::default_logger();
  auto l = std::make_shared<spdlog::logger>("storage", def->sinks().begin(), def->sinks().end());
  l->set_level(def->level());
  return l;
}

}  // namespace keel::storage
