#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# layers.sh - the layer table of src/internal.h, checked against the objects.
#
# internal.h lists, for each file of the library, the files it may call.
# This test reads that table and the symbols of the built objects (nm), and
# fails, naming the symbol, on:
#   - a cycle in the table itself (tsort);
#   - a call from one file to another that the table does not allow (an
#     upward call, or a new edge nobody wrote down);
#   - a global symbol ks_[a-z]* that is not a function of include/kslab.h
#     (internal names are ks__*), or a use of one below api and malloc;
#   - a dynamic symbol of libkslab.so that is neither glibc's allocation
#     interface, jemalloc's (jemalloc.c), operator new/delete, nor in
#     kslab.h; or a function of
#     kslab.h that the library does not export.
# Run from the top build directory (make check does); srcdir is the top
# source directory.
set -u
src=${srcdir:-.}
header=$src/src/internal.h
public_h=$src/include/kslab.h
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- the table ------------------------------------------------------------
table=$(awk '/^ \*   file +may call$/ { on = 1; next }
	on && /^ \*\/$/ { exit }
	on && /^ \*   [a-z_]+ / { sub(/^ \*   /, ""); print }' "$header")
if [ -z "$table" ]; then
	echo "ERROR: no layer table in $header"
	exit 99
fi
declare -A allowed=()
pairs=""
while read -r file callees; do
	allowed[$file]=" $callees "
	for c in $callees; do
		[ "$c" = - ] && continue
		pairs+="$file $c"$'\n'
	done
done <<<"$table"
if ! printf '%s' "$pairs" | tsort >/dev/null 2>/tmp/layers.$$; then
	bad "the layer table has a cycle: $(tr '\n' ' ' </tmp/layers.$$)"
fi
rm -f /tmp/layers.$$

# ---- the objects ----------------------------------------------------------
core=.libs/libkslab_core.a
if [ ! -f "$core" ]; then
	echo "ERROR: $core not found (run from the top build directory after make)"
	exit 99
fi
objs=$(mktemp -d)
trap 'rm -rf "$objs"' EXIT
(cd "$objs" && ar x "$OLDPWD/$core")
for o in malloc.o jemalloc.o libkslab_la-new.o; do
	for d in src/.libs src; do
		if [ -f "$d/$o" ]; then cp "$d/$o" "$objs/${o#libkslab_la-}"; break; fi
	done
done
nobj=0
for o in "$objs"/*.o; do
	f=$(basename "$o" .o)
	[ -n "${allowed[$f]+x}" ] || bad "object $f.o is not in the layer table of internal.h"
	nobj=$((nobj + 1))
done

declare -A owner=()
while read -r o sym; do owner[$sym]=$o; done < <(
	for o in "$objs"/*.o; do
		nm --defined-only -g "$o" | awk -v f="$(basename "$o" .o)" 'NF == 3 { print f, $3 }'
	done)

edges=0
for o in "$objs"/*.o; do
	f=$(basename "$o" .o)
	for sym in $(nm -u "$o" | awk '{ print $2 }'); do
		to=${owner[$sym]:-}
		[ -z "$to" ] || [ "$to" = "$f" ] && continue
		edges=$((edges + 1))
		case ${allowed[$f]:-} in
		*" $to "*) ;;
		*) bad "$f calls $to ($sym), which the layer table does not allow" ;;
		esac
		case $sym in
		ks_[a-z]*)
			case $f in
			api|malloc|jemalloc|new) ;;
			*) bad "$f uses the public $sym: the core calls the ks__ internals" ;;
			esac ;;
		esac
	done
done

# ---- names ----------------------------------------------------------------
public=$(grep -oE '\bks_[a-z][a-z0-9_]*[[:space:]]*\(' "$public_h" | tr -d '( \t' | sort -u)
for sym in "${!owner[@]}"; do
	case $sym in
	ks_[a-z]*)
		grep -qx "$sym" <<<"$public" ||
			bad "${owner[$sym]}.o defines the global $sym, which kslab.h does not declare (internal names are ks__)" ;;
	esac
done

lib=.libs/libkslab.so
if [ -f "$lib" ]; then
	glibc="malloc free calloc realloc reallocarray memalign posix_memalign
	aligned_alloc valloc pvalloc malloc_usable_size free_sized
	free_aligned_sized malloc_trim malloc_stats malloc_info mallinfo mallinfo2
	mallopt cfree __libc_malloc __libc_free __libc_calloc __libc_realloc
	__libc_memalign __libc_valloc __libc_pvalloc __libc_mallinfo __libc_mallopt
	mallocx rallocx xallocx sallocx dallocx sdallocx nallocx mallctl
	mallctlnametomib mallctlbymib malloc_stats_print"
	exported=$(nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//')
	for sym in $exported; do
		case $sym in
		_Znw*|_Zna*|_Zdl*|_Zda*) continue ;;
		esac
		grep -qw -- "$sym" <<<"$glibc" && continue
		grep -qx -- "$sym" <<<"$public" && continue
		bad "libkslab.so exports $sym, which is not glibc's, jemalloc's or kslab.h's"
	done
	for sym in $public; do
		grep -qx -- "$sym" <<<"$exported" || bad "kslab.h declares $sym but libkslab.so does not export it"
	done
else
	echo "note: $lib not built (--disable-shared?): exports not checked"
fi

echo "$nobj objects, $edges cross-file references, $(wc -l <<<"$table") layers checked"
[ $fail = 0 ] && echo "PASS" || exit 1
