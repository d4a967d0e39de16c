#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# compare.sh - run every bench case under kslab, glibc, jemalloc, mimalloc
# and tcmalloc (and any allocator given with --with) and write
# bench/results/.
#
#   bench/compare.sh [--builddir DIR] [--reps N] [--allocators "a b ..."]
#                    [--with NAME=PATH.so]... [--cases REGEX] [--group w|r]
#                    [--out DIR] [--timeout S] [--no-callgrind] [--no-build]
#                    [--no-install]
#
# Two groups of cases, each with a geometric mean of its own: the
# workloads (w), allocator benchmark patterns written here
# (bench/workloads), and the real programs (r), programs people preload an
# allocator into: python3 in both malloc modes (an object-heavy program
# and one whose containers grow), sqlite3, redis-server,
# make -j2 building C, z3, ruby, lua, perl and git (bench/real).  A real
# program that is not installed is skipped with a line saying so.
#
# Each case runs under bench/runner (wall time, CPU time, peak RSS and
# minor faults from wait4, exit status, timeout), with the allocator
# preloaded (LD_PRELOAD) into the program measured: directly for the C
# workloads and python, through KSB_PRELOAD for the scripts that start
# other programs.  Repetitions are interleaved - rep 1 of every case under
# every allocator, then rep 2 - so a slow minute of the machine hits all
# allocators alike, and each rep starts the allocators one place further
# on, so that none always runs first after another case.  A run that crashes, times out (--timeout, default 60
# s), exits non-zero, or (for the real programs) prints other output than
# glibc's run makes its cell FAIL; a case that timed out is not run again
# in later reps.  An allocator whose library is missing is skipped, and
# the report says so.  --with NAME=PATH.so adds an allocator (repeatable):
# a peer built from its public sources, e.g.
#   --with mimalloc3=/tmp/mi3/build/libmimalloc.so --with snmalloc=/tmp/sn/build/libsnmallocshim.so
#
# Writes (DIR defaults to <srcdir>/bench/results):
#   DIR/raw/         every run's stdout, stderr and runner line; runs.tsv,
#                    metrics.tsv (git-ignored)
#   DIR/RESULTS.md   the tables: median time, CPU time, peak RSS and faults,
#                    ratios to glibc, geometric means per group, reported
#                    metrics, the machine
#   DIR/ratios.png   the chart of the ratios (gnuplot)
# and, after a full run (every case, at least 3 reps, default output),
# bench/RESULTS.md, the copy the README links.
#
# About 3 minutes a rep for the five Debian allocators on a 2-core machine.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$srcdir/bench/lib.sh"

builddir='' reps=5 allocators=$KSB_ALLOCATORS cases_re='' group_re='' out='' timeout=60
extra=()
callgrind=1 build=1 install=1
cmdline="bench/compare.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift ;;
	--reps) reps=$2; shift ;;
	--allocators) allocators=$2; shift ;;
	--cases) cases_re=$2; shift ;;
	--group) group_re=$2; shift ;;
	--with) ksb_add_extra "$2"; extra+=("${2%%=*}"); shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--no-callgrind) callgrind=0 ;;
	--no-build) build=0 ;;
	--no-install) install=0 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) ksb_die "unknown option $1 (see --help)" ;;
	esac
	shift
done
builddir=$(ksb_find_builddir "$builddir")
allocators="$allocators ${extra[*]}"
default_out=$srcdir/bench/results
out=${out:-$default_out}

if [ "$install" = 1 ]; then
	ksb_install_missing python3 sqlite3 redis-server redis-tools gnuplot-nox valgrind \
		libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 gcc make z3 ruby lua5.4 perl git
fi
if [ "$build" = 1 ]; then
	make -C "$builddir" -s bench bench/libglibc-malloc.so >/dev/null ||
		ksb_die "make bench failed in $builddir"
fi
runner=$builddir/bench/runner
[ -x "$runner" ] || ksb_die "$runner is missing: run make bench"
W=$builddir/bench/workloads
R=$srcdir/bench/real
python=$(command -v /usr/bin/python3 || command -v python3 || echo python3)

