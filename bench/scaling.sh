#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scaling.sh - the thread patterns of the magazine layer (issue 4), side by
# side: thread-local churn with 1 thread, 2 threads and 2 processes, and a
# producer/consumer pair, under each allocator, in interleaved rounds.
#
#   bench/scaling.sh [--builddir DIR] [--rounds N] [--pairs N]
#                    [--allocators "a b ..."] [--window W]
#
# One round runs, for every allocator in turn, `threads -m local -t 1`,
# `-t 2`, `-p 2` and `threads -m prodcons`, so the four runs of an allocator
# sit within a second or two of each other.  This machine is a shared VM
# whose speed changes from one second to the next (its two CPUs are at
# times one core's two hyperthreads), so a ratio of two medians taken
# minutes apart says little; the ratios below are medians of the ratios
# within each round:
#
#   2t/1t   throughput of 2 threads over 1 thread (issue 4 asks >= 1.8)
#   2p/1t   2 processes that share nothing over 1: how far this machine
#           lets two copies of this loop scale at all, the ceiling of 2t/1t
#   2t/2p   2 threads over 2 processes: what the allocator's threads cost
#           each other (1.00: nothing)
#
# Throughputs are Mpairs/s, the median over the rounds.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$srcdir/bench/lib.sh"

builddir='' rounds=11 pairs=10m window=256
allocators="kslab glibc jemalloc mimalloc"
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--pairs) pairs=$2; shift ;;
	--window) window=$2; shift ;;
	--allocators) allocators=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) ksb_die "unknown option $1 (see --help)" ;;
	esac
	shift
done
builddir=$(ksb_find_builddir "$builddir")
threads=$builddir/bench/workloads/threads
[ -x "$threads" ] || ksb_die "$threads is missing: run make bench"

active=()
for a in $allocators; do
	if ksb_preload_path "$a" "$builddir" >/dev/null; then
		active+=("$a")
	else
		echo "scaling: skipping $a ($(ksb_preload_path "$a" "$builddir"))" >&2
	fi
done

data=$(mktemp)
trap 'rm -f "$data"' EXIT

# metric ALLOCATOR ARGS...: the Mpairs/s the threads workload prints.
metric() {
	local lib
	lib=$(ksb_preload_path "$1" "$builddir")
	shift
	LD_PRELOAD=$lib "$threads" "$@" | awk '/^METRIC/ { print $3 }'
}

for ((r = 1; r <= rounds; r++)); do
	for a in "${active[@]}"; do
		t1=$(metric "$a" -m local -t 1 -n "$pairs" -w "$window")
		t2=$(metric "$a" -m local -t 2 -n "$pairs" -w "$window")
		p2=$(metric "$a" -m local -p 2 -n "$pairs" -w "$window")
		pc=$(metric "$a" -m prodcons -n "$pairs")
		[ -n "$t1" ] && [ -n "$t2" ] && [ -n "$p2" ] && [ -n "$pc" ] ||
			ksb_die "a threads run under $a failed"
		echo "$a $t1 $t2 $p2 $pc" >>"$data"
	done
	echo "scaling: round $r/$rounds done" >&2
done

python3 - "$data" "$rounds" "$pairs" "$window" "${active[@]}" <<'EOF'
import statistics as st
import sys

path, rounds, pairs, window, allocs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
rows = {a: [] for a in allocs}
for line in open(path):
    a, *v = line.split()
    rows[a].append([float(x) for x in v])
print("Thread patterns, %s rounds of %s pairs per thread (window %s), interleaved;"
      % (rounds, pairs, window))
print("medians over the rounds; ratios are medians of each round's own ratio.")
print()
print("| allocator | local 1t | local 2t | local 2p | prodcons | 2t/1t | 2p/1t (ceiling) | 2t/2p |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for a in allocs:
    r = rows[a]
    med = [st.median(x[i] for x in r) for i in range(4)]
    ratio = lambda i, j: st.median(x[i] / x[j] for x in r)
    print("| %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f |"
          % (a, med[0], med[1], med[2], med[3], ratio(1, 0), ratio(2, 0), ratio(1, 2)))
EOF
