#!/usr/bin/env bash
# Verifies the shipped systemd unit, config/systemd/keel.service, unchanged:
#   1. `systemd-analyze verify --root=ROOT` on a throwaway root holding the
#      unit file byte for byte, the built keel binary at the unit's
#      ExecStart path, and the host's own system units (sysinit.target ...):
#      the unit must load with no error and no warning, and its binary must
#      exist and be executable where ExecStart says.
#   2. The same verify with the binary removed must fail (so step 1 really
#      checked the ExecStart path).
#   3. `systemd-analyze security --offline` exposure at most $MAX_EXPOSURE.
#   4. The sysusers.d entry parses (systemd-sysusers --dry-run) and names the
#      unit's User=, and the unit, the example config and the ExecStart
#      agree on /etc/keel/keel.properties and /var/lib/keel.
# Usage: systemd_unit_test.sh SOURCE_DIR KEEL_BINARY [WORK_DIR]
# Exit 0 = pass, 77 = skipped (no systemd-analyze), anything else = fail.
set -euo pipefail
src="${1:?source dir}"
keel="${2:?keel binary}"
work_parent="${3:-${TMPDIR:-/tmp}}"
MAX_EXPOSURE="${MAX_EXPOSURE:-2.0}"

unit="$src/config/systemd/keel.service"
sysusers="$src/config/systemd/keel.sysusers"
props="$src/config/keel.properties"

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not installed"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$work_parent"
root="$(mktemp -d "$work_parent/keel-unit-root.XXXXXX")"
trap 'rm -rf "$root"' EXIT

# The unit's ExecStart binary (first word, without systemd's prefixes).
exec_start="$(sed -n 's/^ExecStart=[-@:+!]*//p' "$unit" | head -n1)"
exec_path="${exec_start%% *}"
[ -n "$exec_path" ] || fail "no ExecStart= in $unit"
case "$exec_path" in /*) ;; *) fail "ExecStart path is not absolute: $exec_path" ;; esac

mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root$(dirname "$exec_path")"
cp "$unit" "$root/etc/systemd/system/keel.service"
cmp -s "$unit" "$root/etc/systemd/system/keel.service" || fail "copy of the unit differs"
ln "$keel" "$root$exec_path" 2>/dev/null || cp "$keel" "$root$exec_path"
host_units=/usr/lib/systemd/system
[ -d "$host_units" ] || host_units=/lib/systemd/system
cp -r "$host_units" "$root/usr/lib/systemd/system"

echo "== systemd-analyze verify --man=no --root=ROOT keel.service"
if ! out="$(systemd-analyze verify --man=no --root="$root" keel.service 2>&1)"; then
  echo "$out"; fail "systemd-analyze verify failed"
fi
if [ -n "$out" ]; then
  echo "$out"; fail "systemd-analyze verify printed warnings"
fi
echo "ok: no error, no warning"

echo "== the same verify without $exec_path must fail"
rm -f "$root$exec_path"
if out="$(systemd-analyze verify --man=no --root="$root" keel.service 2>&1)"; then
  echo "$out"; fail "verify passed with the ExecStart binary missing"
fi
echo "$out" | grep -q "$exec_path" || { echo "$out"; fail "verify did not name $exec_path"; }
echo "ok: $(echo "$out" | grep "$exec_path" | head -n1)"

echo "== systemd-analyze security --offline=true"
sec="$(systemd-analyze security --offline=true --root="$root" keel.service 2>&1 || true)"
level="$(echo "$sec" | sed -n 's/.*Overall exposure level for keel.service: \([0-9.]*\).*/\1/p')"
[ -n "$level" ] || { echo "$sec"; fail "no exposure level"; }
awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }' ||
  { echo "$sec" | grep '✗'; fail "exposure $level > $MAX_EXPOSURE"; }
echo "ok: exposure level $level (at most $MAX_EXPOSURE)"

echo "== sysusers.d entry and paths"
unit_user="$(sed -n 's/^User=//p' "$unit")"
[ "$(awk '$1 == "u" { print $2 }' "$sysusers")" = "$unit_user" ] ||
  fail "sysusers.d user is not the unit's User=$unit_user"
if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$root/sysusers/etc"
  out="$(systemd-sysusers --dry-run --root="$root/sysusers" "$sysusers" 2>&1)" ||
    { echo "$out"; fail "systemd-sysusers rejected $sysusers"; }
  echo "$out" | grep -q "$unit_user" || { echo "$out"; fail "systemd-sysusers would not create $unit_user"; }
  echo "ok: $(echo "$out" | grep "$unit_user" | head -n1)"
fi
grep -q -- "--config /etc/keel/keel.properties" <<<"$exec_start" || fail "ExecStart does not read /etc/keel/keel.properties"
grep -qx 'log.dirs=/var/lib/keel' "$props" || fail "config/keel.properties: log.dirs is not /var/lib/keel"
grep -qx 'ReadWritePaths=/var/lib/keel' "$unit" || fail "unit does not make /var/lib/keel writable"
grep -qx 'StateDirectory=keel' "$unit" || fail "unit has no StateDirectory=keel"
echo "ok: ExecStart, ReadWritePaths, StateDirectory and log.dirs agree"
echo "PASS"
