#!/usr/bin/env bash
# Burrow (Debian's `burrow` 1.2.1) pointed at a real keel reports consumer
# group lag correctly. Burrow needs ZooKeeper for itself (Debian's
# `zookeeper`), so this runs only where both are installed (exit 77 = skip
# otherwise; they are not in scripts/install-deps.sh because ZooKeeper pulls
# in a Java runtime).
#   burrow_check.sh KEEL KEEL_ADMIN WORK_DIR
# A group commits 4 of 10 records on partition 0 of a 2-partition topic and
# nothing of the 6 on partition 1: Burrow must report current_lag 6 on
# partition 0 and a total lag of 6.
set -euo pipefail
keel="$1" admin="$2" work="$3/burrow"
burrow="$(command -v Burrow || true)"
zk=/usr/share/zookeeper/bin/zkServer.sh
if [ -z "$burrow" ] || [ ! -x "$zk" ]; then
  echo "SKIP: needs Burrow and ZooKeeper (apt-get install burrow zookeeper)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work/zk" "$work/burrow" "$work/data"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
zk_port=$(free_port) http_port=$(free_port)

printf 'tickTime=2000\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n' \
  "$work/zk" "$zk_port" > "$work/zoo.cfg"
ZOO_LOG_DIR="$work" "$zk" start-foreground "$work/zoo.cfg" > "$work/zk.log" 2>&1 &
pids+=($!)
"$keel" --set listeners=PLAINTEXT://127.0.0.1:0 --set "log.dirs=$work/data" \
  --set http.listener= --ready-file "$work/ready" > "$work/keel.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/ready" ] && break; sleep 0.1; done
bootstrap="$(head -1 "$work/ready" | sed 's#^PLAINTEXT://##')"
[ -n "$bootstrap" ] || { echo "keel did not start"; cat "$work/keel.log"; exit 1; }

a() { "$admin" --bootstrap-server "$bootstrap" "$@"; }
a topics create lagtopic --partitions 2 > /dev/null
seq 1 10 | a produce lagtopic --partition 0 > /dev/null
seq 1 6 | a produce lagtopic --partition 1 > /dev/null
a consume lagtopic --partition 0 --from-beginning --max-messages 4 --group lagging > /dev/null

cat > "$work/burrow/burrow.toml" <<TOML
[general]
pidfile="$work/burrow.pid"
[logging]
level="info"
[zookeeper]
servers=[ "127.0.0.1:$zk_port" ]
root-path="/burrow"
[client-profile.keel]
client-id="burrow"
kafka-version="2.0.0"
[cluster.keel]
class-name="kafka"
servers=[ "$bootstrap" ]
client-profile="keel"
topic-refresh=2
offset-refresh=2
[consumer.keel]
class-name="kafka"
cluster="keel"
servers=[ "$bootstrap" ]
client-profile="keel"
[httpserver.default]
address="127.0.0.1:$http_port"
[storage.default]
class-name="inmemory"
intervals=10
min-distance=1
TOML
# Burrow gives up at once if ZooKeeper cannot open a session. ZooKeeper (a
# JVM, seconds to start on a busy machine) accepts TCP connections before it
# serves sessions and closes them until then, so wait until its `srvr`
# command reports a mode, not just for the port.
zk_ready=
for _ in $(seq 600); do
  if python3 - "$zk_port" 2>/dev/null <<'PY'
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1) as c:
    c.settimeout(2)
    c.sendall(b"srvr")
    reply = b""
    while chunk := c.recv(4096):
        reply += chunk
sys.exit(0 if b"Mode:" in reply else 1)
PY
  then zk_ready=1; break; fi
  sleep 0.1
done
[ -n "$zk_ready" ] || { echo "ZooKeeper did not start serving"; tail -20 "$work/zk.log"; exit 1; }
# Burrow exits when its ZooKeeper session fails; start it again (a few times)
# if that happens while we wait for its answer.
burrow_pid=
burrow_starts=0
start_burrow() {
  burrow_starts=$((burrow_starts + 1))
  "$burrow" -config-dir "$work/burrow" >> "$work/burrow.out" 2>&1 &
  burrow_pid=$!
  pids+=("$burrow_pid")
}
start_burrow

url="http://127.0.0.1:$http_port/v3/kafka/keel/consumer/lagging/lag"
for _ in $(seq 60); do
  if ! kill -0 "$burrow_pid" 2>/dev/null && [ "$burrow_starts" -lt 4 ]; then
    echo "Burrow exited; starting it again"
    start_burrow
  fi
  body="$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$url" 2>/dev/null || true)"
  if python3 - "$body" <<'PY'
import json, sys
try:
    s = json.loads(sys.argv[1])["status"]
except Exception:
    sys.exit(1)
p0 = [p for p in s.get("partitions") or [] if p["partition"] == 0]
sys.exit(0 if s.get("totallag") == 6 and p0 and p0[0]["current_lag"] == 6 else 1)
PY
  then
    echo "Burrow reports the lag: $body"
    exit 0
  fi
  sleep 1
done
echo "Burrow did not report total lag 6; last answer: $body"
tail -20 "$work/burrow.out"; tail -20 "$work/keel.log"
exit 1
