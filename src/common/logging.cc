#include "keel/common/logging.h"

#include "spdlog/sinks/stdout_color_sinks.h"

namespace keel {

std::shared_ptr<spdlog::logger> ModuleLogger(const std::string& name) {
  if (auto l = spdlog::get(name)) return l;
  try {
    auto l = spdlog::stderr_color_mt(name);
    l->set_level(spdlog::get_level());
    return l;
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);  // another thread registered it first
  }
}

bool ConfigureLogging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ [%n] %v");
  spdlog::set_level(lvl);
  return true;
}

}  // namespace keel
