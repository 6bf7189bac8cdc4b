#!/usr/bin/env bash
# Runs the built keel image and checks it end to end, on loopback only:
#   1. podman run --network host, broker on 127.0.0.1:$PORT (default 19092)
#      with a fresh named volume;
#   2. the image's HEALTHCHECK passes (podman healthcheck run);
#   3. kcat produces one record and consumes it back;
#   4. SIGTERM: the container exits with code 0 (clean shutdown);
#   5. a second container on the same volume still serves the record
#      (data lives in the volume), then SIGTERM again.
# Not part of scripts/test.sh (needs the image from docker/build-image.sh).
# Usage: docker/check-image.sh [IMAGE]   (default localhost/keel:latest)
# Environment: PORT (default 19092); on sandboxed hosts where `podman run`
# fails, CONTAINERS_CONF=$PWD/docker/podman-sandbox.conf (see that file).
set -euo pipefail
image="${1:-localhost/keel:latest}"
port="${PORT:-19092}"
name="keel-check-$$"
volume="keel-check-$$"
topic="image-check"

cleanup() {
  podman rm -f -v "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; podman logs "$name" 2>&1 | tail -n 20; exit 1; }

start() {
  podman run -d --name "$name" --network host -v "$volume:/var/lib/keel" \
    -e KEEL_ADVERTISED_HOST=127.0.0.1 -e KEEL_ADVERTISED_PORT="$port" \
    "$image" --set "listeners=PLAINTEXT://127.0.0.1:$port" \
    --set auto.create.topics.enable=true >/dev/null
  for _ in $(seq 60); do
    podman healthcheck run "$name" >/dev/null 2>&1 && return 0
    [ "$(podman inspect "$name" --format '{{.State.Running}}')" = true ] || fail "container exited"
    sleep 1
  done
  fail "not healthy after 60 s"
}
stop() {
  podman kill --signal SIGTERM "$name" >/dev/null
  podman wait "$name" >/dev/null
  local rc
  rc="$(podman inspect "$name" --format '{{.State.ExitCode}}')"
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
  podman logs "$name" 2>&1 | grep -q 'clean shutdown recorded' || fail "no clean shutdown in the log"
  echo "ok: SIGTERM -> exit code 0, clean shutdown recorded"
  podman rm "$name" >/dev/null
}

echo "== $image: $(podman image inspect "$image" --format '{{.Id}}' | cut -c1-12), $(podman image inspect "$image" --format '{{.Size}}') bytes, user $(podman image inspect "$image" --format '{{.Config.User}}')"
start
echo "ok: healthy on 127.0.0.1:$port"
value="hello from the keel image $(date +%s)"
printf '%s\n' "$value" | kcat -b "127.0.0.1:$port" -t "$topic" -P -k k1
got="$(kcat -b "127.0.0.1:$port" -t "$topic" -C -o beginning -c 1 -e -f '%k=%s@%o')"
[ "$got" = "k1=$value@0" ] || fail "consumed '$got'"
echo "ok: produced and consumed $got"
stop

start
got="$(kcat -b "127.0.0.1:$port" -t "$topic" -C -o beginning -c 1 -e -f '%k=%s@%o')"
[ "$got" = "k1=$value@0" ] || fail "after restart consumed '$got'"
echo "ok: after a restart on the same volume: $got"
stop
echo "PASS"
