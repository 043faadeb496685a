#!/bin/bash
# Fails (and stops them) when processes started under this `make check`
# run outlive it: every process it started inherits PU_CHECK_ID in its
# environment, daemonised servers included.
set -u
id=${1:?usage: tests/leftovers.sh PU_CHECK_ID}
self=$$
ancestors=" $self "
p=$self
while [ "$p" -gt 1 ] 2>/dev/null; do
	p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || break
	ancestors="$ancestors$p "
done
left=()
for e in /proc/[0-9]*/environ; do
	pid=${e#/proc/}; pid=${pid%/environ}
	case "$ancestors" in *" $pid "*) continue ;; esac
	if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "PU_CHECK_ID=$id"; then
		left+=("$pid")
	fi
done
if [ ${#left[@]} -eq 0 ]; then
	echo "ok   no process started by make check outlived it"
	exit 0
fi
echo "FAIL processes started by make check are still running:"
for pid in "${left[@]}"; do
	echo "     $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	kill -KILL "$pid" 2>/dev/null
done
exit 1
