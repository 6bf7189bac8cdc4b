// SimReport: the bookkeeping one seed of a power-cut simulation needs to
// report a failure that can be replayed, shared by the partition-manager and
// coordinator simulations (the storage log simulation keeps its own).
//
// - Note(op) remembers the operation in progress (printed when verbose);
//   Fail(what) keeps the first failure as "seed <n> step <s> (<op>): <what>",
//   the shape RunSimulationSeeds (sim_seeds.h) expects.
// - OpError(what) judges an operation that returned an error: after an fsync
//   EIO injected since the last Restarted() it is expected (nothing that
//   failed is acknowledged) and the machine must be power-cycled before the
//   next step (needs_power_cycle()); otherwise it is a failure.
// - SimLogger(verbose) is the storage logger of a simulation: stdout only
//   when verbose and KEEL_SIM_LOG is set (logging changes the timing).
//
// Thread-safety: not thread-safe; used by the simulation's driving thread.
// Ownership: the SimFileSystem passed to Restarted/OpError is not kept.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "spdlog/logger.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "testutil/sim_file_system.h"

namespace keel::testing {

class SimReport {
 public:
  SimReport(uint64_t seed, bool verbose) : seed_(seed), verbose_(verbose) {}

  uint64_t seed() const { return seed_; }
  bool verbose() const { return verbose_; }
  void SetStep(int step) { step_ = step; }
  int step() const { return step_; }

  void Note(const std::string& op) {
    last_op_ = op;
    if (verbose_) std::cout << "step " << step_ << ": " << op << std::endl;
  }
  void Fail(const std::string& what) {
    if (!failure_.empty()) return;
    std::ostringstream out;
    out << "seed " << seed_ << " step " << step_ << " (" << last_op_ << "): " << what;
    failure_ = out.str();
    if (verbose_) std::cout << "FAIL: " << failure_ << std::endl;
  }
  bool ok() const { return failure_.empty(); }
  const std::string& failure() const { return failure_; }

  // The machine (re)started on `sim`: earlier injected EIOs excuse nothing.
  void Restarted(const SimFileSystem& sim) {
    eio_at_start_ = sim.stats().injected_eio;
    needs_power_cycle_ = false;
  }
  // Whether an fsync EIO was injected since the last Restarted().
  bool EioSinceRestart(const SimFileSystem& sim) const { return sim.stats().injected_eio > eio_at_start_; }
  // An operation failed with `what`; see the header comment.
  void OpError(const SimFileSystem& sim, const std::string& what) {
    if (EioSinceRestart(sim)) {
      Note("not acknowledged after an injected EIO: " + what);
      needs_power_cycle_ = true;
      return;
    }
    Fail(what);
  }
  bool needs_power_cycle() const { return needs_power_cycle_; }

 private:
  uint64_t seed_;
  bool verbose_;
  int step_ = -1;
  std::string last_op_;
  std::string failure_;
  uint64_t eio_at_start_ = 0;
  bool needs_power_cycle_ = false;
};

inline std::shared_ptr<spdlog::logger> SimLogger(bool verbose) {
  if (verbose && std::getenv("KEEL_SIM_LOG")) {
    return std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  }
  return std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::null_sink_mt>());
}

}  // namespace keel::testing
