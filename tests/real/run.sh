#!/bin/sh
# The real-program suite (make check-real): run.py in a private mount
# namespace, so that every bind mount it makes dies with it.
exec unshare -m --propagation private env PU_REAL_NS=1 \
	timeout 600 python3 "$(dirname "$0")/run.py" "$@"
