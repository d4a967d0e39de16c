#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# build.sh - the two commands of the README's Quick start.
#
#   ./build.sh demo   build kslab and run a real program (python3 building a
#                     2-million-entry dict) under LD_PRELOAD, with kslab's
#                     statistics printed at exit and glibc's time beside it
#   ./build.sh test   build kslab and run the whole test suite (make check);
#                     ends with "N passed, N failed[, N skipped]"
#
# Both install the Debian packages they need with apt-get when run as root
# (and say what to install otherwise), regenerate the build system when it is
# missing or stale, and build out of tree in ./build.  Nothing here prompts:
# CI runs it as root with no stdin.
#
# Environment: BUILD_DIR (default ./build), CONFIGURE_FLAGS (extra configure
# arguments, used when ./build is first configured), JOBS (default nproc),
# CHECK_TIMEOUT (seconds for make check, default 1380, so that CI with
# its package installs stays under 30 minutes), DEMO_RUNS (timed runs of
# each allocator in the demo, default 3).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
TOP=$PWD
BUILD_DIR=${BUILD_DIR:-$TOP/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-660}
export DEBIAN_FRONTEND=noninteractive

BASE_PKGS=(autoconf automake libtool pkg-config make gcc g++ libc6-dev python3)
TEST_PKGS=(sqlite3 perl git gcc python3 bash valgrind clang libjemalloc-dev libpython3.11-testsuite redis-server redis-tools)

say() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<'EOF'
usage: ./build.sh demo   build, then run python3 under LD_PRELOAD=libkslab.so
                         with KSLAB_OPTIONS=stats (and time it against glibc)
       ./build.sh test   build, then run the test suite (make check)
EOF
}

# --- packages -------------------------------------------------------------

# The command that shows a package is there, for systems without dpkg.
pkg_cmd() {
	case $1 in
	libtool) echo libtoolize ;;
	*) echo "$1" ;;
	esac
}

