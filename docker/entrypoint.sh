#!/bin/sh
# Container entrypoint of the keel image.
#   no arguments, or arguments starting with "-": runs
#     keel --config $KEEL_CONFIG --set advertised.listeners=ADVERTISED \
#          --ready-file $KEEL_READY_FILE [arguments...]
#   where ADVERTISED is $KEEL_ADVERTISED_LISTENERS when set (a full
#   NAME://host:port,... list), else
#   PLAINTEXT://$KEEL_ADVERTISED_HOST:$KEEL_ADVERTISED_PORT
#   (defaults localhost and 9092). So `podman run IMAGE --set num.partitions=3`
#   adds keel options, and anything else is run as a command
#   (`podman run IMAGE keel --version`).
# The ready file (default /tmp/keel-ready) lists the bound listeners once
# keel accepts connections; keel-healthcheck probes the first one.
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
    --ready-file "$ready" \
    "$@"
fi
exec "$@"
