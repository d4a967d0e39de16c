#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# debug-options.sh - the blocks programs grow from empty, under every debug
# mode of KSLAB_OPTIONS: the from_zero and grow_shrink_from_null cases of
# api_realloc (linked with kslab) and of api_realloc-preload (glibc-linked,
# kslab preloaded) must pass with no option, debug, poison and redzone,
# and print no report.  Run from the top build directory (make check does).
set -u
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}
fail=0
for opts in "" debug poison redzone "debug,magazines=0"; do
	for prog in tests/integration/api_realloc tests/integration/api_realloc-preload; do
		pre=
		[[ $prog == *-preload ]] && pre=$lib
		out=$(KSLAB_OPTIONS=$opts LD_PRELOAD=$pre ./$prog from_zero grow_shrink_from_null 2>&1)
		rc=$?
		if [[ $rc != 0 ]] || grep -q '^kslab:' <<<"$out"; then
			echo "FAIL: KSLAB_OPTIONS='$opts' $prog (exit $rc):"
			tail -5 <<<"$out"
			fail=1
		else
			echo "ok: KSLAB_OPTIONS='$opts' $prog"
		fi
	done
done
exit $fail
