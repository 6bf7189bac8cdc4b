#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test suite:
# unit, storage crash, integration (real clients against the real binary),
# and a bounded fuzzing pass. Exit code is non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -f tests/integration/js/package.json ]; then
  (cd tests/integration/js && npm ci --no-audit --no-fund --loglevel=error)
fi
scripts/build.sh
status=0
(cd build && ctest --output-on-failure -j2 --timeout 900) || status=1
# The reliability figures table (CTest test reliability.figures).
if [ -f build/tests/reliability/figures/table.txt ]; then cat build/tests/reliability/figures/table.txt; fi
if [ -x tests/fuzz/run_fuzzers.sh ]; then
  tests/fuzz/run_fuzzers.sh "${KEEL_FUZZ_SECONDS:-20}" || status=1
fi
exit $status