# name | group (w: workload, r: real program) | how the allocator gets in
# (pre: LD_PRELOAD on the command; env: KSB_PRELOAD for a script; envg: the
# same, and glibc gets the glibc-malloc shim because the program is linked
# with jemalloc) | check (o: the output must be glibc's) | command
P=$R/programs.sh
CASES=(
	"larson|w|pre|-|$W/larson -t 2 -n 5000 -g 10 -k 1m -s 8 -S 1000"
	"xmalloc-test|w|pre|-|$W/xmalloc-test -p 1 -c 1 -n 5m -s 32 -S 512"
	"cache-scratch|w|pre|-|$W/false-sharing -m scratch -t 2 -i 1000 -s 8 -r 50000"
	"cache-thrash|w|pre|-|$W/false-sharing -m thrash -t 2 -i 1000 -s 8 -r 50000"
	"alloc-test|w|pre|-|$W/alloc-test -t 2 -i 1m -w 4000 -x 1000"
	"frag|w|pre|-|$W/frag -m 300m -s 16 -S 512 -k 20"
	"thread-churn|w|pre|-|$W/thread-churn -r 3000 -w 4 -n 200"
	"forks|w|pre|-|$W/forks -n 1500"
	"realloc-double|w|pre|-|$W/realloc-growth -m double -l 1g -r 1"
	"realloc-step|w|pre|-|$W/realloc-growth -m step -l 64m -i 4k -r 8"
	"realloc-sparse|w|pre|-|$W/realloc-growth -m double -l 1g -r 4 -t 64k"
	"rss-decay|w|pre|-|$W/rss-decay -m 1g -s 64 -S 1m -d 2500"
	"mixed-churn|w|pre|-|$W/mixed-heap -m churn -n 2m"
	"large-loop|w|pre|-|$W/mixed-heap -m large -n 1000"
	"size-bands|w|pre|-|$W/mixed-heap -m bands"
	"local-1t|w|pre|-|$W/threads -m local -t 1 -n 20m"
	"local-2t|w|pre|-|$W/threads -m local -t 2 -n 20m"
	"local-2p|w|pre|-|$W/threads -m local -p 2 -n 20m"
	"prodcons|w|pre|-|$W/threads -m prodcons -n 1m"
	"python-pymalloc|r|pre|o|$python $R/python-workload.py 2"
	"python-malloc|r|pre|o|env PYTHONMALLOC=malloc $python $R/python-workload.py 2"
	"pygrow-pymalloc|r|pre|o|$python $R/python-growth.py 1"
	"pygrow-malloc|r|pre|o|env PYTHONMALLOC=malloc $python $R/python-growth.py 1"
	"sqlite|r|env|o|bash $R/sqlite.sh 300000"
	"redis|r|envg|-|bash $R/redis.sh 200000"
	"make-j2|r|env|o|bash $P make 2"
	"z3|r|env|o|bash $P z3 2"
	"ruby|r|env|o|bash $P ruby 2"
	"lua|r|env|o|bash $P lua 3"
	"perl|r|env|o|bash $P perl 2"
	"git|r|env|o|bash $P git 1"
)

# Allocators: keep the ones whose library is there.
active=() skipped=()
for a in $allocators; do
	if why=$(ksb_preload_path "$a" "$builddir"); then
		active+=("$a")
	else
		skipped+=("$a: $why")
		echo "skipping $a: $why"
	fi
done
[ ${#active[@]} -gt 0 ] || ksb_die "no allocator to run"

# A real program that is not installed is left out, with a line saying so.
missing_prog() {
	local cmd=$1 p
	case $cmd in
	*programs.sh\ make*) p=make ;;
	*programs.sh\ z3*) p=z3 ;;
	*programs.sh\ ruby*) p=ruby ;;
	*programs.sh\ lua*) p=lua5.4 ;;
	*programs.sh\ perl*) p=perl ;;
	*programs.sh\ git*) p=git ;;
	*sqlite.sh*) p=sqlite3 ;;
	*redis.sh*) p=redis-server ;;
	*) return 1 ;;
	esac
	command -v "$p" >/dev/null 2>&1 && return 1
	echo "$p"
}

