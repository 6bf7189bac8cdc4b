// Disk-full windows for the simulations on SimFileSystem: FillDisk() leaves
// `free_bytes` of room above what live files hold now, so later writes that
// grow files fail with ResourceExhausted (ENOSPC) once it is used up (see
// SimFaults::capacity_bytes); FreeDisk() lifts the limit. Other faults of
// the SimFileSystem are kept.
//
// Thread-safety: as SimFileSystem (thread-safe).
#pragma once

#include <cstdint>

#include "testutil/sim_file_system.h"

namespace keel::testing {

inline void FillDisk(SimFileSystem& sim, uint64_t free_bytes) {
  SimFaults f = sim.faults();
  f.capacity_bytes = sim.used_bytes() + free_bytes;
  sim.SetFaults(f);
}

inline void FreeDisk(SimFileSystem& sim) {
  SimFaults f = sim.faults();
  f.capacity_bytes.reset();
  sim.SetFaults(f);
}

inline bool DiskLimited(const SimFileSystem& sim) { return sim.faults().capacity_bytes.has_value(); }

}  // namespace keel::testing
