#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# sanitizers.sh - the core layers and the unit tests built a second and a
# third time, with AddressSanitizer and UndefinedBehaviorSanitizer, then
# with ThreadSanitizer, in sanitize/asan and sanitize/tsan under the build
# directory, and the unit tests run there.  The core (libkslab_core) does
# not define malloc, so the sanitizers keep the process's malloc and watch
# kslab's own code: its stack, globals and undefined behaviour (ASan,
# UBSan), and the threads of test_kmalloc's and test_slab's magazine,
# depot, node and thread-exit cases (TSan, each test's cases run in one
# process: TSan does not follow the harness's fork per case, nor do 64
# locks held at once suit its deadlock detector, which is off).  Any report fails the test.
# Run from the top build directory (make check does).
set -u
top=$(pwd)
src=$(cd "${srcdir:-.}" && pwd)
units="tests/unit/test_buddy tests/unit/test_slab tests/unit/test_kmalloc tests/unit/test_vmalloc tests/unit/test_options"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# build NAME CFLAGS: configure and build the core and the unit tests
build() {
	local dir=$top/sanitize/$1
	mkdir -p "$dir"
	if [[ ! -f $dir/Makefile || $src/configure -nt $dir/Makefile ]]; then
		(cd "$dir" && "$src/configure" -q CFLAGS="-g -O1 $2" LDFLAGS="$2" \
			>configure.out 2>&1) ||
			{ tail -20 "$dir/configure.out"; return 1; }
	fi
	(cd "$dir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 \
		libkslab_core.la $units >make.out 2>&1) || { tail -20 "$dir/make.out"; return 1; }
}

# the unit tests want three slab nodes; whatever else the run was given
opts=${KSLAB_OPTIONS:+$KSLAB_OPTIONS,}nodes=3

# run DIR TEST ARGS...: 0 passed or every case skipped (77), else failed
run() {
	local dir=$1 t=$2 rc
	shift 2
	"$dir/$t" "$@" >"$dir/$t.log" 2>&1
	rc=$?
	((rc == 77)) && echo "(every case of $t skipped under KSLAB_OPTIONS=$opts)"
	((rc == 0 || rc == 77))
}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int main(void) { return 0; }' >"$probe/p.c"
for s in address,undefined thread; do
	cc -fsanitize=$s -o "$probe/p" "$probe/p.c" 2>/dev/null ||
		{ echo "SKIP: the compiler cannot build with -fsanitize=$s"; exit 77; }
done

if build asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"; then
	for t in $units; do
		if KSLAB_OPTIONS=$opts ASAN_OPTIONS=detect_leaks=0 run "$top/sanitize/asan" "$t"; then
			echo "PASS: $t (ASan, UBSan)"
		else
			grep -E "ERROR: AddressSanitizer|runtime error|FAIL" "$top/sanitize/asan/$t.log" | head -5
			bad "$t under ASan and UBSan (sanitize/asan/$t.log)"
		fi
	done
else
	bad "the ASan/UBSan build failed"
fi

# the threaded ones: magazines, depots, nodes, thread exit
tsan_units="tests/unit/test_kmalloc tests/unit/test_slab"
if build tsan "-fsanitize=thread"; then
	for t in $tsan_units; do
		if KSLAB_OPTIONS=$opts TSAN_OPTIONS="detect_deadlocks=0 halt_on_error=1" \
			run "$top/sanitize/tsan" "$t" -n; then
			echo "PASS: $t (TSan)"
		else
			grep -E -A6 "WARNING: ThreadSanitizer|FAIL" "$top/sanitize/tsan/$t.log" | head -20
			bad "$t under TSan (sanitize/tsan/$t.log)"
		fi
	done
else
	bad "the TSan build failed"
fi
((fail)) && exit 1
exit 0
