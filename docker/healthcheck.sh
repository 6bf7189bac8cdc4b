#!/bin/bash
# Health check of a keel container, with nothing but bash and coreutils:
# sends one ApiVersions v0 request to the broker and expects a response with
# our correlation id and error_code 0. A plain TCP connect is not enough: the
# kernel completes the handshake from the listen backlog even when the
# broker no longer serves requests.
# Usage: keel-healthcheck [HOST [PORT]]
#   Without arguments the address is the first listener in the ready file
#   that keel writes once it accepts ($KEEL_READY_FILE, default
#   /tmp/keel-ready, passed by the entrypoint; 0.0.0.0/:: become loopback),
#   or 127.0.0.1:$KEEL_HEALTHCHECK_PORT when that is set. No ready file yet
#   means not started: unhealthy.
# Exit 0 = healthy, 1 = not. Once the broker serves GET /readyz this becomes
# a request to that endpoint.
set -u
if [ $# -ge 1 ]; then
  host="$1"
  port="${2:-9092}"
elif [ -n "${KEEL_HEALTHCHECK_PORT:-}" ]; then
  host=127.0.0.1
  port="$KEEL_HEALTHCHECK_PORT"
else
  ready="${KEEL_READY_FILE:-/tmp/keel-ready}"
  listener="$(head -n1 "$ready" 2>/dev/null)" || listener=""
  [ -n "$listener" ] || { echo "not ready: no listener in $ready"; exit 1; }
  hostport="${listener#*://}"      # host:port or [v6]:port
  port="${hostport##*:}"
  host="${hostport%:*}"
  host="${host#[}"; host="${host%]}"
  case "$host" in
    "" | 0.0.0.0) host=127.0.0.1 ;;
    ::) host=::1 ;;
  esac
fi

{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { echo "no listener on $host:$port"; exit 1; }
# Request: size=21, api_key=18 (ApiVersions), api_version=0,
# correlation_id="KEEL", client_id="healthcheck" (length 11).
printf '\x00\x00\x00\x15\x00\x12\x00\x00KEEL\x00\x0bhealthcheck' >&3
# Response: size (4 bytes), correlation_id (4), error_code (2), api array...
head=$(timeout 3 head -c 10 <&3 | od -An -tx1 | tr -d ' \n')
exec 3<&-
if [ "${head:8:12}" = "4b45454c0000" ]; then
  exit 0
fi
echo "unexpected ApiVersions answer from $host:$port: '${head}'"
exit 1
