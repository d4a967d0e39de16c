#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# programs.sh - allocation-heavy programs a Debian user runs, for the
# real-program group of bench/compare.sh.
#
#   KSB_PRELOAD=/path/lib.so programs.sh NAME [SCALE]
#
# NAME is one of:
#   make   a C build: kslab's own sources (every src/ and bench/workloads
#          file) compiled with gcc -O2 by `make -j2` into a scratch
#          directory, with the allocator preloaded into make and every
#          compiler, assembler and linker it starts; prints the checksum
#          of the objects, which must not depend on the allocator
#   z3     z3 solving a generated SMT-LIB problem (integer and array
#          constraints over a chain of functions); prints sat/unsat and
#          the model values asked for
#   ruby   a ruby script: hashes of strings, arrays grown by push, gsub,
#          sort_by, a JSON round trip; prints a checksum
#   lua    a lua5.4 script: tables as arrays and maps, string building and
#          gsub, a closure-heavy tree; prints a checksum
#   perl   a perl script: hashes, regexes, split/join, sorting; prints a
#          checksum
#   git    git on a generated history of 1500 commits (fast-import),
#          then log -p, blame, gc and fsck; prints the checksums of the
#          outputs
#
# The preload goes to the program measured, not to this script.  Output
# that depends on the allocator (none should) is caught by compare.sh,
# which checks every run's output against glibc's.  A program that is not
# installed exits 77 with a line saying so.
set -euo pipefail

name=${1:?usage: programs.sh NAME [SCALE]}
scale=${2:-1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
pre=${KSB_PRELOAD:-}

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "programs.sh: $1 is not installed; skipping $name" >&2
	exit 77
}

# run CMD...: CMD with the allocator preloaded
run() {
	if [ -n "$pre" ]; then
		LD_PRELOAD=$pre "$@"
	else
		"$@"
	fi
}

# The scratch tree lives in memory (/dev/shm) where there is one: git gc
# and the C build write files, and a disk's writeback and fsync made their
# wall times vary by 3x between rounds, which has nothing to do with the
# allocator.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$shm/ksb-prog.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

