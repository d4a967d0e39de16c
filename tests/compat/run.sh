#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - other people's test suites and programs, each run without kslab
# and with it preloaded; the results must agree.  A table: program, its
# result and time without kslab and with it.
#
#   tests/compat/run.sh [--fast] [--builddir DIR]
#
# --fast (make check): a slice of CPython's own regression tests (dict,
# list, set, json) with PYTHONMALLOC=malloc, and redis-server checked for
# its data under redis-benchmark.  The whole (make check-compat) adds
# CPython's unicode, re, pickle, gc, weakref, collections, threading,
# fork1, signal, subprocess and sqlite3 tests, an sqlite3 and a perl
# workload whose output is compared, git gc and fsck on a generated
# history, and gcc building kslab itself.  A program that is not installed
# is skipped with a line saying so (CPython's tests are in Debian's
# libpython3.11-testsuite).
set -u
fast=0
builddir=$(pwd)
while (($#)); do
	case $1 in
	--fast) fast=1; shift ;;
	--builddir) builddir=$(cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [--fast] [--builddir DIR]" >&2; exit 2 ;;
	esac
done
src=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
lib=${KSLAB_PRELOAD_LIB:-$builddir/.libs/libkslab.so}
[[ -r $lib ]] || { echo "compat: no $lib" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"; [[ -n ${redis_pid:-} ]] && kill "$redis_pid" 2>/dev/null' EXIT
fail=0 ran=0
rows=()

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

# row NAME RESULT0 RESULT1 T0 T1 T2: a line of the table (the run without
# kslab took T0..T1, the one with it T1..T2)
row() {
	rows+=("$(printf "%-22s %-10s %7.2f s   %-10s %7.2f s" "$1" "$2" \
		"$(elapsed "$4" "$5")" "$3" "$(elapsed "$5" "$6")")")
	ran=$((ran + 1))
}

# case NAME CMD...: run CMD without and with kslab (output to NAME.plain
# and NAME.kslab); the result is the exit status, then the output compared
# by the caller if it wants
case_run() {
	local name=$1 t0 t1 t2 rc0 rc1
	shift
	t0=$(date +%s.%N)
	env -u LD_PRELOAD "$@" >"$dir/$name.plain" 2>&1
	rc0=$?
	t1=$(date +%s.%N)
	env LD_PRELOAD="$lib" "$@" >"$dir/$name.kslab" 2>&1
	rc1=$?
	t2=$(date +%s.%N)
	row "$name" "exit $rc0" "exit $rc1" "$t0" "$t1" "$t2"
	if ((rc0 != rc1)); then
		echo "FAIL: $name: exit $rc0 without kslab, $rc1 with it"
		tail -15 "$dir/$name.kslab"
		fail=1
		return 1
	fi
	return 0
}

same_output() {
	cmp -s "$dir/$1.plain" "$dir/$1.kslab" ||
		{ echo "FAIL: $1: the output differs with kslab"; diff "$dir/$1.plain" "$dir/$1.kslab" | head -10; fail=1; }
}

# --- CPython's regression tests ---------------------------------------------
py=/usr/bin/python3
pytests=(test_dict test_list test_set test_json)
((fast)) || pytests+=(test_unicode test_re test_pickle test_gc test_weakref test_collections
	test_threading test_fork1 test_signal test_subprocess test_sqlite3)
if [[ -x $py ]] && "$py" -c 'import test.test_dict' 2>/dev/null; then
	for t in "${pytests[@]}"; do
		# (test_subprocess counts a child's open descriptors: the live
		# view's memfd is made only after a second, so a short child has
		# none; live.c)
		name=cpython-$t
		if "$py" -c "import test.$t" 2>/dev/null; then
			case_run "$name" env PYTHONMALLOC=malloc "$py" -m test -q "$t" &&
				{ grep -q "Tests result: SUCCESS" "$dir/$name.kslab" ||
				  { echo "FAIL: cpython $t did not succeed under kslab"; tail -5 "$dir/$name.kslab"; fail=1; }; }
		else
			echo "SKIP: $name (this Python has no test.$t)"
		fi
	done
else
	echo "SKIP: CPython's regression tests (libpython3.11-testsuite is not installed)"
fi

# --- redis: the data survives a benchmark ------------------------------------
redis_check() {
	local port=$1 out=$2
	redis-cli -p "$port" flushall >/dev/null
	# the benchmark's random keys churn the heap; then a known data set,
	# grown and cut by the server itself, whose digest must not depend on
	# the allocator
	timeout 120 redis-benchmark -p "$port" -q -n 20000 -r 5000 -t set,lpush,incr >/dev/null 2>&1
	redis-cli -p "$port" flushall >/dev/null
	for i in $(seq 2000); do
		echo "SET key:$i $(printf 'v%.0s' $(seq $((i % 40 + 1))))$i"
		echo "RPUSH list:$((i % 20)) item$i"
		echo "HSET hash:$((i % 7)) f$i $((i * i))"
		((i % 3 == 0)) && echo "APPEND key:$((i / 3)) +$i"
		((i % 5 == 0)) && echo "DEL key:$((i / 5 + 1000))"
	done | redis-cli -p "$port" >/dev/null
	{
		redis-cli -p "$port" dbsize
		for i in 1 77 250 499 1999; do redis-cli -p "$port" get "key:$i"; done
		redis-cli -p "$port" llen list:3
		redis-cli -p "$port" hlen hash:2
		redis-cli -p "$port" debug digest
	} >"$out"
}
# redis_run TAG ENV-ARGS...: a server under env ENV-ARGS, checked into
# redis.TAG (timeout bounds everything: a server that never came up must
# not leave redis-benchmark waiting)
redis_run() {
	local tag=$1 port=$((20000 + RANDOM % 20000)) up=0
	shift
	env "$@" redis-server --port "$port" --save "" --appendonly no --daemonize no >/dev/null 2>&1 &
	redis_pid=$!
	for _ in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && { up=1; break; }
		sleep 0.1
	done
	if ((!up)); then
		echo "FAIL: redis-server ($tag) did not come up"
		fail=1
		return
	fi
	redis_check "$port" "$dir/redis.$tag"
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
	t0=$(date +%s.%N); redis_run plain -u LD_PRELOAD; t1=$(date +%s.%N)
	redis_run kslab LD_PRELOAD="$lib"; t2=$(date +%s.%N)
	row redis-data checked checked "$t0" "$t1" "$t2"
	# the digests of the same values are the same, whoever allocated them
	same_output redis
else
	echo "SKIP: redis-server (not installed)"
fi

if ((!fast)); then
	# --- sqlite3 and perl with checked output -------------------------
	if command -v sqlite3 >/dev/null; then
		cat >"$dir/q.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT x, printf('key%06d', (x * 7919) % 200000), x % 997 FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(v), min(k), max(k) FROM t;
SELECT k, v FROM t WHERE k BETWEEN 'key001000' AND 'key001010' ORDER BY k;
SELECT v, count(*) FROM t GROUP BY v ORDER BY count(*) DESC, v LIMIT 5;
SQL
		case_run sqlite3 sqlite3 :memory: ".read $dir/q.sql" && same_output sqlite3
	else
		echo "SKIP: sqlite3 (not installed)"
	fi
	if command -v perl >/dev/null; then
		case_run perl perl -e 'my %h; for my $i (0..300000) { $h{"k".($i*7919%300000)} .= chr(97+$i%26) }
			my @k = sort keys %h; my $s = 0; $s = ($s * 31 + length($h{$_})) % 1000000007 for @k;
			my %w; $w{$_}++ for map { split /[aeiou]/ } values %h; print scalar(@k), " $s ", scalar(keys %w), "\n"' &&
			same_output perl
	else
		echo "SKIP: perl (not installed)"
	fi
	# --- git gc and fsck ------------------------------------------------
	if command -v git >/dev/null; then
		repo=$dir/repo
		git init -q "$repo" && (cd "$repo" &&
			for i in $(seq 300); do
				printf 'line %d\n' $(seq $i) >"f$((i % 17)).txt"
				git add -A && git -c user.name=t -c user.email=t@t commit -qm "c$i"
			done) >/dev/null 2>&1
		case_run git-gc git -C "$repo" gc -q --aggressive
		case_run git-fsck git -C "$repo" fsck --strict
	else
		echo "SKIP: git (not installed)"
	fi
	# --- gcc building kslab itself ----------------------------------------
	if command -v gcc >/dev/null && command -v make >/dev/null; then
		mkdir -p "$dir/b1" "$dir/b2"
		(cd "$dir/b1" && "$src/configure" -q >/dev/null 2>&1)
		(cd "$dir/b2" && "$src/configure" -q >/dev/null 2>&1)
		t0=$(date +%s.%N)
		(cd "$dir/b1" && env -u LD_PRELOAD -u MAKEFLAGS make -s -j2 >/dev/null 2>&1); rc0=$?
		t1=$(date +%s.%N)
		(cd "$dir/b2" && env -u MAKEFLAGS LD_PRELOAD="$lib" make -s -j2 >/dev/null 2>&1); rc1=$?
		t2=$(date +%s.%N)
		row gcc-builds-kslab "exit $rc0" "exit $rc1" "$t0" "$t1" "$t2"
		((rc0 == rc1 && rc1 == 0)) || { echo "FAIL: building kslab: exit $rc0 without kslab, $rc1 with it"; fail=1; }
	fi
fi

printf "%-22s %-22s %-22s\n" program "without kslab" "with kslab"
for r in "${rows[@]}"; do echo "$r"; done
((ran == 0)) && { echo "SKIP: nothing to run here"; exit 77; }
((fail)) && exit 1
exit 0
