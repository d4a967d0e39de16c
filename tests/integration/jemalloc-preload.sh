#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# jemalloc-preload.sh - a program written against jemalloc's API and
# linked with -ljemalloc (as Debian's redis-server is) runs wholly on kslab
# when kslab is preloaded: mallctl("version") answers kslab's version,
# mallocx/rallocx/sallocx/nallocx agree, and blocks cross between
# malloc/free and the *allocx family both ways (with two allocators in the
# process that would abort).  Skipped without jemalloc's headers.
# Run from the top build directory (make check does).
set -u
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}
[[ -r /usr/include/jemalloc/jemalloc.h ]] || { echo "SKIP: libjemalloc-dev is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/je.c" <<'C'
#include <jemalloc/jemalloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	const char *v = NULL;
	size_t len = sizeof(v);
	unsigned char *p;

	if (mallctl("version", &v, &len, NULL, 0) != 0)
		return 2;
	printf("version %s\n", v);
	p = mallocx(100, MALLOCX_ALIGN(64) | MALLOCX_ZERO);
	if (!p || (uintptr_t)p % 64)
		return 3;
	for (int i = 0; i < 100; i++)
		if (p[i])
			return 4;
	memset(p, 7, 100);
	p = rallocx(p, 5000, 0);
	if (!p || p[99] != 7 || sallocx(p, 0) != nallocx(5000, 0))
		return 5;
	free(p);                               /* an *allocx block to free() */
	dallocx(malloc(300), 0);               /* and a malloc block to dallocx */
	sdallocx(calloc(1, 40), 40, 0);
	size_t allocated = 0;
	len = sizeof(allocated);
	uint64_t epoch = 1;
	mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	if (mallctl("stats.allocated", &allocated, &len, NULL, 0) != 0)
		return 6;
	printf("ok\n");
	return 0;
}
C
cc -o "$dir/je" "$dir/je.c" -ljemalloc 2>"$dir/cc.log" ||
	{ cat "$dir/cc.log"; echo "SKIP: cannot link with -ljemalloc"; exit 77; }
alone=$(env -u LD_PRELOAD "$dir/je") || { echo "FAIL: the program fails on jemalloc itself ($?)"; exit 1; }
out=$(LD_PRELOAD=$lib "$dir/je" 2>&1)
rc=$?
fail=0
((rc == 0)) || { echo "FAIL: under kslab the program ended with $rc: $out"; fail=1; }
[[ $out == *"version ${alone#version }"* ]] && { echo "FAIL: mallctl answered jemalloc's version under kslab"; fail=1; }
grep -q "^version .*kslab" <<<"$out" || { echo "FAIL: mallctl(\"version\") is not kslab's: $out"; fail=1; }
grep -q "^ok$" <<<"$out" || fail=1
((fail)) && exit 1
echo "PASS: jemalloc's API on kslab (${alone%%$'\n'*} alone; ${out%%$'\n'*} preloaded)"
exit 0
