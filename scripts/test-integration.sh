#!/usr/bin/env bash
# Builds keel and the integration test binaries, then runs the integration
# suite (CTest label "integration": librdkafka, raw-socket, kcat, kafka-python,
# confluent-kafka-python and kafkajs tests against the real keel binary).
#
# Usage: scripts/test-integration.sh [BUILD_DIR] [extra ctest args...]
# BUILD_DIR defaults to build-integ under the repository root.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-integ}"
shift || true
jobs="${KEEL_JOBS:-2}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
targets=(keel integration_rdkafka_metadata_test integration_rdkafka_admin_test
         integration_rdkafka_produce_consume_test integration_rdkafka_restart_test
         integration_bad_input_test)
ninja -C "$build" -j"$jobs" "${targets[@]}"
cd "$build"
exec ctest -L integration -j"$jobs" --output-on-failure "$@"
