#!/bin/bash
# Runs bench/replay_cost against a private redis-server; prints p50/p99.
set -eu
B=${1:-build}
D=$(mktemp -d /tmp/pu-bench.XXXXXX)
trap 'redis-cli -s "$D/r.sock" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
mkdir -p "$D/pam.d" "$D/store"; chmod 700 "$D/store"
echo "0123456789abcdef0123456789abcdef0123456789abcdef" >"$D/key"; chmod 600 "$D/key"
redis-server --port 0 --unixsocket "$D/r.sock" --save '' --appendonly no \
	--daemonize yes --dir "$D" --logfile "$D/redis.log"
for _ in $(seq 100); do [ -S "$D/r.sock" ] && break; sleep 0.05; done
"$B/bench/replay_cost" "$D" "$D/r.sock" "$(realpath "$B/pam_unified.so")"
