#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# track.sh - owner tracking, the allocation log and the leak report, on
# tests/integration/track_target (glibc-linked, kslab preloaded):
#   track: a double free names the caller that allocated the block and the
#          one that freed it first (both inside the program's functions);
#   log=64: the report lists the pointer's operations, its free first;
#   debug,track: a write after free is caught, naming who freed the block;
#   leaks: at exit, the blocks still allocated, by the caller that
#          allocated them: 300 bytes in 3 blocks from leak_small, the
#          page-path and the vmalloc-path block from leak_big.
# Run from the top build directory (make check does).
set -u
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}
prog=$(pwd)/tests/integration/track_target
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# run MODE OPTIONS: stdout to $dir/out, stderr to $dir/err; sets the
# function addresses the program printed
run() {
	(KSLAB_OPTIONS=$2 LD_PRELOAD=$lib exec "$prog" "$1" >"$dir/out" 2>"$dir/err")
	rc=$?
	read -r _ make _ drop _ small _ big <"$dir/out"
}

# is the first address on the line of $dir/err matching PATTERN within
# 200 bytes after FUNCTION's start?
inside() {
	local line addr
	line=$(grep -m1 -- "$1" "$dir/err") || return 1
	addr=$(grep -o '0x[0-9a-f]*' <<<"${line#*by }" | head -1)
	[[ -n $addr ]] && (( addr >= $2 && addr < $2 + 200 ))
}

run double track
((rc == 134)) || bad "track: a double free did not abort (exit $rc)"
grep -q "^kslab: double free: pointer 0x[0-9a-f]*, cache kmalloc-48$" "$dir/err" ||
	bad "track: no double free line: $(head -3 "$dir/err")"
inside "last allocated by" "$make" || bad "track: the allocating caller is not in make(): $(cat "$dir/err")"
inside "last freed by" "$drop" || bad "track: the first free's caller is not in drop(): $(cat "$dir/err")"

run double log=64
((rc == 134)) || bad "log: a double free did not abort (exit $rc)"
inside ": freed (40 bytes) by" "$drop" || bad "log: no logged free from drop(): $(cat "$dir/err")"
inside ": allocated (40 bytes) by" "$make" || bad "log: no logged allocation from make(): $(cat "$dir/err")"
[[ $(grep -n "freed (40" "$dir/err" | cut -d: -f1) -lt $(grep -n "allocated (40" "$dir/err" | cut -d: -f1) ]] ||
	bad "log: the operations are not newest first"

run uaf debug,track
((rc == 134)) || bad "debug: a write after free did not abort (exit $rc)"
grep -q "^kslab: use after free: pointer" "$dir/err" || bad "debug: no use-after-free line: $(head -3 "$dir/err")"
inside "last freed by" "$drop" || bad "debug: the use-after-free report does not name drop(): $(cat "$dir/err")"

run leaks leaks
((rc == 0)) || bad "leaks: the program failed (exit $rc): $(head -3 "$dir/err")"
grep -q "^kslab: leaks: [0-9]* blocks, [0-9]* bytes still allocated at exit" "$dir/err" ||
	bad "leaks: no summary line: $(head -3 "$dir/err")"
inside "300 bytes in 3 blocks allocated by" "$small" ||
	bad "leaks: leak_small's 3 blocks are not reported: $(cat "$dir/err")"
inside " 303104 bytes in 1 blocks allocated by" "$big" ||
	bad "leaks: leak_big's page-path block is not reported: $(cat "$dir/err")"
inside " 5242880 bytes in 1 blocks allocated by" "$big" ||
	bad "leaks: leak_big's vmalloc block is not reported: $(cat "$dir/err")"

run leaks ""
grep -q "leaks" "$dir/err" && bad "a leak report without the option"
((fail)) && exit 1
echo "PASS: track, log, debug and leaks name the program's callers"
exit 0
