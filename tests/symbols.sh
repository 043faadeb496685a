#!/bin/bash
# The module exports exactly the six pam_sm_* functions (version script +
# hidden visibility), and `make install` puts it where pam_unix.so lives.
set -eu
MODULE=${1:-build/pam_unified.so}
want="pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred"
got=$(nm -D --defined-only "$MODULE" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$got" != "$want" ]; then
	echo "FAIL exported symbols: $got"; exit 1
fi
echo "ok   exports exactly: $got"

# no target but install writes outside the tree, and install only below
# DESTDIR (a recipe spliced into the wrong target once installed into /)
if make -n all man 2>/dev/null | grep -qE '(^|[;& ])install '; then
	echo "FAIL a build target runs install"; exit 1; fi
stray=$(make -n install DESTDIR=/SENTINEL | grep -E '^\s*install ' | grep -v '/SENTINEL' || true)
if [ -n "$stray" ]; then echo "FAIL install writes outside DESTDIR: $stray"; exit 1; fi
echo "ok   install writes only below DESTDIR; build targets install nothing"

root=$(mktemp -d /tmp/pu-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
make -s install DESTDIR="$root" >/dev/null
unix=$(make -s print-pamdir)
[ -f "$unix/pam_unix.so" ] || { echo "FAIL PAMDIR $unix holds no pam_unix.so"; exit 1; }
test -f "$root$unix/pam_unified.so" || { echo "FAIL not installed in $unix"; exit 1; }
test -f "$root/etc/security/pam_unified.conf" || { echo "FAIL no config installed"; exit 1; }
echo "# local edit" >>"$root/etc/security/pam_unified.conf"
make -s install DESTDIR="$root" >/dev/null
grep -q "# local edit" "$root/etc/security/pam_unified.conf" || { echo "FAIL config overwritten"; exit 1; }
echo "ok   make install: $unix/pam_unified.so, config kept on reinstall"
echo "symbols: 3 passed, 0 failed"
