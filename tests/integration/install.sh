#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# install.sh - `make install` into a staging root (DESTDIR), then what was
# installed used as a user would: a program compiled with
# `pkg-config --cflags --libs kslab` against the installed header and
# library, run; `kslab run` from the installed tree (which finds the
# library installed beside it); `kslab --version`; an installed man page
# rendered; gdb's auto-load script for the library.  Run from the top build directory (make check does).
set -u
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# a make of its own, not the jobserver of the make check that runs us
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install DESTDIR="$dir/root" \
	>"$dir/install.log" 2>&1; then
	cat "$dir/install.log"
	echo "FAIL: make install DESTDIR=... failed"
	exit 1
fi
pc=$(find "$dir/root" -name kslab.pc | head -1)
so=$(find "$dir/root" -name libkslab.so | head -1)
hdr=$(find "$dir/root" -name kslab.h | head -1)
cmd=$(find "$dir/root" -path '*/bin/kslab' | head -1)
for f in pc so hdr cmd; do
	[[ -n ${!f} ]] || bad "make install did not install the $f"
done
[[ -n $(find "$dir/root" -path '*/man3/ks_kmalloc.3*') ]] || bad "no ks_kmalloc(3) installed"
[[ -n $(find "$dir/root" -path '*/man7/kslab.7*') ]] || bad "no kslab(7) installed"
auto=$(find "$dir/root" -path "*/gdb/auto-load/*/$(basename "$(readlink -f "$so")")-gdb.py" | head -1)
[[ -n $auto ]] || bad "no gdb auto-load script named after the library"
[[ -n $auto ]] && ! grep -q 'share/kslab/kslab-gdb.py' "$auto" &&
	bad "the auto-load script does not source the helper"
((fail)) && exit 1

libdir=$(dirname "$so")
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config \
	--define-variable=libdir="$libdir" \
	--define-variable=includedir="$(dirname "$hdr")" --cflags --libs kslab) ||
	bad "pkg-config does not know the installed kslab.pc"
cat >"$dir/user.c" <<'EOF'
#include <kslab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	ks_cache_t *c = ks_cache_create("user-cache", 40, 0, 0, NULL);
	char *p = ks_kmalloc(100, KS_GFP_ZERO), *q = malloc(50);

	if (!c || !p || !q || p[99])
		return 1;
	void *o = ks_cache_alloc(c, 0);
	if (!o)
		return 2;
	strcpy(q, "hello");
	ks_cache_free(c, o);
	if (ks_cache_destroy(c) != 0 || ks_check() != 0)
		return 3;
	ks_kfree(p);
	printf("%s from kslab %s\n", q, ks_version());
	free(q);
	return 0;
}
EOF
# shellcheck disable=SC2086
if cc -o "$dir/user" "$dir/user.c" $flags 2>"$dir/cc.log"; then
	out=$(LD_LIBRARY_PATH=$libdir "$dir/user") || bad "the program built against the installed kslab failed"
	[[ $out == "hello from kslab "* ]] || bad "the program printed: $out"
	ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$dir/user")
	grep -q "$libdir/libkslab.so" <<<"$ldd_out" || bad "the program is not linked with the installed library: $ldd_out"
else
	cat "$dir/cc.log"
	bad "cc with \`pkg-config --cflags --libs kslab\` failed"
fi

ver=$("$cmd" --version) || bad "kslab --version failed"
[[ $ver == kslab* ]] || bad "kslab --version printed: $ver"
# no KSLAB_LIB: the command finds the library installed beside it
out=$(env -u KSLAB_LIB "$cmd" run sort -n <(seq 3000 | sort -R))
[[ $out == "$(seq 3000)" ]] || bad "kslab run sort -n gave the wrong output"
# (sort closes stderr before it exits, as coreutils do: bash for the report)
env -u KSLAB_LIB "$cmd" run --stats bash -c 'echo $((6 * 7))' >"$dir/out" 2>"$dir/stats"
[[ $(cat "$dir/out") == 42 ]] || bad "kslab run bash gave the wrong output"
grep -q "kslab .* statistics" "$dir/stats" || bad "kslab run --stats printed no report: $(head -3 "$dir/stats")"
maps=$(env -u KSLAB_LIB "$cmd" run cat /proc/self/maps)
grep -q "$libdir/libkslab.so" <<<"$maps" || bad "kslab run did not preload the installed library"

if command -v man >/dev/null; then
	page=$(find "$dir/root" -path '*/man3/ks_kmalloc.3*' | head -1)
	MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "KS_GFP_ATOMIC" ||
		bad "the installed ks_kmalloc(3) does not render"
fi
((fail)) && exit 1
echo "PASS: installed into a staging root, built and ran a program with pkg-config, ran kslab run"
exit 0