case $name in
make)
	need gcc
	need make
	mkdir -p "$scratch/o"
	srcs=$(cd "$src" && ls src/*.c bench/workloads/*.c)
	{
		echo "CFLAGS = -O2 -std=gnu11 -pthread -I$src/src -I$src/include -I$src/bench/workloads -I$scratch"
		printf 'OBJS ='
		for f in $srcs; do printf ' o/%s.o' "$(echo "$f" | tr / _)"; done
		echo
		echo 'all: $(OBJS)'
		for f in $srcs; do
			printf 'o/%s.o: %s/%s\n\t$(CC) $(CFLAGS) -c -o $@ $<\n' "$(echo "$f" | tr / _)" "$src" "$f"
		done
	} >"$scratch/Makefile"
	# config.h as configure writes it for this machine
	cat >"$scratch/config.h" <<'EOF'
#define _GNU_SOURCE 1
#define HAVE_DECL_MADV_FREE 1
#define HAVE_DECL_MADV_HUGEPAGE 1
#define HAVE_DECL_MAP_FIXED_NOREPLACE 1
#define HAVE_DECL_MREMAP_MAYMOVE 1
#define KS_STATS 1
#define PACKAGE_VERSION "0.1.0"
EOF
	for i in $(seq "$scale"); do
		rm -f "$scratch"/o/*.o
		( cd "$scratch" && run make -s -j2 CC=gcc all )
	done
	( cd "$scratch/o" && ls | wc -l && cat * | cksum )
	;;
z3)
	need z3
	n=$((60 * scale))
	{
		echo "(set-logic QF_AUFLIA)"
		echo "(declare-fun a () (Array Int Int))"
		for i in $(seq 0 "$n"); do echo "(declare-fun x$i () Int)"; done
		echo "(assert (= x0 7))"
		for i in $(seq 1 "$n"); do
			p=$((i - 1))
			echo "(assert (and (>= x$i 0) (<= x$i 100000)))"
			echo "(assert (= (select a x$i) (+ (select a x$p) (mod (* x$p $((i % 13 + 3))) 97))))"
			echo "(assert (or (= x$i (+ x$p $((i % 7 + 1)))) (= x$i (- (* 2 x$p) $((i % 5))))))"
			echo "(assert (distinct x$i x$p))"
		done
		echo "(assert (> (select a x$n) (select a x0)))"
		echo "(assert (= (mod x$n 3) 1))"
		echo "(check-sat)"
		echo "(get-value (x$n (select a x0)))"
	} >"$scratch/p.smt2"
	run z3 -smt2 "$scratch/p.smt2"
	;;
ruby)
	need ruby
	run ruby -e '
require "json"
n = 60_000 * '"$scale"'
h = {}
n.times { |i| h["key-#{i * 7919 % n}"] = [i, "v" * (i % 40), i.to_s(16)] }
a = []
h.each { |k, v| a.push(k.gsub(/\d/) { |d| ((d.to_i * 3) % 10).to_s } + v[1]) }
s = a.sort_by { |x| [x.size, x] }
j = JSON.generate(h.first(20_000).to_h)
back = JSON.parse(j)
words = Hash.new(0)
s.each { |x| x.scan(/[a-z]+/) { |w| words[w] += 1 } }
sum = 0
s.each_with_index { |x, i| sum = (sum * 31 + x.hash % 1000 * 0 + x.size + i) % 1_000_000_007 }
puts [h.size, s.first, s.last, back.size, words.size, sum].join(" ")
'
	;;
lua)
	need lua5.4
	run lua5.4 -e '
local n = 200000 * '"$scale"'
local t, m = {}, {}
for i = 1, n do t[i] = tostring(i * 7919 % n) end
for i = 1, n do m[t[i]] = (m[t[i]] or 0) + i end
local parts = {}
for i = 1, n, 3 do parts[#parts + 1] = t[i]:gsub("%d", function(d) return string.char(97 + tonumber(d)) end) end
table.sort(parts)
local function tree(d) if d == 0 then return {v = 1} end return {l = tree(d - 1), r = tree(d - 1), v = d} end
local function sum(x) if not x.l then return x.v end return x.v + sum(x.l) + sum(x.r) end
local acc = 0
for k = 1, 8 do acc = acc + sum(tree(14)) end
local s = table.concat(parts, ",", 1, 1000)
local h = 0
for i = 1, #s do h = (h * 31 + s:byte(i)) % 1000000007 end
local cnt = 0
for _ in pairs(m) do cnt = cnt + 1 end
print(#parts, parts[1], parts[#parts], cnt, acc, h)
'
	;;
perl)
	need perl
	run perl -e '
my $n = 150000 * '"$scale"';
my (%h, @a);
for my $i (0 .. $n - 1) { my $k = "k" . ($i * 7919 % $n); $h{$k} .= chr(97 + $i % 26) x (1 + $i % 9); }
for my $k (sort keys %h) { (my $v = $h{$k}) =~ s/([aeiou])/uc $1/ge; push @a, join("-", split(//, substr($v, 0, 8))); }
my %w; $w{$_}++ for map { split /-/ } @a;
my @s = sort { length($a) <=> length($b) or $a cmp $b } @a;
my $c = 0; $c = ($c * 31 + length($_)) % 1000000007 for @s;
print join(" ", scalar(keys %h), scalar(@a), $s[0], $s[-1], scalar(keys %w), $c), "\n";
'
	;;
git)
	need git
	commits=$((1500 * scale))
	export GIT_CONFIG_NOSYSTEM=1 HOME=$scratch GIT_AUTHOR_DATE="1700000000 +0000"
	git init -q "$scratch/r"
	awk -v n="$commits" 'BEGIN {
		for (c = 1; c <= n; c++) {
			printf "commit refs/heads/main\ncommitter K <k@example.org> %d +0000\n", 1700000000 + c
			msg = "change " c
			printf "data %d\n%s\n", length(msg), msg
			for (f = 0; f < 3; f++) {
				file = "dir" (c * 7 + f) % 23 "/file" (c * 13 + f * 5) % 97 ".txt"
				body = ""
				for (l = 0; l < 40 + (c + f) % 60; l++)
					body = body "line " l " of commit " (l % 5 == 0 ? c : c - c % 17) "\n"
				printf "M 644 inline %s\ndata %d\n%s\n", file, length(body), body
			}
		}
	}' | (cd "$scratch/r" && run git fast-import --quiet)
	cd "$scratch/r"
	git checkout -q main
	a=$(run git log -p --stat | cksum)
	b=$(run git blame dir1/file1.txt 2>/dev/null | cksum || echo none)
	run git gc -q
	run git fsck --no-progress --no-dangling
	c=$(run git rev-list --all --objects | sort | cksum)
	echo "$a / $b / $c"
	;;
*)
	echo "programs.sh: unknown program $name" >&2
	exit 2
	;;
esac
