#!/usr/bin/env bash
# Installs every Debian package Keel needs to build, test and benchmark.
# Idempotent: packages already present are skipped; apt runs non-interactively.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  libboost1.81-dev libabsl-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev
  librdkafka-dev kcat clang libclang-rt-14-dev
  prometheus
  python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard python3-xxhash
  golang-go golang-github-shopify-sarama-dev
)
# Node.js (for the kafkajs smoke test) may come from Debian or NodeSource; only
# install Debian's when no node/npm is on the PATH.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
