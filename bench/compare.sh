#!/usr/bin/env bash
# compare.sh - run every bench workload under kslab, glibc, jemalloc,
# mimalloc and tcmalloc and write bench/results/.
#
#   bench/compare.sh [--builddir DIR] [--reps N] [--allocators "a b ..."]
#                    [--cases REGEX] [--out DIR] [--timeout S]
#                    [--no-callgrind] [--no-build] [--no-install]
#
# Each case runs under bench/runner (wall time, peak RSS from wait4, exit
# status, timeout), with the allocator preloaded (LD_PRELOAD) into the
# program measured: directly for the C workloads and python, through
# KSB_PRELOAD for the scripts that start sqlite3 and redis-server.
# Repetitions are interleaved - rep 1 of every case under every allocator,
# then rep 2 - so a slow minute of the machine hits all allocators alike.
# A run that crashes, times out (--timeout, default 60 s) or exits non-zero
# makes its cell FAIL; a case that timed out is not run again in later
# reps.  An allocator whose library is missing is skipped, and the report
# says so.
#
# Writes (DIR defaults to <srcdir>/bench/results):
#   DIR/raw/         every run's stdout, stderr and runner line; runs.tsv,
#                    metrics.tsv (git-ignored)
#   DIR/RESULTS.md   the tables: median time and peak RSS, ratios to glibc,
#                    geometric means, reported metrics, the machine
#   DIR/ratios.png   the chart of the ratios (gnuplot)
# and, after a full run (every case, at least 3 reps, default output),
# bench/RESULTS.md, the copy the README links.
#
# Sized to finish in under 15 minutes on a 2-core machine with the default
# 5 reps (about 2 minutes a rep).
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$srcdir/bench/lib.sh"

builddir='' reps=5 allocators=$KSB_ALLOCATORS cases_re='' out='' timeout=60
callgrind=1 build=1 install=1
cmdline="bench/compare.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift ;;
	--reps) reps=$2; shift ;;
	--allocators) allocators=$2; shift ;;
	--cases) cases_re=$2; shift ;;
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
default_out=$srcdir/bench/results
out=${out:-$default_out}

if [ "$install" = 1 ]; then
	ksb_install_missing python3 sqlite3 redis-server redis-tools gnuplot-nox valgrind \
		libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
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

# name | how the allocator gets in (pre: LD_PRELOAD on the command; env:
# KSB_PRELOAD for a script; envg: the same, and glibc gets the glibc-malloc
# shim because the program is linked with jemalloc) | command
CASES=(
	"larson|pre|$W/larson -t 2 -n 5000 -g 10 -k 1m -s 8 -S 1000"
	"xmalloc-test|pre|$W/xmalloc-test -p 1 -c 1 -n 5m -s 32 -S 512"
	"cache-scratch|pre|$W/false-sharing -m scratch -t 2 -i 1000 -s 8 -r 50000"
	"cache-thrash|pre|$W/false-sharing -m thrash -t 2 -i 1000 -s 8 -r 50000"
	"alloc-test|pre|$W/alloc-test -t 2 -i 1m -w 4000 -x 1000"
	"frag|pre|$W/frag -m 300m -s 16 -S 512 -k 20"
	"thread-churn|pre|$W/thread-churn -r 3000 -w 4 -n 200"
	"realloc-double|pre|$W/realloc-growth -m double -l 1g -r 1"
	"realloc-step|pre|$W/realloc-growth -m step -l 64m -i 4k -r 8"
	"rss-decay|pre|$W/rss-decay -m 1g -s 64 -S 1m -d 2500"
	"local-1t|pre|$W/threads -m local -t 1 -n 20m"
	"local-2t|pre|$W/threads -m local -t 2 -n 20m"
	"local-2p|pre|$W/threads -m local -p 2 -n 20m"
	"prodcons|pre|$W/threads -m prodcons -n 1m"
	"python|pre|env PYTHONMALLOC=malloc $python $R/python-workload.py 1"
	"sqlite|env|bash $R/sqlite.sh 300000"
	"redis|envg|bash $R/redis.sh 200000"
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

selected=()
for c in "${CASES[@]}"; do
	name=${c%%|*}
	if [ -z "$cases_re" ] || [[ $name =~ $cases_re ]]; then
		selected+=("$c")
	fi
done
[ ${#selected[@]} -gt 0 ] || ksb_die "no case matches $cases_re"

raw=$out/raw
mkdir -p "$raw"
rm -f "$raw"/*.out "$raw"/*.err "$raw"/runs.tsv "$raw"/metrics.tsv
printf 'case\tallocator\trep\tstatus\tcode\twall\tmaxrss_kb\n' >"$raw/runs.tsv"
printf 'case\tallocator\trep\tmetric\tvalue\tunit\n' >"$raw/metrics.tsv"

total=$(( ${#selected[@]} * ${#active[@]} * reps ))
echo "compare: ${#selected[@]} cases x ${#active[@]} allocators x $reps reps = $total runs"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
n=0
declare -A hung=()
for rep in $(seq "$reps"); do
	for c in "${selected[@]}"; do
		IFS='|' read -r name how cmd <<<"$c"
		for a in "${active[@]}"; do
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
				line="status=timeout code=0 wall=0 maxrss_kb=0"
				echo "skipped: timed out in rep ${hung[$name.$a]}" >"$base.err"
				: >"$base.out"
			else
				# shellcheck disable=SC2086
				line=$(KSB_PRELOAD=$envpre "$runner" -t "$timeout" -p "$pre" -o "$base.out" -- \
					$cmd 2>"$base.err" || true)
			fi
			[ -n "$line" ] || line="status=runner-failed code=0 wall=0 maxrss_kb=0"
			echo "$line" >"$base.run"
			st=${line#status=}; st=${st%% *}
			code=${line#*code=}; code=${code%% *}
			wall=${line#*wall=}; wall=${wall%% *}
			rss=${line#*maxrss_kb=}
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$a" "$rep" "$st" "$code" "$wall" "$rss" >>"$raw/runs.tsv"
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
	bash "$srcdir/bench/callgrind.sh" --builddir "$builddir" --allocators "${active[*]}" \
		--no-build --out "$raw/callgrind.md" || echo "compare: callgrind.sh failed" >&2
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
	echo "- Programs: python3 $($python -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo '?'), sqlite3 $(sqlite3 --version 2>/dev/null | cut -d' ' -f1), redis-server $(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
} >"$raw/machine.md"
: >"$raw/skipped.md"
for s in "${skipped[@]+"${skipped[@]}"}"; do
	echo "- skipped $s" >>"$raw/skipped.md"
done
: >"$raw/cases.md"
for c in "${selected[@]}"; do
	IFS='|' read -r name how cmd <<<"$c"
	cmd=${cmd//$builddir\//}
	cmd=${cmd//$srcdir\//}
	cmd=${cmd//$python/python3}
	echo "| $name | \`$cmd\` |" >>"$raw/cases.md"
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
