#!/usr/bin/env bash
# Runs librdkafka's own integration test suite (the numbered tests in its
# tests/ directory, in "external broker" mode, -L) against a freshly started
# keel, one test per run of its test-runner, and prints a pass/fail table.
#
# librdkafka's source is fetched as the Debian source package of the installed
# librdkafka version through apt (a temporary deb-src list made from the
# system's own apt sources), and built in the work dir. Nothing of it is kept
# in this repository.
#
# Usage: scripts/librdkafka-suite.sh [options] [TEST ...]
#   TEST               4-digit test numbers to run (default: every test that
#                      needs a broker, i.e. not flagged local in test.c)
#   --keel PATH        broker binary (default: build/src/app/keel)
#   --work DIR         where the source is unpacked and built
#                      (default: build/librdkafka-suite)
#   --timeout SECS     per-test limit (default: 600)
#   --kafka-version V  TEST_KAFKA_VERSION given to the suite (default: 3.5.0)
#   --smoke            run the small fast subset used in CI instead
#   --set key=value    extra keel config (repeatable)
#   --no-acl           run the tests from a copy of the suite whose 0081 skips
#                      its ACL sub-tests (CreateAcls/DescribeAcls/DeleteAcls),
#                      until keel serves the ACL APIs; the table says so
# Takes about 20-35 minutes for the whole suite on 2 cores; --smoke about 2.
# Exit status: 0 when every selected test passed or was skipped by the suite
# itself, 1 otherwise. The table is also written to WORK/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

keel="$root/build/src/app/keel"
work="$root/build/librdkafka-suite"
timeout_s=600
kafka_version=3.5.0
smoke=0
no_acl=0
keel_sets=()
tests=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keel) keel=$(realpath "$2"); shift 2 ;;
    --work) work=$(realpath -m "$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --kafka-version) kafka_version=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --no-acl) no_acl=1; shift ;;
    --set) keel_sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "librdkafka-suite: unknown option $1" >&2; exit 2 ;;
    *) tests+=("$1"); shift ;;
  esac
done
# Produce, consume, groups, offsets, compression, admin, fetch limits: quick
# tests that cover the paths real librdkafka applications use.
SMOKE_TESTS=(0001 0004 0012 0017 0022 0030 0039 0082 0103)

[ -x "$keel" ] || { echo "librdkafka-suite: no broker binary at $keel (build first)" >&2; exit 2; }
mkdir -p "$work"

# 1. Source: the Debian source package matching the installed librdkafka.
version=$(dpkg-query -W -f='${Version}' librdkafka-dev 2>/dev/null | sed 's/-[^-]*$//')
[ -n "$version" ] || { echo "librdkafka-suite: librdkafka-dev is not installed (scripts/install-deps.sh)" >&2; exit 2; }
src="$work/librdkafka-$version"
if [ ! -f "$src/tests/test.c" ]; then
  apt_dir="$work/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources"
  # deb-src entries for the same archives the system installs from.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$apt_dir/sources/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$apt_dir/sources/from-sources-list.list"
  fi
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
            -o "Dir::State::Lists=$apt_dir/lists" -o APT::Sandbox::User=root)
  echo "librdkafka-suite: fetching the librdkafka $version source package"
  apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && apt-get "${apt_opts[@]}" -qq source --download-only "librdkafka=$(dpkg-query -W -f='${Version}' librdkafka-dev)")
  tar -xzf "$work/librdkafka_$version.orig.tar.gz" -C "$work"
fi

# 2. Build the library and the test runner (once).
if [ ! -x "$src/tests/test-runner" ]; then
  echo "librdkafka-suite: building librdkafka $version and its test runner in $src"
  (cd "$src" && ./configure --disable-gssapi --disable-curl >"$work/configure.log" 2>&1 &&
     make -j"$(nproc)" libs >"$work/build.log" 2>&1 &&
     make -C tests -j"$(nproc)" test-runner >>"$work/build.log" 2>&1) ||
    { echo "librdkafka-suite: build failed, see $work/*.log" >&2; tail -20 "$work/build.log" >&2; exit 2; }
fi

# 2b. --no-acl: a copy of tests/ whose 0081 does not call its ACL sub-tests.
tests_dir="$src/tests"
if [ $no_acl -eq 1 ]; then
  tests_dir="$src/tests-noacl"
  if [ ! -x "$tests_dir/test-runner" ]; then
    rm -rf "$tests_dir" && cp -r "$src/tests" "$tests_dir"
    # Only the calls (indented, first argument rk), not the definitions.
    sed -i -E 's/^([[:space:]]+)do_test_(Create|Describe|Delete)Acls\(rk,/\1if (0) do_test_\2Acls(rk,/' "$tests_dir/0081-admin.c"
    grep -q 'if (0) do_test_CreateAcls' "$tests_dir/0081-admin.c" ||
      { echo "librdkafka-suite: could not disable the ACL sub-tests of 0081" >&2; exit 2; }
    (cd "$tests_dir" && rm -f 0081-admin.o test-runner && make -j"$(nproc)" test-runner >>"$work/build.log" 2>&1) ||
      { echo "librdkafka-suite: building the no-ACL test runner failed, see $work/build.log" >&2; exit 2; }
  fi
  echo "librdkafka-suite: --no-acl: 0081 runs without its ACL sub-tests"
fi

