#!/usr/bin/env bash
# Builds and runs the sarama end-to-end test. Usage:
#   run-sarama-test.sh WORK_DIR
# Builds tests/integration/go/sarama_e2e with Debian's Go and Debian's sarama
# (golang-go, golang-github-shopify-sarama-dev: see scripts/install-deps.sh)
# in GOPATH mode, offline (GOPROXY=off), into WORK_DIR (a build directory,
# which also holds the Go build cache), then runs it. KEEL_BINARY must name
# the keel executable. A missing `go` or sarama is a failure, not a skip.
set -euo pipefail

src="$(cd "$(dirname "$0")" && pwd)/sarama_e2e"
work="${1:?usage: run-sarama-test.sh WORK_DIR}"
: "${KEEL_BINARY:?KEEL_BINARY must name the keel executable}"
mkdir -p "$work"
cd "$src"
env GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS= \
    GOCACHE="$work/gocache" \
    go build -o "$work/sarama_e2e" .
exec "$work/sarama_e2e"
