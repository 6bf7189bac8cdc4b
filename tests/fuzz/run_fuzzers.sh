#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build directory and runs
# each for N seconds (default 20) on a copy of its seed corpus.
#   tests/fuzz/run_fuzzers.sh [seconds]
# Environment: BUILD_DIR (default <repo>/build-fuzz), JOBS (default 2).
set -euo pipefail
seconds="${1:-20}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-fuzz}"
jobs="${JOBS:-2}"
targets=(request_decode_fuzz record_batch_fuzz compression_fuzz internal_record_fuzz)

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEEL_FUZZ=ON -DKEEL_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j"$jobs" "${targets[@]}" make_fuzz_seeds

status=0
for t in "${targets[@]}"; do
  work="$build/fuzz-work/$t"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "$repo/tests/fuzz/corpus/$t" ]; then cp "$repo/tests/fuzz/corpus/$t/"* "$work/corpus/" 2>/dev/null || true; fi
  if [ "$t" = request_decode_fuzz ]; then "$build/tests/fuzz/make_fuzz_seeds" "$work/corpus"; fi
  echo "== $t for ${seconds}s"
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" 2>"$work/log.txt"; then
    echo "!! $t failed; artifacts in $work/artifacts, log in $work/log.txt"
    tail -40 "$work/log.txt"
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$work/log.txt" || true
  fi
done
exit "$status"
