#!/usr/bin/env bash
# kcat smoke test against a real keel: -L (metadata), -P (produce keyed
# records, acks=all), -C -e (consume everything back) and compare exactly.
# Needs KEEL_BINARY (path of keel); KCAT defaults to `kcat` on the PATH.
set -euo pipefail

KCAT="${KCAT:-kcat}"
: "${KEEL_BINARY:?KEEL_BINARY must name the keel executable}"
work="$(mktemp -d /tmp/keel-kcat-XXXXXX)"
keel_pid=""
failed=0

cleanup() {
  if [[ -n "$keel_pid" ]] && kill -0 "$keel_pid" 2>/dev/null; then
    kill -TERM "$keel_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$keel_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$keel_pid" 2>/dev/null || true
  fi
  if [[ "$failed" != 0 ]]; then
    echo "---- keel log tail ----"; tail -c 8000 "$work/keel.log" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failed=1; }

mkdir -p "$work/data"
"$KEEL_BINARY" --ready-file "$work/ready" \
  --set listeners=PLAINTEXT://127.0.0.1:0 --set "log.dirs=$work/data" --set http.listener=127.0.0.1:0 \
  --set auto.create.topics.enable=true --set num.partitions=1 \
  </dev/null >"$work/keel.log" 2>&1 &
keel_pid=$!
for _ in $(seq 200); do
  [[ -s "$work/ready" ]] && break
  kill -0 "$keel_pid" 2>/dev/null || { failed=1; echo "keel exited before becoming ready"; exit 1; }
  sleep 0.1
done
[[ -s "$work/ready" ]] || { failed=1; echo "keel not ready within 20 s"; exit 1; }
line="$(head -n1 "$work/ready")"
bootstrap="${line#PLAINTEXT://}"
echo "keel ready at $bootstrap"

# Produce 500 keyed records (key:value per line); the topic is auto-created.
for i in $(seq 0 499); do echo "key-$i:value-$i-$((i * 7919 % 1009))"; done >"$work/in.txt"
if ! "$KCAT" -b "$bootstrap" -P -t kcat-smoke -p 0 -K: -X acks=all -X compression.codec=lz4 \
     -X message.timeout.ms=30000 <"$work/in.txt" 2>"$work/produce.err"; then
  fail "kcat -P failed: $(cat "$work/produce.err")"
fi

# Metadata: one broker at our address, the topic with one partition led by it.
if ! "$KCAT" -b "$bootstrap" -L -t kcat-smoke -m 15 >"$work/meta.txt" 2>&1; then
  fail "kcat -L failed: $(cat "$work/meta.txt")"
fi
grep -q "1 brokers:" "$work/meta.txt" || fail "kcat -L: expected 1 broker: $(cat "$work/meta.txt")"
grep -q "at $bootstrap" "$work/meta.txt" || fail "kcat -L: broker not at $bootstrap"
grep -q 'topic "kcat-smoke" with 1 partitions' "$work/meta.txt" ||
  fail "kcat -L: topic missing: $(cat "$work/meta.txt")"
grep -q "partition 0, leader" "$work/meta.txt" || fail "kcat -L: partition 0 has no leader"

# Consume everything and exit at the end of the partition.
if ! timeout 60 "$KCAT" -b "$bootstrap" -C -t kcat-smoke -p 0 -o beginning -e -q \
     -f '%k:%s\n' >"$work/out.txt" 2>"$work/consume.err"; then
  fail "kcat -C failed: $(cat "$work/consume.err")"
fi
if ! cmp -s "$work/in.txt" "$work/out.txt"; then
  fail "consumed records differ from produced ones"
  diff "$work/in.txt" "$work/out.txt" | head -20 || true
fi

# Offsets are 0..499 in order.
timeout 60 "$KCAT" -b "$bootstrap" -C -t kcat-smoke -p 0 -o beginning -e -q -f '%o\n' \
  >"$work/offsets.txt" 2>/dev/null || fail "kcat -C (offsets) failed"
seq 0 499 | cmp -s - "$work/offsets.txt" || fail "offsets are not 0..499"

kill -0 "$keel_pid" 2>/dev/null || fail "keel died during the test"
if [[ "$failed" == 0 ]]; then echo "kcat smoke: 1 passed, 0 failed"; else echo "kcat smoke: 0 passed, 1 failed"; exit 1; fi
