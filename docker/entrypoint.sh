#!/bin/sh
# Container entrypoint of the keel image.
#   no arguments, or arguments starting with "-": runs
#     keel --config $KEEL_CONFIG --set advertised.listeners=ADVERTISED \
#          --set http.listener=$KEEL_HTTP_LISTENER \
#          --ready-file $KEEL_READY_FILE [arguments...]
#   where ADVERTISED is $KEEL_ADVERTISED_LISTENERS when set (a full
#   NAME://host:port,... list), else
#   PLAINTEXT://$KEEL_ADVERTISED_HOST:$KEEL_ADVERTISED_PORT
#   (defaults localhost and 9092). So `podman run IMAGE --set num.partitions=3`
#   adds keel options, and anything else is run as a command
#   (`podman run IMAGE keel --version`).
# KEEL_HTTP_LISTENER (default 0.0.0.0:9644) is where /healthz, /readyz and
# /metrics are served. The ready file (default /tmp/keel-ready) lists the
# bound Kafka listeners once keel accepts connections, then the HTTP
# listener as HTTP://host:port; keel-healthcheck sends GET /readyz to it.
# KEEL_BINARY (default /usr/local/bin/keel) lets tests run it outside the image.
# keel is exec'd so it is PID 1 and gets the container's SIGTERM directly.
set -eu
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  advertised="${KEEL_ADVERTISED_LISTENERS:-PLAINTEXT://${KEEL_ADVERTISED_HOST:-localhost}:${KEEL_ADVERTISED_PORT:-9092}}"
  ready="${KEEL_READY_FILE:-/tmp/keel-ready}"
  rm -f "$ready"
  set -- "${KEEL_BINARY:-/usr/local/bin/keel}" \
    --config "${KEEL_CONFIG:-/etc/keel/keel.properties}" \
    --set "advertised.listeners=$advertised" \
    --set "http.listener=${KEEL_HTTP_LISTENER:-0.0.0.0:9644}" \
    --ready-file "$ready" \
    "$@"
fi
exec "$@"
