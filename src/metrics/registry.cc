#include "keel/metrics/registry.h"

namespace keel::metrics {

void Registry::Add(Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

void Registry::Clear() {
  std::lock_guard lock(mu_);
  collectors_.clear();
}

std::string Registry::Scrape() const {
  ExpositionWriter w;
  std::lock_guard lock(mu_);
  for (const auto& c : collectors_) c(w);
  return w.Take();
}

}  // namespace keel::metrics
