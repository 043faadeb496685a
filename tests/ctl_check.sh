#!/bin/bash
# unifiedctl check catches a broken config, a loose secret file and an
# unreachable backend, and passes a good configuration of each backend.
set -u
B=$(realpath "${1:-build}")
CTL="$B/unifiedctl"
HERE=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/pu-check.XXXXXX); chmod 755 "$T"
pass=0; fail=0
# Every server is a background job of this script, which stops it on the
# way out, however it ends (a signal included).  Only jobs still running
# are signalled: the pid of one that already ended may be someone else's.
cleanup() {
	local p
	for p in $(jobs -pr); do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# expect STATUS "TEXT" ARGS...: exit status and one line of the report
expect() {
	local want=$1 text=$2; shift 2
	local out rc shown="$*"
	[ ${#shown} -le 200 ] || shown="${shown:0:200}... ($# arguments)"
	out=$(timeout 20 "$CTL" "$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$text" <<<"$out"; then
		pass=$((pass + 1)); echo "ok   check $shown -> $rc: $text"
	else
		fail=$((fail + 1)); echo "FAIL check $shown: rc=$rc want $want, \"$text\""
		sed 's/^/     | /' <<<"$out"
	fi
}

echo "alice plain:wonderland" >"$T/users"
/usr/bin/python3 "$HERE/contrib/pam_unified_server.py" --socket "$T/sock" \
	--users "$T/users" >/dev/null 2>&1 &
redis-server --port 0 --unixsocket "$T/r.sock" --save '' --appendonly no \
	--requirepass check-secret-123 --dir "$T" --logfile "$T/r.log" &
for _ in $(seq 100); do [ -S "$T/sock" ] && [ -S "$T/r.sock" ] && break; sleep 0.05; done
printf 'check-secret-123\n' >"$T/secret"; chmod 600 "$T/secret"
printf 'check-secret-123\n' >"$T/loose"; chmod 644 "$T/loose"
printf 'backend = "socket";\nsocket = "%s";\nprotocol = "v1";\n' "$T/sock" >"$T/good.conf"
printf 'backend = "socket";\nprotocol = v1;\n' >"$T/broken.conf"
chmod 644 "$T"/*.conf

expect 0 "OK   socket $T/sock: connected, peer uid trusted (protocol v1)" check --config "$T/good.conf"
expect 0 "OK: 0 check(s) failed" check --config "$T/good.conf" --service sshd
# issue 10, finding 12: a world-writable file @include'd by a root-owned
# config is refused, not applied
printf 'nullok = true;\n' >"$T/inc.conf"; chmod 666 "$T/inc.conf"
printf 'backend = "socket";\nsocket = "%s";\nprotocol = "v1";\n@include "%s"\n' \
	"$T/sock" "$T/inc.conf" >"$T/include.conf"; chmod 644 "$T/include.conf"
expect 1 "FAIL configuration: $T/include.conf:4: @include is not supported" \
	check --config "$T/include.conf"
# issue 10, finding 17: --config 80 times once overflowed a stack array
# (SIGSEGV); the last one counts, as with any repeated option
many=(); for _ in $(seq 80); do many+=(--config "$T/good.conf"); done
expect 0 "OK: 0 check(s) failed" check "${many[@]}"
expect 0 "OK: 0 check(s) failed" "${many[@]}" check
expect 1 "FAIL configuration: $T/broken.conf:2" check --config "$T/broken.conf"
expect 1 "FAIL configuration: argument bogus" check backend=socket socket=/x bogus=1
expect 1 "FAIL socket $T/absent.sock" check backend=socket "socket=$T/absent.sock"
expect 0 "OK   redis (credentials): connected to unix:$T/r.sock, PING answered" \
	check backend=redis "redis=unix:$T/r.sock" "redis_password_file=$T/secret"
expect 1 "must be owned by root with mode 0400 or 0600" \
	check backend=redis "redis=unix:$T/r.sock" "redis_password_file=$T/loose"
expect 1 "FAIL redis (credentials)" check backend=redis redis=tcp://127.0.0.1:1
expect 1 "FAIL redis (credentials)" check backend=redis "redis=unix:$T/r.sock"
expect 1 "run unifiedctl init" check backend=replay window=3 "key_file=$T/key" "dir=$T/store"
"$CTL" "key_file=$T/key" "dir=$T/store" init >/dev/null
expect 0 "OK   replay store $T/store: root-owned directory" \
	check backend=replay window=3 "key_file=$T/key" "dir=$T/store"
chmod 644 "$T/key"
expect 1 "FAIL secret $T/key" check backend=replay window=3 "key_file=$T/key" "dir=$T/store"
# no config= and no file at the default path: said so, not "OK" for a
# file that is not there (a private, empty /etc/security)
cat >"$T/absent" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs pu-check /etc/security && exec "\$@"' sh "$CTL" "\$@"
EOF
chmod 755 "$T/absent"
CTL_REAL=$CTL; CTL=$T/absent
expect 0 "OK   configuration: /etc/security/pam_unified.conf (default path, absent: built-in defaults)" \
	check backend=socket "socket=$T/sock" protocol=v1
CTL=$CTL_REAL
expect 0 "unifiedctl (pam_unified)" --version
for c in check user faillock sessions init history; do
	expect 0 "unifiedctl" "$c" --help
done
echo "unifiedctl check: $pass passed, $fail failed"
[ "$fail" = 0 ]
