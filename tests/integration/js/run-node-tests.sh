#!/usr/bin/env bash
# Runs node tests with node's built-in test runner. Usage:
#   run-node-tests.sh WORK_DIR [TEST_FILE...]   (default: kafkajs_smoke.test.js)
# Copies package.json, package-lock.json and the test sources into WORK_DIR
# (a build directory), installs the pinned dependencies there with `npm ci`
# (skipped when the lock file is unchanged since the last install), then runs
# `node --test`. KEEL_BINARY must name the keel executable.
set -euo pipefail

src="$(cd "$(dirname "$0")" && pwd)"
work="${1:?usage: run-node-tests.sh WORK_DIR}"
: "${KEEL_BINARY:?KEEL_BINARY must name the keel executable}"
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src"/*.js "$src"/*.mjs "$work/"
cd "$work"
if ! cmp -s package-lock.json node_modules/.keel-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.keel-installed-lock
fi
export KAFKAJS_NO_PARTITIONER_WARNING=1
shift
if [ "$#" -eq 0 ]; then set -- kafkajs_smoke.test.js; fi
exec node --test --test-concurrency=1 "$@"
