#!/bin/bash
# make demo: the module doing its job through pamtester, against the
# reference server on a private socket.  Nothing in /etc is touched:
# service files live in a temporary directory that pam_wrapper reads.
set -u
MODULE=$(realpath "${1:-build/pam_unified.so}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
WRAP=$(ls /usr/lib/*/libpam_wrapper.so 2>/dev/null | head -n1)
D=$(mktemp -d /tmp/pu-demo.XXXXXX); chmod 755 "$D"
CTL=$(realpath "$(dirname "$MODULE")/unifiedctl")
trap '[ -n "${SRV:-}" ] && kill $SRV 2>/dev/null; [ -n "${RDS:-}" ] && kill $RDS 2>/dev/null; rm -rf "$D"' EXIT

mkdir "$D/pam.d"
cat >"$D/users" <<'USERS'
alice plain:wonderland warn=5
bob   plain:builder12  disabled
USERS
for g in auth account password session; do echo "$g required pam_deny.so"; done >"$D/pam.d/other"
for g in auth account password session; do
	echo "$g required $MODULE backend=socket protocol=v1 socket=$D/sock"; done >"$D/pam.d/demo-v1"
echo "auth required $MODULE $D/sock" >"$D/pam.d/demo-redirector"
for g in auth account password session; do
	echo "$g required $MODULE backend=redis redis=unix:$D/redis.sock deny=3 unlock_time=60"; done >"$D/pam.d/demo-redis"
RP="backend=replay window=2 remember=3 key_file=$D/replay.key store=file dir=$D/replay"
cat >"$D/pam.d/demo-replay" <<SVC
auth     requisite $MODULE $RP
auth     required  $MODULE backend=redis redis=unix:$D/redis.sock
account  required  $MODULE backend=redis redis=unix:$D/redis.sock
session  required  $MODULE $RP
session  required  $MODULE backend=redis redis=unix:$D/redis.sock
password requisite $MODULE $RP
password required  $MODULE backend=redis redis=unix:$D/redis.sock use_authtok
SVC

"$PY" "$HERE/contrib/pam_unified_server.py" --socket "$D/sock" --users "$D/users" &
SRV=$!
for _ in $(seq 100); do [ -S "$D/sock" ] && break; sleep 0.05; done

step() {
	local title=$1 svc=$2 user=$3 op=$4; shift 4
	printf '\n== %s\n$ pamtester %s %s %s\n' "$title" "$svc" "$user" "$op"
	printf '%s\n' "$@" | LD_PRELOAD=$WRAP PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$D/pam.d" timeout 20 \
		pamtester "$svc" "$user" $op 2>&1 | sed 's/^/  /'
	echo "  -> exit ${PIPESTATUS[1]}"
}

echo "pam_unified demo: reference server on $D/sock (private), service files in $D/pam.d"
step "redirector wire (pam_redirector drop-in), right password" demo-redirector alice authenticate wonderland
step "redirector wire, wrong password" demo-redirector alice authenticate guess
step "v1: authenticate" demo-v1 alice authenticate wonderland
step "v1: account (server warns of expiry)" demo-v1 alice acct_mgmt
step "v1: account of a disabled user" demo-v1 bob acct_mgmt
step "v1: open and close a session" demo-v1 alice "open_session close_session"
step "v1: change the password (as root: no old password asked)" demo-v1 alice chauthtok NewSecret9 NewSecret9
step "v1: the new password works" demo-v1 alice authenticate NewSecret9
kill $SRV; wait $SRV 2>/dev/null; SRV=
step "v1: server gone -> fails closed" demo-v1 alice authenticate NewSecret9

echo
echo "---- redis backend: a private redis-server on $D/redis.sock"
redis-server --port 0 --unixsocket "$D/redis.sock" --unixsocketperm 700 \
	--save '' --appendonly no --dir "$D" --logfile "$D/redis.log" &
RDS=$!
for _ in $(seq 100); do [ -S "$D/redis.sock" ] && break; sleep 0.05; done
echo '$ echo ... | unifiedctl redis=unix:$D/redis.sock user add carol --password-stdin'
echo 'Tr0ub4dor&3' | "$CTL" "redis=unix:$D/redis.sock" user add carol --password-stdin | sed 's/^/  /'
step "redis: authenticate, account, session open+close in one handle (one connection)" \
	demo-redis carol "authenticate acct_mgmt open_session close_session" 'Tr0ub4dor&3'
step "redis: change the password" demo-redis carol chauthtok 'correct horse 9' 'correct horse 9'
step "redis: the new password works" demo-redis carol authenticate 'correct horse 9'
for i in 1 2 3; do
	step "redis: wrong password ($i of 3, deny=3)" demo-redis carol authenticate "guess$i"
done
step "redis: now locked out, even with the right password (shared by every host)" \
	demo-redis carol authenticate 'correct horse 9'
echo '$ unifiedctl faillock show carol; unifiedctl faillock reset carol'
"$CTL" "redis=unix:$D/redis.sock" faillock show carol | sed 's/^/  /'
"$CTL" "redis=unix:$D/redis.sock" faillock reset carol
step "redis: after the reset" demo-redis carol authenticate 'correct horse 9'
echo '$ unifiedctl user show carol'
"$CTL" "redis=unix:$D/redis.sock" user show carol | sed 's/^/  /'

echo
echo "---- replay backend in front of the redis backend (window=2, remember=3)"
echo '$ unifiedctl key_file=... dir=... init'
"$CTL" "key_file=$D/replay.key" "dir=$D/replay" init | sed 's/^/  /'
step "replay: login with carol's password" demo-replay carol "authenticate open_session" 'correct horse 9'
step "replay: the same password again -> refused (a replayed password)" demo-replay carol "authenticate open_session" 'correct horse 9'
step "replay: change the password (recorded in the history)" demo-replay carol chauthtok 'battery staple 7' 'battery staple 7'
step "replay: change it back to the last one -> refused (remember=3)" demo-replay carol chauthtok 'battery staple 7' 'battery staple 7'
echo '$ unifiedctl history show carol     (counts and times, never secrets)'
"$CTL" "key_file=$D/replay.key" "dir=$D/replay" history show carol | sed 's/^/  /'
