#!/bin/bash
# The Debian package must work, not just build: lintian accepts it, it holds
# what it should, and the module extracted from it authenticates a user
# through pamtester (pam_wrapper) against the server extracted from it.
set -u
DEB=${1:?usage: tests/deb.sh PACKAGE.deb}
MA=$(gcc -print-multiarch)
WRAP=$(ls /usr/lib/*/libpam_wrapper.so | head -n1)
T=$(mktemp -d /tmp/pu-deb.XXXXXX); chmod 755 "$T"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
cleanup() {
	local p  # only jobs still running: an ended one's pid may be reused
	for p in $(jobs -pr); do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # so that EXIT stops the server

if out=$(lintian --fail-on error "$DEB" 2>&1); then ok "lintian: no errors"
else bad "lintian:"; echo "$out" | grep -v 'root privileges'; fi

contents=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for f in ./lib/$MA/security/pam_unified.so ./usr/sbin/unifiedctl \
	./usr/sbin/pam-unified-server ./etc/security/pam_unified.conf \
	./usr/share/pam-configs/unified ./lib/systemd/system/pam-unified-server.service \
	./usr/share/man/man8/pam_unified.8.gz ./usr/share/man/man5/pam_unified.conf.5.gz \
	./usr/share/man/man8/unifiedctl.8.gz ./usr/share/doc/libpam-unified/copyright; do
	grep -qxF "$f" <<<"$contents" && ok "contains $f" || bad "missing $f"
done
dpkg-deb -e "$DEB" "$T/ctrl"
grep -qx /etc/security/pam_unified.conf "$T/ctrl/conffiles" &&
	ok "pam_unified.conf is a conffile" || bad "pam_unified.conf not a conffile"
grep -q 'pam-auth-update --package' "$T/ctrl/postinst" &&
	ok "postinst registers the pam-auth-update profile" || bad "postinst"
if grep -q 'deb-systemd-invoke start' "$T/ctrl/postinst"; then bad "postinst starts the server"
else ok "the server unit is neither enabled nor started"; fi

dpkg-deb -x "$DEB" "$T/root"
grep -q '^Default: no' "$T/root/usr/share/pam-configs/unified" &&
	ok "pam-configs profile is off by default" || bad "profile default"
MOD="$T/root/lib/$MA/security/pam_unified.so"
[ "$("$T/root/usr/sbin/unifiedctl" --version)" != "" ] && ok "extracted unifiedctl runs" ||
	bad "extracted unifiedctl"

# the extracted server and module, end to end
mkdir "$T/pam.d"
echo "alice plain:wonderland" >"$T/users"
for g in auth account password session; do echo "$g required pam_deny.so"; done >"$T/pam.d/other"
for g in auth account password session; do
	echo "$g required $MOD backend=socket protocol=v1 socket=$T/sock"; done >"$T/pam.d/deb"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" "$T/root/usr/sbin/pam-unified-server" --socket "$T/sock" --users "$T/users" \
	>"$T/server.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.05; done
pt() { echo "$3" | LD_PRELOAD=$WRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	timeout 20 pamtester deb "$1" $2 2>&1; }
out=$(pt alice "authenticate acct_mgmt open_session close_session" wonderland)
grep -q "session has successfully been closed" <<<"$out" &&
	ok "extracted module: alice authenticates, account, session" || { bad "extracted module"; echo "$out"; }
out=$(pt alice authenticate wrong)
grep -q "Authentication failure" <<<"$out" &&
	ok "extracted module: a wrong password fails" || { bad "wrong password"; echo "$out"; }
echo "deb: $pass passed, $fail failed"
[ "$fail" = 0 ]