pkg_present() {
	if command -v dpkg-query >/dev/null 2>&1; then
		[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
	else
		command -v "$(pkg_cmd "$1")" >/dev/null 2>&1
	fi
}

ensure_packages() {
	local p missing=() seen=" "
	for p in "$@"; do
		[[ $seen == *" $p "* ]] && continue
		seen+="$p "
		pkg_present "$p" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if [[ $(id -u) -ne 0 ]]; then
		printf 'build.sh: missing packages: %s\n' "${missing[*]}" >&2
		printf 'install them with:  sudo apt-get install %s\n' "${missing[*]}" >&2
		exit 1
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "missing packages (${missing[*]}) and no apt-get to install them"
	say "installing: ${missing[*]}"
	apt-get update -qq </dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# --- build ----------------------------------------------------------------

# autoreconf -fi when configure or a Makefile.in is missing or older than
# what it is made from; after that, automake's own rules in ./build rerun
# automake and config.status whenever an input changes.
need_autoreconf() {
	[[ -x configure && -f Makefile.in && -f config.h.in ]] || return 0
	local f
	for f in configure.ac Makefile.am ./*/local.mk; do
		[[ -e $f ]] || continue
		[[ $f -nt configure || $f -nt Makefile.in ]] && return 0
	done
	return 1
}

build() {
	if need_autoreconf; then
		say "autoreconf -fi"
		autoreconf -fi || die "autoreconf failed"
	else
		say "autoreconf: configure is up to date"
	fi
	if [[ -f config.status ]]; then
		die "the source tree is configured in place; run 'make distclean' here first (kslab builds out of tree in ./build)"
	fi
	mkdir -p "$BUILD_DIR"
	if [[ ! -f $BUILD_DIR/config.status || ! -f $BUILD_DIR/Makefile ]]; then
		say "configure (in $BUILD_DIR) ${CONFIGURE_FLAGS:-}"
		# shellcheck disable=SC2086
		(cd "$BUILD_DIR" && "$TOP/configure" -q ${CONFIGURE_FLAGS:-}) ||
			die "configure failed; see $BUILD_DIR/config.log"
	fi
	say "make -j$JOBS"
	make -C "$BUILD_DIR" --no-print-directory -j"$JOBS" || die "build failed"
}

# --- demo -----------------------------------------------------------------

# The main job: a dict of 2 million int -> str entries, half of it deleted,
# then its size and a checksum of what is left.  PYTHONMALLOC=malloc (for
# the glibc runs too) sends every object through malloc: without it, python
# serves objects up to 512 bytes from its own mmap'd arenas and the
# allocator under test sees little but the dict's table.
DEMO_PY='import zlib; n=2_000_000; d={i: str(i) for i in range(n)}; list(map(d.pop, range(0, n, 2))); print(len(d), zlib.crc32("".join(d.values()).encode()))'
DEMO_RUNS=${DEMO_RUNS:-3}

now() { echo "${EPOCHREALTIME/,/.}"; }

# best_time LABEL CMD...: run CMD DEMO_RUNS times, output discarded; print
# the best wall time in seconds.
best_time() {
	local best="" t0 t1 i
	for ((i = 0; i < DEMO_RUNS; i++)); do
		t0=$(now)
		"$@" >/dev/null || die "timing run failed: $*"
		t1=$(now)
		best=$(awk -v a="$t0" -v b="$t1" -v m="$best" \
			'BEGIN { t = b - a; print (m == "" || t < m) ? t : m }')
	done
	echo "$best"
}

cmd_demo() {
	ensure_packages "${BASE_PKGS[@]}"
	build
	local lib=$BUILD_DIR/.libs/libkslab.so
	[[ -f $lib ]] || die "$lib was not built"
	# The real interpreter, not a wrapper script (pyenv shims and the like
	# would run other programs under the preload and print their reports).
	local py
	py=$(python3 -c 'import sys; print(sys.executable)')
	export PYTHONMALLOC=malloc

	say "glibc: PYTHONMALLOC=malloc $py -c '<dict of 2M entries>'"
	local out_glibc out_kslab out_file rc=0
	out_glibc=$("$py" -c "$DEMO_PY") || die "python3 failed under glibc"
	echo "$out_glibc"

	say "kslab: LD_PRELOAD=$lib KSLAB_OPTIONS=stats PYTHONMALLOC=malloc $py -c '<dict of 2M entries>'"
	# Its output goes straight through (tee keeps a copy to compare), so
	# it comes before the report kslab writes to stderr at exit.
	out_file=$(mktemp)
	LD_PRELOAD=$lib KSLAB_OPTIONS=stats "$py" -c "$DEMO_PY" | tee "$out_file" || rc=$?
	out_kslab=$(cat "$out_file")
	rm -f "$out_file"
	((rc == 0)) || die "python3 failed under kslab (exit $rc)"
	[[ $out_glibc == "$out_kslab" ]] ||
		die "output differs: glibc '$out_glibc', kslab '$out_kslab'"

	say "wall time of the same one-liner, best of $DEMO_RUNS runs each"
	local tg tk
	tg=$(best_time "$py" -c "$DEMO_PY")
	tk=$(best_time env LD_PRELOAD="$lib" "$py" -c "$DEMO_PY")
	awk -v g="$tg" -v k="$tk" 'BEGIN {
		printf "glibc: %.3f s\n", g
		printf "kslab: %.3f s (%.2fx glibc)\n", k, (g > 0 ? k / g : 0)
	}'
}

# --- test -----------------------------------------------------------------

# Tally the results of the last make check: the summary automake writes at
# the top of test-suite.log, or, failing that, every .trs file.
tally() {
	local log=$BUILD_DIR/test-suite.log
	if [[ -f $log ]] && grep -q '^# TOTAL:' "$log"; then
		awk '/^# (PASS|XFAIL|FAIL|XPASS|ERROR|SKIP):/ { sub(":", "", $2); n[$2] = $3 }
		     END { printf "%d %d %d\n", n["PASS"] + n["XFAIL"],
		           n["FAIL"] + n["XPASS"] + n["ERROR"], n["SKIP"] }' "$log"
	else
		find "$BUILD_DIR" -name '*.trs' -exec cat {} + 2>/dev/null |
			awk '/^:test-result:/ { r = $2
			       if (r == "PASS" || r == "XFAIL") p++
			       else if (r == "SKIP") s++
			       else f++ }
			     END { printf "%d %d %d\n", p, f, s }'
	fi
}

show_failed_logs() {
	local trs log
	while IFS= read -r trs; do
		grep -Eq '^:test-result: (FAIL|XPASS|ERROR)' "$trs" || continue
		log=${trs%.trs}.log
		printf '\n==> FAILED: %s (last 40 lines of %s)\n' \
			"${trs#"$BUILD_DIR"/}" "${log#"$BUILD_DIR"/}"
		tail -n 40 "$log" 2>/dev/null || true
	done < <(find "$BUILD_DIR" -name '*.trs' 2>/dev/null | sort)
}

cmd_test() {
	# Whatever goes wrong, the last line is the tally CI looks for.
	if ! (ensure_packages "${BASE_PKGS[@]}" "${TEST_PKGS[@]}"); then
		echo "build.sh: the packages could not be installed: counted as one failure" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	if ! (build); then
		echo "build.sh: the build failed: counted as one failure" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	# The suite runs twice: as it is, then with every kmalloc cache in
	# debug mode (poison, red zones, free checks), which must not change
	# what a correct program sees.
	local pass=0 fail=0 skip=0 p f s line opts
	for opts in "" debug; do
		read -r p f s < <(check_pass "$opts")
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	done
	line="$pass passed, $fail failed"
	((skip > 0)) && line+=", $skip skipped"
	echo
	echo "$line"
	((fail == 0))
}

# One run of make check with KSLAB_OPTIONS=$1; its log goes to stderr and
# "PASS FAIL SKIP" to stdout.
check_pass() {
	local rc=0 pass fail skip
	say "make -j2 check${1:+ with KSLAB_OPTIONS=$1}" >&2
	# No results of an earlier run may be counted if this one stops early.
	rm -f "$BUILD_DIR/test-suite.log"
	find "$BUILD_DIR" -name '*.trs' -delete 2>/dev/null || true
	KSLAB_OPTIONS=$1 timeout "$CHECK_TIMEOUT" make -C "$BUILD_DIR" --no-print-directory \
		-j2 check </dev/null >&2 || rc=$?
	((rc == 124)) && echo "build.sh: make check timed out after ${CHECK_TIMEOUT}s" >&2
	read -r pass fail skip < <(tally)
	if ((rc != 0 && fail == 0)); then
		# make failed before or outside the tests (e.g. a test did not
		# compile): count that as one failure so it cannot look green.
		echo "build.sh: make check failed (exit $rc) outside the test results" >&2
		fail=1
	fi
	((fail > 0)) && show_failed_logs >&2
	echo "$pass $fail $skip"
}

case ${1:-} in
demo) cmd_demo ;;
test) cmd_test ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
