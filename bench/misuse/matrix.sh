#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# matrix.sh - how many heap misuses each allocator catches: every case of
# bench/misuse/misuse-cases.c (46 of them: 13 misuses at 8 B, 4 KiB and
# 256 KiB, and 7 unsized) run once under glibc, kslab as it is, kslab with
# KSLAB_OPTIONS=strict and with KSLAB_OPTIONS=debug, and whichever of
# jemalloc, mimalloc and tcmalloc are installed.  A case is caught if the program does not reach its end: an
# abort (with a report) or a fault at the bad access.
#
#   bench/misuse/matrix.sh [--builddir DIR] [--table]
#
# Prints a line per allocator (caught, of how many, reports, faults), and
# with --table the whole matrix (R report and abort, F fault, . missed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=.
table=0
while (($#)); do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--table) table=1; shift ;;
	*) echo "usage: $0 [--builddir DIR] [--table]" >&2; exit 2 ;;
	esac
done
lib=$(cd "$builddir" && pwd)/.libs/libkslab.so
[[ -r $lib ]] || { echo "matrix.sh: no $lib (build kslab first)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -O1 -w -pthread -o "$dir/cases" "$here/misuse-cases.c" || exit 2
mapfile -t cases < <("$dir/cases" LIST)

names=(glibc kslab kslab-strict kslab-debug)
preload=("" "$lib" "$lib" "$lib")
opts=("" "" "strict" "debug")
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for peer in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
	so=/usr/lib/$multiarch/${peer#*:}
	[[ -r $so ]] && { names+=("${peer%%:*}"); preload+=("$so"); opts+=(""); }
done

declare -A res
for c in "${cases[@]}"; do
	for i in "${!names[@]}"; do
		{ (ulimit -c 0; KSLAB_OPTIONS=${opts[$i]} LD_PRELOAD=${preload[$i]} \
			exec timeout 20 "$dir/cases" "$c" >/dev/null 2>"$dir/err"); } 2>/dev/null
		rc=$?
		if ((rc == 0)); then
			res[$c,$i]=.
		elif ((rc == 139 || rc == 135)); then
			res[$c,$i]=F           # SIGSEGV, SIGBUS at the access
		else
			res[$c,$i]=R           # an abort, a report, an exit
		fi
	done
done

if ((table)); then
	printf "%-30s" case
	printf " %-11s" "${names[@]}"
	echo
	for c in "${cases[@]}"; do
		printf "%-30s" "$c"
		for i in "${!names[@]}"; do printf " %-11s" "${res[$c,$i]}"; done
		echo
	done
	echo
fi
for i in "${!names[@]}"; do
	r=0 f=0
	for c in "${cases[@]}"; do
		[[ ${res[$c,$i]} == R ]] && ((r++))
		[[ ${res[$c,$i]} == F ]] && ((f++))
	done
	printf "%-12s caught %2d of %d (%d by a report and abort, %d by a fault)\n" \
		"${names[$i]}" $((r + f)) ${#cases[@]} $r $f
done
