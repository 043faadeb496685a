#!/bin/sh
# Runs the libFuzzer targets built by tests/fuzz/fuzz.mk.
#
#   run.sh fuzz NAME...    each target for $FUZZ_SECONDS from a scratch copy
#                          of tests/fuzz/corpus/NAME ($FUZZ_PARALLEL at once);
#                          prints executions per target; exit 1 on any crash
#   run.sh replay NAME...  each target once over its committed corpus and
#                          crash inputs (the files are passed one by one, so
#                          libFuzzer only reads them); exit 1 on any crash
#   run.sh one NAME        (internal) one fuzzing run
#
# Crash inputs live in tests/fuzz/crashes/NAME and, so that every run
# replays them, in tests/fuzz/corpus/NAME too.
# Per-target libFuzzer flags: tests/fuzz/NAME.flags (one line), and a
# dictionary tests/fuzz/NAME.dict when present.  Scratch: $FUZZ_BUILD/run.
set -u
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}
src=tests/fuzz
# third-party leaks, each explained in the file
if [ -f "$src/lsan.supp" ]; then
	LSAN_OPTIONS="suppressions=$(pwd)/$src/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
fi

flags_of() {
	f=""
	[ -f "$src/$1.flags" ] && f=$(cat "$src/$1.flags")
	[ -f "$src/$1.dict" ] && f="$f -dict=$src/$1.dict"
	echo "$f"
}

# one fuzzing run of target $1; its result goes to $FUZZ_BUILD/run/$1/result
one() {
	t=$1
	w=$FUZZ_BUILD/run/$t
	rm -rf "$w"
	mkdir -p "$w/corpus" "$w/artifacts"
	# the seeds and the known crashes, copied: new units stay out of git
	for d in "$src/corpus/$t" "$src/crashes/$t"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp {} "$w/corpus/" \;
	done
	# shellcheck disable=SC2046
	"$FUZZ_BUILD/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=25 \
	    -print_final_stats=1 -artifact_prefix="$w/artifacts/" \
	    $(flags_of "$t") "$w/corpus" >"$w/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$w/log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$w/log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	units=$(find "$w/corpus" -type f | wc -l)
	found=$(find "$w/artifacts" -type f | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$found" ]; then
		res="ok"
	else
		res="CRASH(rc=$rc) ${found:-see $w/log}"
		# a committed crash input that src/ does not handle yet
		for k in "$src/crashes/$t"/*; do
			[ -n "$found" ] && [ -f "$k" ] && cmp -s "$k" "$found" &&
			    res="CRASH(rc=$rc) known: $k"
		done
	fi
	printf '%-16s %10s execs in %3ss  cov %5s  corpus %5s  %s\n' \
	    "$t" "${execs:-?}" "${secs:-?}" "${cov:-?}" "$units" "$res" \
	    | tee "$w/result"
	[ "$res" = ok ]
}

fuzz() {
	mkdir -p "$FUZZ_BUILD/run"
	echo "fuzz: ${FUZZ_SECONDS}s per target, $FUZZ_PARALLEL at a time"
	printf '%s\n' "$@" | xargs -P "$FUZZ_PARALLEL" -I{} "$0" one {} >/dev/null
	echo "== fuzz results (logs in $FUZZ_BUILD/run/NAME/log)"
	bad=0
	for t in "$@"; do
		if [ -f "$FUZZ_BUILD/run/$t/result" ]; then
			cat "$FUZZ_BUILD/run/$t/result"
		else
			echo "$t: no result"
		fi
		grep -q ' ok$' "$FUZZ_BUILD/run/$t/result" 2>/dev/null || bad=1
	done
	if [ $bad -ne 0 ]; then
		echo "fuzz: a target crashed; copy a new input to $src/crashes/NAME/ and $src/corpus/NAME/"
		exit 1
	fi
	echo "fuzz: no crash"
}

replay() {
	bad=0
	for t in "$@"; do
		w=$FUZZ_BUILD/replay/$t
		rm -rf "$w"
		mkdir -p "$w"
		files=$(find "$src/corpus/$t" "$src/crashes/$t" -maxdepth 1 \
		    -type f 2>/dev/null | sort)
		n=$(printf '%s' "$files" | grep -c .)
		if [ "$n" -eq 0 ]; then
			echo "fuzz-replay: $t: no inputs"
			bad=1
			continue
		fi
		# shellcheck disable=SC2086
		if printf '%s\n' "$files" | xargs "$FUZZ_BUILD/fuzz_$t" \
		    -timeout=10 -artifact_prefix="$w/" >"$w/log" 2>&1; then
			echo "fuzz-replay: $t: $n inputs ok"
		else
			echo "fuzz-replay: $t: FAILED (log $w/log):"
			grep -E 'Running:' "$w/log" | tail -n 1 | sed 's/^/    /'
			grep -E 'invariant failed|ERROR:|runtime error|SUMMARY|^ +#[0-9] ' \
			    "$w/log" | grep -v 'libc\|_start\|fuzzer::' | head -n 14 \
			    | sed 's/^/    /'
			bad=1
		fi
	done
	[ $bad -eq 0 ] || exit 1
}

mode=${1:-}
[ $# -gt 0 ] && shift
case $mode in
fuzz) fuzz "$@" ;;
replay) replay "$@" ;;
one) one "$1" ;;
*) echo "usage: $0 fuzz|replay NAME..." >&2; exit 2 ;;
esac
