#!/bin/bash
# pamtester (a real PAM application) through pam_wrapper against the
# reference server on a private socket.  Each case asserts pamtester's
# exit status and the exact PAM error text it prints (pam_strerror of
# the code the stack returned).
set -u
MODULE=$(realpath "${1:-build/pam_unified.so}")
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
WRAP=$(ls /usr/lib/*/libpam_wrapper.so 2>/dev/null | head -n1)
T=$(mktemp -d /tmp/pu-pamtester.XXXXXX)
chmod 755 "$T"
pass=0; fail=0

cleanup() {
	local p  # only jobs still running: an ended one's pid may be reused
	for p in $(jobs -pr); do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # so that EXIT stops the server

mkdir "$T/pam.d"
cat >"$T/users" <<'USERS'
alice plain:wonderland
bob plain:builder12 disabled
carol plain:carolpass expired
dave plain:davepass must_change
USERS
for s in auth account password session; do echo "$s required pam_deny.so"; done >"$T/pam.d/other"
line() { for s in auth account password session; do echo "$s required $MODULE $*"; done; }
line "$T/ref.sock" >"$T/pam.d/pt-redir"
line "backend=socket protocol=v1 socket=$T/ref.sock" >"$T/pam.d/pt-v1"
line "backend=socket protocol=v1 socket=$T/absent.sock" >"$T/pam.d/pt-down"
line "backend=socket socket=$T/ref.sock no_such_option" >"$T/pam.d/pt-badopt"
# passes only when the module line returned PAM_IGNORE
for s in account session; do
	echo "$s [ignore=1 default=die] $MODULE $T/ref.sock"
	echo "$s required pam_deny.so"; echo "$s required pam_permit.so"
done >"$T/pam.d/pt-redir-ignore"

"$PY" "$HERE/contrib/pam_unified_server.py" --socket "$T/ref.sock" \
	--users "$T/users" >"$T/server.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/ref.sock" ] && break; sleep 0.05; done

# expect STATUS "TEXT" SERVICE USER OP [input lines...]
expect() {
	local want=$1 text=$2 svc=$3 user=$4 op=$5; shift 5
	local out rc
	out=$(printf '%s\n' "$@" | LD_PRELOAD=$WRAP PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" timeout 20 \
		pamtester -v "$svc" "$user" "$op" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$text" <<<"$out"; then
		pass=$((pass + 1)); echo "ok   $svc $user $op -> $text"
	else
		fail=$((fail + 1)); echo "FAIL $svc $user $op: rc=$rc want $want, \"$text\""
		sed 's/^/     | /' <<<"$out"
	fi
}

expect 0 "successfully authenticated" pt-redir alice authenticate wonderland
expect 1 "Authentication failure" pt-redir alice authenticate nope
expect 0 "successfully authenticated" pt-v1 alice authenticate wonderland
expect 1 "Authentication failure" pt-v1 alice authenticate nope
expect 1 "User not known to the underlying authentication module" pt-v1 nobody-here authenticate x
expect 0 "account management done" pt-v1 alice acct_mgmt
expect 1 "Permission denied" pt-v1 bob acct_mgmt
expect 1 "User account has expired" pt-v1 carol acct_mgmt
expect 1 "Authentication token is no longer valid; new one required" pt-v1 dave acct_mgmt
expect 0 "successfully opened a session" pt-v1 alice open_session
expect 0 "session has successfully been closed" pt-v1 alice close_session
expect 0 "authentication token altered successfully" pt-v1 alice chauthtok newpass123 newpass123
expect 0 "successfully authenticated" pt-v1 alice authenticate newpass123
expect 1 "Authentication token manipulation error" pt-v1 alice chauthtok short short
expect 1 "Authentication service cannot retrieve authentication info" pt-down alice authenticate x
expect 1 "Cannot make/remove an entry for the specified session" pt-down alice open_session
expect 1 "Authentication token manipulation error" pt-down alice chauthtok a a
# redirector stubs: acct_mgmt/sessions PAM_IGNORE, chauthtok PAM_SERVICE_ERR
expect 0 "account management done" pt-redir-ignore alice acct_mgmt
expect 0 "successfully opened a session" pt-redir-ignore alice open_session
expect 1 "Permission denied" pt-redir alice acct_mgmt
expect 1 "Error in service module" pt-redir alice chauthtok a a
expect 1 "Error in service module" pt-badopt alice authenticate wonderland

echo "pamtester: $pass passed, $fail failed"
[ "$fail" = 0 ]
