#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# memcheck.sh - kslab under valgrind's memcheck: the client requests
# describe every object cache object and kmalloc block, so memcheck tells
# of a write into a freed cache object (with the stacks of its allocation
# and its free), a read past a kmalloc block, an uninitialised read, and
# the leaked objects, as it would for malloc.  tests/integration/
# memcheck_target does each once.  Skipped without valgrind.
# Run from the top build directory (make check does).
set -u
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
prog=tests/integration/memcheck_target
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# libtool's wrapper script runs the real program: valgrind goes inside it
./libtool --mode=execute valgrind --leak-check=full --error-exitcode=0 \
	"$prog" >"$out" 2>&1 || bad "valgrind failed: $(tail -5 "$out")"
grep -q "Invalid write of size 8" "$out" || bad "no invalid write reported"
grep -A12 "Invalid write of size 8" "$out" | grep -q "free'd" ||
	bad "the invalid write does not say the block was freed"
grep -A12 "Invalid write of size 8" "$out" | grep -q "memcheck_target.c:44" ||
	bad "the invalid write does not show where the block was freed"
grep -q "Invalid read of size 1" "$out" || bad "no read past the kmalloc block reported"
grep -q "uninitialised value" "$out" || bad "no uninitialised read reported"
grep -q "definitely lost: 100,480 bytes in 11 blocks" "$out" ||
	bad "the leaks are not reported: $(grep "lost:" "$out")"
grep -B2 -A6 "480 bytes in 10 blocks are definitely lost" "$out" | grep -q "leak_objects" ||
	bad "the leak record does not name leak_objects"
((fail)) && { cat "$out"; exit 1; }
echo "PASS: memcheck reports the cache and kmalloc misuses and leaks"
exit 0
