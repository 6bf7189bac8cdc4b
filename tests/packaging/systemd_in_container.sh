#!/usr/bin/env bash
# Runs config/systemd/keel.service under a real systemd (PID 1 of a
# privileged podman container made from the keel image plus Debian's
# systemd), on the host network with the broker on 127.0.0.1:$PORT:
#   - the sandbox is applied (no capabilities, no_new_privs, seccomp, a
#     read-only / with /var/lib/keel writable, private /tmp) and keel still
#     starts and serves: kcat produces and consumes one record;
#   - SIGKILL of the main process -> Restart=on-failure starts it again and
#     the record is still there;
#   - systemctl stop -> SIGTERM -> Result=success, exit status 0.
# --privileged is needed for systemd to set up the mount namespaces
# (ProtectSystem=, PrivateTmp=); without it systemd skips them silently.
# Manual check, not in CTest: needs podman, the image from
# docker/build-image.sh and kcat.
# Usage: tests/packaging/systemd_in_container.sh [IMAGE]
# Environment: PORT (default 19093); CONTAINERS_CONF as for
# docker/check-image.sh on sandboxed hosts.
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${1:-localhost/keel:latest}"
port="${PORT:-19093}"
name="keel-systemd-$$"
test_image="localhost/keel-systemd-check:$$"
ctx="$(mktemp -d)"
cleanup() {
  podman rm -f -v "$name" >/dev/null 2>&1 || true
  podman rmi -f "$test_image" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; podman exec "$name" journalctl -u keel --no-pager -o cat 2>/dev/null | tail -n 20; exit 1; }

cp config/systemd/keel.service config/systemd/keel.sysusers config/keel.properties "$ctx/"
cat >"$ctx/Containerfile" <<EOF
FROM $image
USER root
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd systemd-sysv \\
 && rm -rf /var/lib/apt/lists/*
COPY keel.service /etc/systemd/system/keel.service
COPY keel.sysusers /usr/lib/sysusers.d/keel.conf
COPY keel.properties /etc/keel/keel.properties
# The image's own keel user is replaced by the one systemd-sysusers makes,
# as on a host install (README, "Run as a service"); StateDirectory=
# chowns the existing /var/lib/keel volume to it.
RUN userdel keel && systemd-sysusers \\
 && chgrp keel /etc/keel/keel.properties && chmod 0640 /etc/keel/keel.properties \\
 && sed -i -e 's#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$port#' \\
      -e 's#^advertised.listeners=.*#advertised.listeners=PLAINTEXT://127.0.0.1:$port#' \\
      -e 's#^auto.create.topics.enable=.*#auto.create.topics.enable=true#' /etc/keel/keel.properties \\
 && systemctl enable keel
ENTRYPOINT ["/lib/systemd/systemd"]
EOF
cat >"$ctx/probe.sh" <<'EOF'
#!/bin/bash
# Runs inside the unit's sandbox (ExecStart replaced): prints what it sees.
touch /var/lib/keel/.probe && echo "datadir=writable"
touch /etc/keel/.probe 2>/dev/null && echo "etc=writable" || echo "etc=read-only"
echo "tmp-entries=$(ls -A /tmp | wc -l)"
awk '$5 == "/" { print "root-mount=" $6 }' /proc/self/mountinfo
grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\t' | tr ':' '='
EOF
podman build --format docker --pull=never --isolation=chroot -q -t "$test_image" "$ctx" >/dev/null
podman run -d --name "$name" --network host --privileged --systemd=always "$test_image" >/dev/null
S=(podman exec "$name")
for _ in $(seq 60); do
  [ "$("${S[@]}" systemctl is-active keel 2>/dev/null)" = active ] && [ -n "$(kcat -b "127.0.0.1:$port" -L -m 2 2>/dev/null | grep broker)" ] && break
  sleep 1
done
[ "$("${S[@]}" systemctl is-active keel)" = active ] || fail "keel.service not active"
echo "ok: keel.service active under systemd $("${S[@]}" systemctl --version | head -n1 | cut -d' ' -f2)"

# The sandbox as the service sees it.
podman cp "$ctx/probe.sh" "$name:/usr/local/bin/keel-probe"
"${S[@]}" sh -c 'chmod 0755 /usr/local/bin/keel-probe
  sed -e "s#^ExecStart=.*#ExecStart=/usr/local/bin/keel-probe#" -e "s#^Type=exec#Type=oneshot#" -e "/^Restart/d" \
    /etc/systemd/system/keel.service >/etc/systemd/system/keel-probe.service
  systemctl daemon-reload && systemctl start keel-probe'
probe="$("${S[@]}" journalctl -u keel-probe --no-pager -o cat | grep '=')"
echo "$probe" | sed 's/^/   /'
for want in datadir=writable etc=read-only tmp-entries=0 CapEff=0000000000000000 \
             CapBnd=0000000000000000 NoNewPrivs=1 Seccomp=2; do
  grep -qx "$want" <<<"$probe" || fail "sandbox: expected $want"
done
grep -q '^root-mount=ro' <<<"$probe" || fail "sandbox: / is not read-only"
echo "ok: sandbox applied"

value="under systemd $(date +%s)"
printf '%s\n' "$value" | kcat -b "127.0.0.1:$port" -t unit-check -P -k u1
got="$(kcat -b "127.0.0.1:$port" -t unit-check -C -o beginning -c 1 -e -f '%k=%s@%o')"
[ "$got" = "u1=$value@0" ] || fail "consumed '$got'"
echo "ok: produced and consumed $got"

pid1="$("${S[@]}" systemctl show -p MainPID --value keel)"
"${S[@]}" systemctl kill -s SIGKILL --kill-whom=main keel
for _ in $(seq 30); do
  pid2="$("${S[@]}" systemctl show -p MainPID --value keel)"
  [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ] && [ "$("${S[@]}" systemctl is-active keel)" = active ] && break
  sleep 1
done
[ "$("${S[@]}" systemctl show -p NRestarts --value keel)" -ge 1 ] || fail "no restart after SIGKILL"
for _ in $(seq 30); do
  got="$(kcat -b "127.0.0.1:$port" -t unit-check -C -o beginning -c 1 -e -f '%k=%s@%o' 2>/dev/null)" && break
  sleep 1
done
[ "$got" = "u1=$value@0" ] || fail "after restart consumed '$got'"
echo "ok: SIGKILL -> restarted (pid $pid1 -> $pid2), record still there"

"${S[@]}" systemctl stop keel
result="$("${S[@]}" systemctl show keel -p Result --value)"
status="$("${S[@]}" systemctl show keel -p ExecMainStatus --value)"
[ "$result" = success ] && [ "$status" = 0 ] || fail "stop: Result=$result ExecMainStatus=$status"
"${S[@]}" journalctl -u keel --no-pager -o cat | grep -q 'clean shutdown recorded' || fail "no clean shutdown"
echo "ok: systemctl stop -> SIGTERM -> Result=success, exit status 0"
echo "PASS"
