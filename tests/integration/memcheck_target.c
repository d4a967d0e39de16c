// SPDX-License-Identifier: BSD-2-Clause
/*
 * memcheck_target.c - a program tests/integration/memcheck.sh runs under
 * valgrind's memcheck: it uses an object cache and kmalloc wrongly, once
 * each way memcheck can tell of, and kslab's client requests must let it
 * tell: a write into a freed cache object, a read past a kmalloc block, an
 * uninitialised cache object read, and ten cache objects and a large
 * kmalloc block leaked.
 */
#include <stdio.h>
#include <string.h>

#include "kslab.h"

static ks_cache_t *cache;

__attribute__((noinline)) static void leak_objects(void)
{
	for (int i = 0; i < 10; i++) {
		long *p = ks_cache_alloc(cache, 0);
		if (p)
			p[0] = i;
	}
	char *big = ks_kmalloc(100000, 0);
	if (big)
		big[0] = 1;
}

__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char buf[8192];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

int main(void)
{
	cache = ks_cache_create("memcheck-test", 48, 0, 0, NULL);
	if (!cache)
		return 2;
	long *volatile o = ks_cache_alloc(cache, 0);
	o[0] = 1;
	ks_cache_free(cache, (void *)o);
	o[1] = 2;                                   /* write after free */

	char *volatile k = ks_kmalloc(40, 0);
	memset(k, 1, 40);
	if (k[40] == 7)                             /* read past the end */
		puts("seven");
	ks_kfree(k);

	long *volatile u = ks_cache_alloc(cache, 0);
	if (u[2] == 5)                              /* never written */
		puts("five");
	ks_cache_free(cache, (void *)u);

	leak_objects();
	scrub_stack();
	return 0;
}
