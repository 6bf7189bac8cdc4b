#!/usr/bin/env bash
# Runs the container image's scripts outside any container, against the
# built keel binary and the shipped config/keel.properties:
#   docker/entrypoint.sh starts keel with the config, the advertised
#   listener from KEEL_ADVERTISED_HOST/PORT (checked through kcat -L when
#   kcat is installed), the HTTP listener and the ready file;
#   docker/healthcheck.sh (GET /readyz) passes while keel serves (address
#   read from the ready file's HTTP:// line), fails with no ready file,
#   when nothing listens and when keel is frozen (SIGSTOP: the kernel
#   still accepts the TCP connection, nobody answers), and SIGTERM to the
#   entrypoint's process (keel, exec'd) shuts down with exit code 0.
# Usage: container_scripts_test.sh SOURCE_DIR KEEL_BINARY [WORK_DIR]
set -euo pipefail
src="${1:?source dir}"
keel="${2:?keel binary}"
work_parent="${3:-${TMPDIR:-/tmp}}"
mkdir -p "$work_parent"
work="$(mktemp -d "$work_parent/keel-container-scripts.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -CONT "$pid"; kill -KILL "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/keel.log" ] && tail -n 20 "$work/keel.log"; exit 1; }

export KEEL_READY_FILE="$work/ready"
KEEL_BINARY="$keel" KEEL_CONFIG="$src/config/keel.properties" \
KEEL_ADVERTISED_HOST=keel-advertised.invalid KEEL_ADVERTISED_PORT=19092 \
  sh "$src/docker/entrypoint.sh" \
    --set listeners=PLAINTEXT://127.0.0.1:0 --set "log.dirs=$work/data" \
    --set http.listener=127.0.0.1:0 \
    >"$work/keel.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ -s "$work/ready" ] && break
  kill -0 "$pid" 2>/dev/null || fail "keel exited during start-up"
  sleep 0.1
done
[ -s "$work/ready" ] || fail "no ready file after 10 s"
port="$(head -n1 "$work/ready" | sed 's/.*://')"
http_port="$(grep -m1 '^HTTP://' "$work/ready" | sed 's/.*://')"
[ -n "$http_port" ] || fail "the entrypoint did not turn the HTTP listener on (no HTTP:// line in the ready file)"
echo "keel (pid $pid) listening on 127.0.0.1:$port, HTTP on 127.0.0.1:$http_port"

bash "$src/docker/healthcheck.sh" || fail "health check (address from the ready file) failed on a serving broker"
bash "$src/docker/healthcheck.sh" 127.0.0.1 "$http_port" || fail "health check (explicit address) failed on a serving broker"
echo "ok: health check passes (address from the ready file, and given)"

if command -v kcat >/dev/null; then
  meta="$(kcat -b "127.0.0.1:$port" -L -m 10 2>&1)" || fail "kcat -L: $meta"
  grep -q 'keel-advertised.invalid:19092' <<<"$meta" || { echo "$meta"; fail "advertised listener not set by the entrypoint"; }
  echo "ok: metadata advertises keel-advertised.invalid:19092"
fi

if bash "$src/docker/healthcheck.sh" 127.0.0.1 1 >/dev/null; then fail "health check passed with no listener"; fi
echo "ok: health check fails with no listener"

if KEEL_READY_FILE="$work/none" bash "$src/docker/healthcheck.sh" >/dev/null; then fail "health check passed with no ready file"; fi
echo "ok: health check fails before the ready file exists"

kill -STOP "$pid"
if bash "$src/docker/healthcheck.sh" >/dev/null; then fail "health check passed on a frozen broker"; fi
kill -CONT "$pid"
echo "ok: health check fails on a frozen broker"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "keel exited $rc on SIGTERM"
echo "ok: SIGTERM -> exit 0"
echo "PASS"
