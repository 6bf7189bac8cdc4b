#!/usr/bin/env bash
# Prints Keel's reliability figures as one table: power-cut simulation seeds
# and failures, kill -9 iterations and acknowledged records lost, fuzz
# executions and crashes, connections held and peak RSS under hostile clients,
# soak records verified.
#
#   scripts/reliability-figures.sh            short settings (what CI runs, < 3 min)
#   scripts/reliability-figures.sh --long     kill -9 x100, 600 s soak, 300 s per fuzzer
# Options:
#   --build-dir DIR   configured build tree (default <repo>/build); the keel and
#                     reliability_* targets are built there first if needed
#   --collect DIR     do not run the kill -9 / hostile / soak tests: read the
#                     figure lines they wrote to DIR (CTest runs them first; see
#                     tests/reliability/CMakeLists.txt)
#   --no-fuzz         skip the fuzz pass (it needs clang; see tests/fuzz/)
# Environment: KEEL_KILL9_ITERATIONS, KEEL_SOAK_SECONDS, KEEL_FUZZ_SECONDS
# override the chosen settings; FUZZ_BUILD_DIR (default <repo>/build-fuzz).
# Exit status: non-zero if a test failed, a record was lost or duplicated, a
# fuzzer crashed, a simulated power cut failed, or a figure is missing.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build"
collect=""
long=0
fuzz=1
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=1 ;;
    --build-dir) build="$2"; shift ;;
    --collect) collect="$2"; shift ;;
    --no-fuzz) fuzz=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$long" = 1 ]; then
  : "${KEEL_KILL9_ITERATIONS:=100}" "${KEEL_SOAK_SECONDS:=600}" "${KEEL_FUZZ_SECONDS:=300}"
  mode=long
else
  : "${KEEL_KILL9_ITERATIONS:=8}" "${KEEL_SOAK_SECONDS:=45}" "${KEEL_FUZZ_SECONDS:=5}"
  mode=short
fi
export KEEL_KILL9_ITERATIONS KEEL_SOAK_SECONDS

work="$(mktemp -d /tmp/keel-figures.XXXXXX)"
trap 'rm -rf "$work"' EXIT
status=0
note() { echo "reliability-figures: $*" >&2; }

# ---------------------------------------------------------------- process tests
if [ -n "$collect" ]; then
  figures="$collect"
else
  figures="$work/figures"
  mkdir -p "$figures"
  if [ ! -f "$build/build.ninja" ]; then
    note "no configured build tree at $build (run scripts/build.sh or pass --build-dir)"
    exit 2
  fi
  ninja -C "$build" keel reliability_kill9_test reliability_hostile_clients_test \
    reliability_soak_test >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 2; }
  keel_bin="$(find "$build/src" -maxdepth 3 -type f -name keel -perm -u+x | head -1)"
  for t in kill9_test hostile_clients_test soak_test; do
    note "running $t ($mode)"
    if ! KEEL_BINARY="$keel_bin" KEEL_FIGURES_DIR="$figures" \
         "$build/tests/reliability/reliability_$t" >"$work/$t.log" 2>&1; then
      note "$t FAILED; last lines of its output:"
      tail -40 "$work/$t.log" >&2
      status=1
    fi
  done
fi

# Last figure line matching $2 in figure file $1 (empty if none).
figure() { [ -f "$figures/$1.txt" ] && grep -E "$2" "$figures/$1.txt" | tail -1; }
field() { sed -nE "s/.*$2: ([0-9-]+).*/\1/p" <<<"$1"; }

kill9="$(figure kill9 '^kill9 iterations:')"
hostile="$(figure hostile '^connections held:')"
soak="$(figure soak '^soak records verified:')"
for f in kill9 hostile soak; do
  [ -n "${!f}" ] || { note "no $f figure line"; status=1; }
done

# ---------------------------------------------------------------- power-cut simulation
# The simulation tests (executables log_simulation_test,
# partition_manager_simulation_test and coordinator_simulation_test, CTest
# tests of the same names) each print `power-cut seeds: N failures: M`; the
# row sums them. They are run directly: a ctest started inside a ctest run
# would overwrite the outer run's logs.
sim_seeds="n/a"; sim_failures="n/a"
: >"$work/sim.log"
sim_found=0
for sim_name in log_simulation_test partition_manager_simulation_test coordinator_simulation_test; do
  sim_bin="$(find "$build/tests" -type f -name "$sim_name" -perm -u+x 2>/dev/null | head -1)"
  if [ -z "$sim_bin" ]; then
    note "no $sim_name executable under $build/tests: its power-cut figures are missing"
    continue
  fi
  sim_found=1
  note "running the power-cut simulation ($sim_bin)"
  if ! "$sim_bin" >"$work/sim-$sim_name.log" 2>&1; then
    note "$sim_name FAILED"; tail -30 "$work/sim-$sim_name.log" >&2; status=1
  fi
  if ! grep -qE 'power-cut seeds: [0-9]+ failures: [0-9]+' "$work/sim-$sim_name.log"; then
    note "$sim_name printed no 'power-cut seeds:' line"; status=1
  fi
  cat "$work/sim-$sim_name.log" >>"$work/sim.log"
