#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# callgrind.sh - instructions per malloc+free pair, counted exactly by
# valgrind --tool=callgrind, for every allocator side by side.
#
#   bench/callgrind.sh [--builddir DIR] [--allocators "a b ..."] [--with NAME=PATH.so]...
#                      [--n1 N] [--n2 N] [--out FILE] [--no-build]
#
# Runs bench/micro/pairs (a loop of malloc + free, the pointer escaping so
# nothing is optimised away) with the allocator preloaded, at N1 and N2
# iterations, and reports (Ir(N2) - Ir(N1)) / (N2 - N1): startup, the
# allocator's initialisation and teardown cancel out.  Four loops:
#   malloc(32)+free      every pair the same size class
#   16..1024 B cycle     sizes 16, 32, ..., 1024, one after another
#   batches of 64        64 malloc(32), then their 64 frees: deeper than
#                        the top of a magazine or a free list
#   empty loops          the same loops without the calls: their cost is
#                        taken off in the "net" columns
# Prints a markdown table on stdout (and to FILE with --out).
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$srcdir/bench/lib.sh"

builddir='' allocators=$KSB_ALLOCATORS n1=200000 n2=1200000 out='' build=1
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift ;;
	--allocators) allocators=$2; shift ;;
	--with) ksb_add_extra "$2"; allocators="$allocators ${2%%=*}"; shift ;;
	--n1) n1=$2; shift ;;
	--n2) n2=$2; shift ;;
	--out) out=$2; shift ;;
	--no-build) build=0 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) ksb_die "unknown option $1 (see --help)" ;;
	esac
	shift
done
builddir=$(ksb_find_builddir "$builddir")
command -v valgrind >/dev/null || ksb_install_missing valgrind
command -v valgrind >/dev/null || ksb_die "valgrind is not installed"
if [ "$build" = 1 ]; then
	make -C "$builddir" -s bench/micro/pairs >/dev/null || ksb_die "cannot build bench/micro/pairs"
fi
pairs=$builddir/bench/micro/pairs
[ -x "$pairs" ] || ksb_die "$pairs is missing: run make bench"
[ "$n2" -gt "$n1" ] || ksb_die "--n2 must be larger than --n1"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ksb-cg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ir LIB MODE N: total instructions of one run ("" when it failed).
ir() {
	local lib=$1 mode=$2 n=$3 f=$tmp/cg.$RANDOM$RANDOM
	if ! LD_PRELOAD=$lib valgrind --tool=callgrind --callgrind-out-file="$f" \
		"$pairs" "$mode" "$n" >"$tmp/log" 2>&1; then
		tail -3 "$tmp/log" >&2
		echo ""
		return
	fi
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
}

# per LIB MODE: instructions per iteration, to one decimal.
per() {
	local a b
	a=$(ir "$1" "$2" "$n1")
	b=$(ir "$1" "$2" "$n2")
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo FAIL
		return
	fi
	awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" 'BEGIN { printf "%.1f", (b - a) / (n2 - n1) }'
}

loop=$(per "" empty)
loopc=$(per "" empty-cycle)
loopb=$(per "" empty-batch)
# net GROSS LOOP: the figure without the loop's own instructions.
net() {
	case $1 in
	FAIL) echo FAIL ;;
	*) awk -v g="$1" -v l="$2" 'BEGIN { printf "%.1f", g - l }' ;;
	esac
}
table="| allocator | malloc(32)+free | same, net of loop | 16..1024 B cycle | same, net of loop | batches of 64 | same, net of loop |
|---|---:|---:|---:|---:|---:|---:|"
for a in $allocators; do
	if ! lib=$(ksb_preload_path "$a" "$builddir"); then
		echo "skipping $a: $lib" >&2
		table+="
| $a | skipped: $lib | | | | | |"
		continue
	fi
	fixed=$(per "$lib" fixed)
	cycle=$(per "$lib" cycle)
	batch=$(per "$lib" batch)
	table+="
| $a | $fixed | $(net "$fixed" "$loop") | $cycle | $(net "$cycle" "$loopc") | $batch | $(net "$batch" "$loopb") |"
done
text="$table

Instructions per iteration, (Ir(N2) - Ir(N1)) / (N2 - N1) with N1 = $n1, N2 = $n2,
counted by \`valgrind --tool=callgrind\` ($(valgrind --version)) on \`bench/micro/pairs\`;
the net columns take off the loop's own instructions ($loop per iteration for the
fixed size, $loopc for the cycle, $loopb for the batches), measured by the same loops
with no calls.
Produced by \`bench/callgrind.sh\`."
echo "$text"
if [ -n "$out" ]; then
	echo "$text" >"$out"
fi
