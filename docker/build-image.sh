#!/usr/bin/env bash
# Builds the keel image (docker/Dockerfile) and the kcat client image used by
# docker/compose.yaml, with podman, from local base images only
# (docker/make-base-images.sh makes debian:bookworm and debian:bookworm-slim).
# Not part of scripts/test.sh: the build stage compiles the broker (about
# 20 minutes on 2 cores).
#
# Usage: docker/build-image.sh [TAG]        (default localhost/keel:latest)
# Environment: BUILD_JOBS (default 2), BUILD_TYPE (default RelWithDebInfo),
#              PODMAN_BUILD_ARGS (extra podman build arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/keel:latest}"

for base in debian:bookworm debian:bookworm-slim; do
  podman image exists "$base" || {
    echo "build-image: base image $base missing; run docker/make-base-images.sh" >&2
    exit 1
  }
done

# --format docker: the OCI image format has no HEALTHCHECK.
# --pull=never: the base images are local, no registry is asked.
# --isolation=chroot: RUN steps need no OCI runtime or cgroups (sandboxes
#   where crun cannot create a container can still build).
# Word splitting of PODMAN_BUILD_ARGS is intended.
# shellcheck disable=SC2206
common=(--format docker --pull=never --isolation=chroot ${PODMAN_BUILD_ARGS:-})

start=$(date +%s)
podman build "${common[@]}" \
  --build-arg BUILD_JOBS="${BUILD_JOBS:-2}" \
  --build-arg BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -f docker/Dockerfile -t "$tag" .
podman build "${common[@]}" -f docker/kcat.Dockerfile -t localhost/keel-kcat:latest docker
end=$(date +%s)

echo "build-image: built $tag and localhost/keel-kcat:latest in $((end - start)) s"
podman images --filter reference=localhost/keel --filter reference=localhost/keel-kcat