done
if [ "$sim_found" = 1 ]; then
  lines="$(grep -E 'power-cut seeds: [0-9]+ failures: [0-9]+' "$work/sim.log")"
  if [ -n "$lines" ]; then
    sim_seeds="$(sed -nE 's/.*power-cut seeds: ([0-9]+).*/\1/p' <<<"$lines" | awk '{s+=$1} END {print s+0}')"
    sim_failures="$(sed -nE 's/.*failures: ([0-9]+).*/\1/p' <<<"$lines" | awk '{s+=$1} END {print s+0}')"
    [ "$sim_failures" = 0 ] || status=1
  fi
else
  note "no simulation executables under $build/tests: power-cut figures n/a"
fi

# ---------------------------------------------------------------- fuzz pass
fuzz_execs="n/a"; fuzz_crashes="n/a"
if [ "$fuzz" = 1 ] && command -v clang++ >/dev/null && [ -x "$repo/tests/fuzz/run_fuzzers.sh" ]; then
  note "fuzzing ${KEEL_FUZZ_SECONDS}s per target"
  fuzz_status=0
  # ccache for the clang tree too (CMake takes the launcher from the
  # environment when it configures a new tree).
  if command -v ccache >/dev/null; then
    export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  fi
  BUILD_DIR="${FUZZ_BUILD_DIR:-$repo/build-fuzz}" \
    "$repo/tests/fuzz/run_fuzzers.sh" "$KEEL_FUZZ_SECONDS" >"$work/fuzz.log" 2>&1 || fuzz_status=$?
  fuzz_execs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$work/fuzz.log" \
                | awk '{s+=$1} END {print s+0}')"
  fuzz_crashes="$(grep -c '^!! .* failed' "$work/fuzz.log")"
  [ -n "$fuzz_execs" ] || fuzz_execs=0
  if [ "$fuzz_status" != 0 ]; then
    status=1
    if [ "$fuzz_crashes" = 0 ]; then note "fuzz pass failed to run:"; tail -20 "$work/fuzz.log" >&2; fi
  fi
elif [ "$fuzz" = 1 ]; then
  note "clang++ not found: fuzz figures n/a"
fi

# ---------------------------------------------------------------- table
k_iter="$(field "$kill9" 'kill9 iterations')"; k_acked="$(field "$kill9" 'acked')"
k_lost="$(field "$kill9" 'lost')"; k_dup="$(field "$kill9" 'duplicated')"
h_conn="$(field "$hostile" 'connections held')"; h_rss="$(field "$hostile" 'peak rss')"
s_ver="$(field "$soak" 'soak records verified')"
s_fds="$(sed -nE 's/.*fds start\/end: ([0-9-]+\/[0-9-]+).*/\1/p' <<<"$soak")"
s_rss="$(sed -nE 's/.*rss start\/end: ([0-9-]+\/[0-9-]+).*/\1/p' <<<"$soak")"
{ [ "${k_lost:-x}" = 0 ] && [ "${k_dup:-x}" = 0 ]; } || status=1

table() {
printf '\nKeel reliability figures (%s settings)\n' "$mode"
printf '| %-48s | %-28s |\n' "figure" "value"
printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..50})" "$(printf -- '-%.0s' {1..30})"
row() { printf '| %-48s | %-28s |\n' "$1" "${2:-missing}"; }
row "power-cut seeds run / failures" "$sim_seeds / $sim_failures"
row "kill -9 iterations" "$k_iter"
row "kill -9 acknowledged records" "$k_acked"
row "kill -9 acknowledged records lost (expected 0)" "$k_lost"
row "kill -9 records duplicated (expected 0)" "$k_dup"
row "fuzz executions / crashes" "$fuzz_execs / $fuzz_crashes"
row "connections held at once (hostile clients)" "$h_conn"
row "peak RSS under hostile clients (KiB)" "$h_rss"
row "soak records verified" "$s_ver"
row "soak broker fds start/end" "$s_fds"
row "soak broker RSS start/end (KiB)" "$s_rss"
printf '\nresult: %s\n' "$([ "$status" = 0 ] && echo PASS || echo FAIL)"
}
# Also kept as <figures dir>/table.txt (CTest shows a passing test's output
# only in its log; scripts/test.sh prints this file).
table | tee "$figures/table.txt"
exit "$status"
