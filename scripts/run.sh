#!/usr/bin/env bash
# Installs what is missing, builds, and starts the broker in the foreground on
# 127.0.0.1:9092 with the embedded default config and ./data.
# Extra arguments go to keel (e.g. --config config/keel.properties).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/src/app/keel "$@"
