#!/bin/sh
# The fleet suite (make check-fleet): run.py in a private mount namespace,
# so that its /etc/hosts, /etc/resolv.conf, /etc/security and /dev/log
# die with it.  Arguments: the build directory, then scenario names
# (default: all).
exec unshare -m --propagation private env PU_FLEET_NS=1 \
	timeout 900 python3 "$(dirname "$0")/run.py" "$@"