# 3. The test list: one row per test number and scenario. The suite's
# scenarios (tests/scenarios/*.json) are cluster setups: "default"
# auto-creates topics, "noautocreate" does not (both give auto-created topics
# 4 partitions). A test runs in the scenarios its .scenario lists (default
# when none); entries that only list old-Kafka version scenarios, local tests
# (no broker) and manual ones are left out.
mapfile -t rows < <(/usr/bin/python3 - "$src/tests/test.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rows = set()
for m in re.finditer(r'_TEST\((\d{4})_\w+\s*,([^;]*?)\)\s*,\s*(?=_TEST|#|\{|NULL|\})', text, re.S):
    num, rest = m.group(1), m.group(2)
    if 'TEST_F_LOCAL' in rest or 'TEST_F_MANUAL' in rest:
        continue
    sc = re.search(r'\.scenario\s*=\s*"([^"]*)"', rest)
    for name in (sc.group(1).split(',') if sc else ['default']):
        if name in ('default', 'noautocreate'):
            rows.add((num, name))
for num, name in sorted(rows):
    print(num, name)
PY
)
if [ ${#tests[@]} -gt 0 ] || [ $smoke -eq 1 ]; then
  [ ${#tests[@]} -gt 0 ] || tests=("${SMOKE_TESTS[@]}")
  wanted=" ${tests[*]} "
  selected=()
  for r in "${rows[@]}"; do
    case "$wanted" in *" ${r%% *} "*) selected+=("$r") ;; esac
  done
  rows=("${selected[@]}")
fi
[ ${#rows[@]} -gt 0 ] || { echo "librdkafka-suite: no test selected" >&2; exit 2; }

# 4. Fresh brokers on ephemeral ports with their own data dirs, one per
# scenario, configured as the suite's scenario files configure Kafka
# (4 partitions, replication factor 3: keel records the factor asked for
# and keeps its one durable copy, see replication.factor.policy).
run_dir=$(mktemp -d "$work/run.XXXXXX")
declare -A keel_pid bootstrap_of
cleanup() {
  for s in "${!keel_pid[@]}"; do kill -TERM "${keel_pid[$s]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
start_keel() {  # scenario auto_create
  local s=$1 dir="$run_dir/$1"
  mkdir -p "$dir"
  "$keel" --set listeners=PLAINTEXT://127.0.0.1:0 --set "log.dirs=$dir/data" \
    --set http.listener= --set num.partitions=4 --set "auto.create.topics.enable=$2" \
    --set replication.factor.policy=accept --set default.replication.factor=3 \
    "${keel_sets[@]}" --ready-file "$dir/ready" >"$dir/keel.log" 2>&1 &
  keel_pid[$s]=$!
  for _ in $(seq 1 300); do
    [ -s "$dir/ready" ] && break
    kill -0 "${keel_pid[$s]}" 2>/dev/null ||
      { echo "librdkafka-suite: keel exited, see $dir/keel.log" >&2; tail "$dir/keel.log" >&2; exit 2; }
    sleep 0.1
  done
  bootstrap_of[$s]=$(sed -n 's#^PLAINTEXT://##p' "$dir/ready" | head -1)
  [ -n "${bootstrap_of[$s]}" ] || { echo "librdkafka-suite: keel did not become ready" >&2; exit 2; }
  printf 'bootstrap.servers=%s\n' "${bootstrap_of[$s]}" > "$dir/test.conf"
  echo "librdkafka-suite: keel for scenario $s at ${bootstrap_of[$s]} (data and log in $dir)"
}
start_keel default true
start_keel noautocreate false
echo "librdkafka-suite: ${#rows[@]} test runs, ${timeout_s}s each"

# 5. One test-runner per test, so a hang is one failed row, not a stalled run.
results="$work/results.txt"
: >"$results"
passed=0 failed=0 skipped=0
printf '%-6s %-12s %-8s %6s  %s\n' test scenario result secs note | tee -a "$results"
for r in "${rows[@]}"; do
  t=${r%% *} scen=${r#* }
  log="$run_dir/test-$t-$scen.log"
  start=$(date +%s)
  # Through an inner shell that reaps the runner itself: a runner killed by
  # a signal (it aborts on a failed assertion) is noted in the test's log,
  # not on this script's terminal.
  rc=0
  RDKAFKA_TEST_CONF="$run_dir/$scen/test.conf" TEST_KAFKA_VERSION="$kafka_version" TESTS="$t" \
    bash -c 'cd "$1" || exit 2; shift; timeout -k 10 "$@"; exit $?' _ "$tests_dir" "$timeout_s" \
      ./test-runner -L -E -S -s "$scen" >"$log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  note=""
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    result=TIMEOUT
  elif grep -q "SKIPPED" "$log" && ! grep -q "PASSED\|FAILED" "$log"; then
    result=SKIPPED
  elif [ $rc -eq 0 ]; then
    result=PASSED
  else
    result=FAILED
  fi
  if [ "$result" = SKIPPED ]; then
    note=$(grep -o 'SKIPPED[^"]*' "$log" | head -1 | cut -c1-70)
    skipped=$((skipped + 1))
  elif [ "$result" = PASSED ]; then
    passed=$((passed + 1))
  else
    # The line after the first "### Test ... failed at" header says why.
    note=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a -m1 -A1 '^### Test' | tail -1 | cut -c1-100)
    failed=$((failed + 1))
  fi
  printf '%-6s %-12s %-8s %6s  %s\n' "$t" "$scen" "$result" "$secs" "$note" | tee -a "$results"
done
echo "librdkafka suite against keel: $passed passed, $failed failed, $skipped skipped" | tee -a "$results"
for s in "${!keel_pid[@]}"; do
  if ! kill -0 "${keel_pid[$s]}" 2>/dev/null; then
    echo "librdkafka-suite: keel ($s) is no longer running (crash?), see $run_dir/$s/keel.log" | tee -a "$results"
    failed=$((failed + 1))
  fi
  echo "keel ($s) log lines at error or critical level: $(grep -c -E '\[(error|critical)\]' "$run_dir/$s/keel.log" || true)" | tee -a "$results"
done
[ $failed -eq 0 ]
