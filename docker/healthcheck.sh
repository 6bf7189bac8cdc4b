#!/bin/bash
# Health check of a keel container, with nothing but bash and coreutils:
# sends GET /readyz to keel's HTTP listener over bash's /dev/tcp and expects
# "HTTP/1.1 200". /readyz answers 200 only once the logs are recovered, the
# consumer groups loaded and the Kafka listeners accept, and 503 while keel
# shuts down; a hung process does not answer at all (3 s timeout).
# Usage: keel-healthcheck [HOST [PORT]]
#   HOST and PORT name the HTTP listener (default port 9644). Without
#   arguments the address is the HTTP:// line of the ready file keel writes
#   once it accepts ($KEEL_READY_FILE, default /tmp/keel-ready, passed by the
#   entrypoint; 0.0.0.0/:: become loopback), or 127.0.0.1:$KEEL_HEALTHCHECK_PORT
#   when that is set. No ready file yet means not started: unhealthy.
# Exit 0 = healthy, 1 = not.
set -u
if [ $# -ge 1 ]; then
  host="$1"
  port="${2:-9644}"
elif [ -n "${KEEL_HEALTHCHECK_PORT:-}" ]; then
  host=127.0.0.1
  port="$KEEL_HEALTHCHECK_PORT"
else
  ready="${KEEL_READY_FILE:-/tmp/keel-ready}"
  listener="$(grep -m1 '^HTTP://' "$ready" 2>/dev/null)" || listener=""
  [ -n "$listener" ] || { echo "not ready: no HTTP listener in $ready"; exit 1; }
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
printf 'GET /readyz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
status=$(timeout 3 head -c 12 <&3)
exec 3<&-
if [ "$status" = "HTTP/1.1 200" ]; then
  exit 0
fi
echo "keel at $host:$port is not ready: '${status}'"
exit 1