selected=()
for c in "${CASES[@]}"; do
	IFS='|' read -r name group _ _ cmd <<<"$c"
	if [ -n "$cases_re" ] && ! [[ $name =~ $cases_re ]]; then
		continue
	fi
	if [ -n "$group_re" ] && [ "$group" != "$group_re" ]; then
		continue
	fi
	if p=$(missing_prog "$cmd"); then
		echo "skipping $name: $p is not installed"
		skipped+=("case $name: $p is not installed")
		continue
	fi
	selected+=("$c")
done
[ ${#selected[@]} -gt 0 ] || ksb_die "no case matches $cases_re"

raw=$out/raw
mkdir -p "$raw"
rm -f "$raw"/*.out "$raw"/*.err "$raw"/runs.tsv "$raw"/metrics.tsv
printf 'case\tgroup\tallocator\trep\tstatus\tcode\twall\tmaxrss_kb\tcpu\tminflt\tout\n' >"$raw/runs.tsv"
printf 'case\tallocator\trep\tmetric\tvalue\tunit\n' >"$raw/metrics.tsv"

total=$(( ${#selected[@]} * ${#active[@]} * reps ))
echo "compare: ${#selected[@]} cases x ${#active[@]} allocators x $reps reps = $total runs"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
n=0
declare -A hung=()
for rep in $(seq "$reps"); do
	# Rotate the allocators' order by one each rep: whichever runs first
	# after another case meets the memory that case just gave back (on a
	# VM the host may have to fault it in again), and no allocator should
	# always be the one that pays for it.
	k=$(((rep - 1) % ${#active[@]}))
	order=("${active[@]:k}" "${active[@]:0:k}")
	for c in "${selected[@]}"; do
		IFS='|' read -r name group how check cmd <<<"$c"
		for a in "${order[@]}"; do
			lib=$(ksb_preload_path "$a" "$builddir")
			base=$raw/$name.$a.$rep
			pre=$lib envpre=
			if [ "$how" != pre ]; then
				pre=
				envpre=$lib
				if [ "$how" = envg ] && [ "$a" = glibc ]; then
					envpre=$builddir/bench/libglibc-malloc.so
				fi
			fi
			n=$((n + 1))
			if [ -n "${hung[$name.$a]:-}" ]; then
				# It timed out in an earlier rep: do not spend the
				# time again, count it failed.
				line="status=timeout code=0 wall=0 maxrss_kb=0 cpu=0 minflt=0"
				echo "skipped: timed out in rep ${hung[$name.$a]}" >"$base.err"
				: >"$base.out"
			else
				# shellcheck disable=SC2086
				line=$(KSB_PRELOAD=$envpre "$runner" -t "$timeout" -p "$pre" -o "$base.out" -- \
					$cmd 2>"$base.err" || true)
			fi
			[ -n "$line" ] || line="status=runner-failed code=0 wall=0 maxrss_kb=0 cpu=0 minflt=0"
			echo "$line" >"$base.run"
			st=${line#status=}; st=${st%% *}
			code=${line#*code=}; code=${code%% *}
			wall=${line#*wall=}; wall=${wall%% *}
			rss=${line#*maxrss_kb=}; rss=${rss%% *}
			cpu=${line#*cpu=}; cpu=${cpu%% *}
			flt=${line#*minflt=}
			# the output, less the METRIC lines, must be glibc's
			sum=-
			if [ "$check" = o ]; then
				sum=$(grep -v '^METRIC ' "$base.out" | cksum | tr ' ' :)
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$group" "$a" "$rep" \
				"$st" "$code" "$wall" "$rss" "$cpu" "$flt" "$sum" >>"$raw/runs.tsv"
			awk -v c="$name" -v a="$a" -v r="$rep" \
				'$1 == "METRIC" { printf "%s\t%s\t%s\t%s\t%s\t%s\n", c, a, r, $2, $3, $4 }' \
				"$base.out" >>"$raw/metrics.tsv"
			printf '[%3d/%d %4ds] %-15s %-9s rep %d: %s\n' "$n" "$total" \
				$(( $(date +%s) - start )) "$name" "$a" "$rep" "$line"
			if [ "$st" = timeout ] && [ -z "${hung[$name.$a]:-}" ]; then
				hung[$name.$a]=$rep
			fi
			if [ "$st" != ok ]; then
				sed 's/^/    | /' "$base.err" | tail -5
			fi
		done
	done
done
elapsed=$(( $(date +%s) - start ))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cg=
if [ "$callgrind" = 1 ] && command -v valgrind >/dev/null; then
	echo "compare: callgrind instruction counts"
	withs=()
	for a in "${extra[@]+"${extra[@]}"}"; do
		withs+=(--with "$a=${KSB_EXTRA[$a]}")
	done
	# the extra allocators come back through --with
	bash "$srcdir/bench/callgrind.sh" --builddir "$builddir" --no-build \
		--allocators "$(for a in "${active[@]}"; do [ -n "${KSB_EXTRA[$a]:-}" ] || printf '%s ' "$a"; done)" \
		"${withs[@]+"${withs[@]}"}" --out "$raw/callgrind.md" || echo "compare: callgrind.sh failed" >&2
	[ -f "$raw/callgrind.md" ] && cg=$raw/callgrind.md
fi

# The machine and the versions of everything measured.
{
	echo "- CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores online"
	echo "- Load average (1, 5, 15 min) at the start of the runs: $load_start; at the end: $load_end"
	echo "- Memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- Kernel: $(uname -sr); THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo '?')"
	echo "- C library: $(ldd --version 2>/dev/null | head -1)"
	echo "- Compiler: $(gcc --version 2>/dev/null | head -1)"
	kv=$(git -C "$srcdir" describe --always --dirty 2>/dev/null || echo "?")
	echo "- kslab: $(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile") (source $kv)"
	for a in jemalloc mimalloc tcmalloc; do
		p=$(ksb_alloc_package $a)
		echo "- $a: $p $(ksb_pkg_version "$p")"
	done
	for a in "${extra[@]+"${extra[@]}"}"; do
		echo "- $a: ${KSB_EXTRA[$a]} (given with --with)"
	done
	echo "- Real programs: gcc $(gcc -dumpversion 2>/dev/null), z3 $(z3 --version 2>/dev/null | cut -d' ' -f3), ruby $(ruby -e 'print RUBY_VERSION' 2>/dev/null), lua $(lua5.4 -v 2>/dev/null | cut -d' ' -f2), perl $(perl -e 'print $^V' 2>/dev/null), git $(git --version 2>/dev/null | cut -d' ' -f3)"
	echo "- Programs: python3 $($python -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo '?'), sqlite3 $(sqlite3 --version 2>/dev/null | cut -d' ' -f1), redis-server $(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
} >"$raw/machine.md"
: >"$raw/skipped.md"
for s in "${skipped[@]+"${skipped[@]}"}"; do
	echo "- skipped $s" >>"$raw/skipped.md"
done
: >"$raw/cases.md"
for c in "${selected[@]}"; do
	IFS='|' read -r name group how check cmd <<<"$c"
	cmd=${cmd//$builddir\//}
	cmd=${cmd//$srcdir\//}
	cmd=${cmd//$python/python3}
	echo "| $name | $group | \`$cmd\` |" >>"$raw/cases.md"
done

full=0
if [ -z "$cases_re" ] && [ "$reps" -ge 3 ] && [ "$out" = "$default_out" ]; then
	full=1
fi
"$python" "$srcdir/bench/report.py" --raw "$raw" --out "$out" --reps "$reps" \
	--allocators "${active[*]}" --command "$cmdline" --invoked-by "${KSB_INVOKED_BY:-}" \
	--elapsed "$elapsed" \
	${cg:+--callgrind "$cg"}
if command -v gnuplot >/dev/null; then
	gnuplot "$raw/ratios.gp" || echo "compare: gnuplot failed; no chart" >&2
else
	echo "compare: gnuplot not installed; no chart" >&2
fi
if [ "$full" = 1 ]; then
	sed 's#](ratios.png)#](results/ratios.png)#' "$out/RESULTS.md" >"$srcdir/bench/RESULTS.md"
	echo "compare: wrote $srcdir/bench/RESULTS.md"
fi
echo "compare: wrote $out/RESULTS.md in $elapsed s of runs"
