// The seed loop shared by the power-cut simulations (storage log, partition
// manager, coordinators).
//
// RunSimulationSeeds runs `run_one(seed, verbose)` for seeds 1, 2, ... (or
// from KEEL_SIM_FIRST_SEED) until KEEL_SIM_SECONDS (default
// `default_seconds`) have passed, or only seed KEEL_SIM_SEED, verbosely.
// `run_one` returns "" on success or a failure that starts with
// "seed <n> ". It prints up to 10 failures with their replay command and
// the one line the figures script parses:
//   power-cut seeds: <runs> failures: <failures>
//
// SimRng is the simulations' generator (splitmix64): a `salt` per
// simulation keeps each one's seed -> sequence mapping of its own; pass
// kScrambleSeed so that consecutive seeds are unrelated (see below).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace keel::testing {

class SimRng {
 public:
  // Beware: with this constructor seed s + 1 starts one draw after seed s
  // (the state is seed * step + salt), so consecutive seeds replay one
  // stream shifted by a draw and their random choices stay correlated.
  SimRng(uint64_t seed, uint64_t salt) : state_(seed * 0x9E3779B97F4A7C15ULL + salt) {}
  // Seeds scrambled first: every seed starts at an unrelated point of the
  // stream (a different seed -> sequence mapping from the constructor above).
  struct ScrambleSeed {};
  static constexpr ScrambleSeed kScrambleSeed{};
  SimRng(uint64_t seed, uint64_t salt, ScrambleSeed) : state_(Mix(seed * 0x9E3779B97F4A7C15ULL + salt)) {}
  uint64_t Next() { return Mix(state_ += 0x9E3779B97F4A7C15ULL); }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Chance(double p) { return double(Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

struct SimulationTally {
  int runs = 0;
  int failures = 0;
};

inline SimulationTally RunSimulationSeeds(
    double default_seconds, const std::function<std::string(uint64_t, bool)>& run_one) {
  const char* one = std::getenv("KEEL_SIM_SEED");
  const char* secs = std::getenv("KEEL_SIM_SECONDS");
  const char* first = std::getenv("KEEL_SIM_FIRST_SEED");
  const double budget = secs ? std::atof(secs) : default_seconds;
  uint64_t seed = first ? std::strtoull(first, nullptr, 10) : 1;
  SimulationTally tally;
  std::vector<std::string> reports;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(budget);
  do {
    const uint64_t s = one ? std::strtoull(one, nullptr, 10) : seed++;
    std::string failure = run_one(s, one != nullptr);
    tally.runs++;
    if (!failure.empty()) {
      tally.failures++;
      if (reports.size() < 10) reports.push_back(std::move(failure));
    }
  } while (!one && std::chrono::steady_clock::now() < deadline);
  for (const auto& r : reports) {
    std::cout << "FAILED " << r << " (replay: KEEL_SIM_SEED=" << r.substr(5, r.find(' ', 5) - 5)
              << ")\n";
  }
  std::cout << "power-cut seeds: " << tally.runs << " failures: " << tally.failures << std::endl;
  return tally;
}

}  // namespace keel::testing
