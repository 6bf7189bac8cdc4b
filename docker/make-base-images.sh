#!/usr/bin/env bash
# Makes the two Debian base images the Dockerfile starts FROM, locally, for a
# machine that reaches Debian's package mirror but no container registry:
#   debian:bookworm       debootstrap --variant=minbase rootfs (what the
#                         official image is: apt, dpkg, bash, coreutils, ...)
#   debian:bookworm-slim  the same rootfs with documentation, man pages,
#                         info pages and translations removed, and dpkg told
#                         never to install them again (the official -slim
#                         image is slimmed the same way)
# Both are imported with podman under their short names and their full
# docker.io/library/ names, so `FROM debian:bookworm` resolves to them with
# `podman build --pull=never`.
#
# Usage (as root): docker/make-base-images.sh
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
#              KEEP_ROOTFS=1 to keep the work directory.
# Needs: debootstrap, podman (apt-get install -y debootstrap podman).
set -euo pipefail

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SUITE=bookworm

if [ "$(id -u)" -ne 0 ]; then
  echo "make-base-images: must run as root (debootstrap chroots)" >&2
  exit 1
fi
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "make-base-images: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

work="$(mktemp -d /var/tmp/keel-base.XXXXXX)"
cleanup() {
  # debootstrap leaves proc/sys mounted if it is interrupted.
  for m in proc sys dev/pts dev; do
    for root in "$work/full" "$work/slim"; do
      mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
    done
  done
  if [ "${KEEP_ROOTFS:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

echo "make-base-images: debootstrap $SUITE (minbase) from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$work/full" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# Container tweaks, as the official images have them: the same sources as
# the official image, no daemons started by package scripts, apt caches
# emptied after each install, and no package lists baked in.
root="$work/full"
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$root/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Containers run no init system: package scripts must not start services.
exit 101
EOF
chmod 0755 "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$root/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
# Left for the container engine to provide.
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"
rm -f "$root/etc/machine-id" && : >"$root/etc/machine-id"

# The slim variant: same rootfs, no docs/man/info/locales, and dpkg excludes
# them from every later install.
cp -a "$work/full" "$work/slim"
root="$work/slim"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# Keep images small: no documentation, manuals or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
  "$root"/usr/share/lintian/* "$root"/usr/share/linda/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

import() {  # import ROOTFS NAME
  local id
  id="$(tar --numeric-owner --xattrs -C "$1" -c . |
    podman import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$2")"
  podman tag "$id" "docker.io/library/$2"
  echo "make-base-images: $2 = $(echo "${id#sha256:}" | cut -c1-12) ($(du -sh --apparent-size "$1" | cut -f1) unpacked)"
}
import "$work/full" "debian:$SUITE"
import "$work/slim" "debian:$SUITE-slim"
podman images --filter reference='*debian*'
