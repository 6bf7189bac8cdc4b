#!/usr/bin/env bash
# Installs what is missing, builds the broker, and starts it in the foreground
# on 127.0.0.1:9092 with the embedded default config and ./data.
# Extra arguments go to keel (e.g. --config config/keel.properties).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" keel
exec build/src/app/keel "$@"
