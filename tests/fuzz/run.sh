#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - build tests/fuzz/fuzz_ops (make fuzz) where clang has libFuzzer,
# run it over the seed corpus, then let it fuzz for FUZZ_SECONDS (10 by
# default, 60 when CI=true) from two threads per input; any broken
# pattern, failed ks_check or crash fails the test with the input saved.
# Its last status line (executions, coverage) goes to the log.
# Run from the top build directory (make check does).
set -u
srcdir=${srcdir:-.}
command -v clang >/dev/null || { echo "SKIP: clang is not installed"; exit 77; }
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/p.c"
clang -fsanitize=fuzzer -o "$probe/p" "$probe/p.c" 2>/dev/null ||
	{ echo "SKIP: clang has no libFuzzer (-fsanitize=fuzzer)"; exit 77; }
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s fuzz >"$probe/build.log" 2>&1 ||
	{ cat "$probe/build.log"; echo "FAIL: make fuzz failed"; exit 1; }

if [[ ${CI:-} == true ]]; then secs=${FUZZ_SECONDS:-60}; else secs=${FUZZ_SECONDS:-10}; fi
mkdir -p "$probe/corpus" "$probe/crash"
# new inputs go to the scratch corpus; the seeds are read only; verbose
# makes a failed ks_check name the layer whose invariants broke
KSLAB_OPTIONS=${KSLAB_OPTIONS:+$KSLAB_OPTIONS,}verbose ./tests/fuzz/fuzz_ops -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 \
	-max_len=8192 -print_final_stats=1 -artifact_prefix="$probe/crash/" \
	"$probe/corpus" "$srcdir/tests/fuzz/corpus" >"$probe/fuzz.log" 2>&1
rc=$?
grep -E "^#[0-9]+[[:space:]].*(DONE|pulse|NEW)" "$probe/fuzz.log" | tail -1
grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$probe/fuzz.log"
if ((rc != 0)); then
	tail -40 "$probe/fuzz.log"
	for f in "$probe"/crash/*; do
		[[ -f $f ]] && { echo "the input (base64):"; base64 "$f"; }
	done
	echo "FAIL: the fuzzer stopped with status $rc"
	exit 1
fi
echo "PASS: $secs s of fuzzing found nothing"
exit 0
