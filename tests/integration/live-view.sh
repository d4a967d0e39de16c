#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# live-view.sh - the kslab command against running processes: `kslab info`
# and `kslab top` read live_target and its forked child from outside (each
# its own page: the child's shows its own cache, not the parent's), and
# `kslab run` runs a program preloaded with a report to a stats_file.
# Run from the top build directory (make check does).
set -u
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}
dir=$(mktemp -d)
tgt=
trap '[[ -n $tgt ]] && kill $tgt 2>/dev/null; rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

./kslab --version | grep -q '^kslab [0-9]' || bad "kslab --version"
./kslab help | grep -q '^usage: kslab run' || bad "kslab help"

./tests/integration/live_target 6 >"$dir/out" &
tgt=$!
for _ in $(seq 80); do grep -q ready "$dir/out" && break; sleep 0.1; done
read -r _ parent child <"$dir/out"
[[ -n ${child:-} ]] || { echo "FAIL: live_target never got ready"; exit 1; }

./kslab info "$parent" >"$dir/info" 2>&1 || bad "kslab info $parent failed: $(cat "$dir/info")"
grep -q "^kslab .*, pid $parent, snapshot" "$dir/info" || bad "info: no heading"
grep -q '^slabinfo - version: 2.1$' "$dir/info" || bad "info: no slabinfo table"
awk '$1 == "live-test" && $(NF - 2) == 1000 { ok = 1 } END { exit !ok }' "$dir/info" ||
	bad "info: live-test does not show 1000 objects in use: $(grep live-test "$dir/info")"
grep -q '^live-child ' "$dir/info" && bad "info: the parent shows the child's cache"
grep -q '^buddyinfo zone Normal' "$dir/info" || bad "info: no buddyinfo"

./kslab info "$child" >"$dir/cinfo" 2>&1 || bad "kslab info $child failed: $(cat "$dir/cinfo")"
grep -q "pid $child, snapshot" "$dir/cinfo" || bad "the child's page is not its own"
awk '$1 == "live-child" && $(NF - 2) == 500 { ok = 1 } END { exit !ok }' "$dir/cinfo" ||
	bad "info: the child's live-child does not show 500 objects in use"

./kslab top -n 2 -d 0.3 -s a "$parent" >"$dir/top" 2>&1 || bad "kslab top failed"
[[ $(grep -c '^ *OBJS  *ACTIVE' "$dir/top") == 2 ]] || bad "top: not two refreshes"
grep -q ' live-test$' "$dir/top" || bad "top: live-test not listed"

./kslab info 1 >/dev/null 2>"$dir/err1" && bad "kslab info 1 (init, not kslab) succeeded"
grep -q 'no kslab live page\|Permission denied\|No such' "$dir/err1" || bad "info 1: $(cat "$dir/err1")"

KSLAB_LIB=$lib ./kslab run --options="stats,stats_file=$dir/run.%p.txt" \
	/bin/echo hello >"$dir/run" || bad "kslab run failed"
grep -qx hello "$dir/run" || bad "kslab run: the program's output is lost"
ls "$dir"/run.*.txt >/dev/null 2>&1 || bad "kslab run --options: no report written"

wait "$tgt" || bad "live_target exited with $?"
tgt=
[[ $fail == 0 ]] && echo "PASS: info, top, the fork child's own page, run"
exit $fail
