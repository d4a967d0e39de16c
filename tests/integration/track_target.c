// SPDX-License-Identifier: BSD-2-Clause
/*
 * track_target.c - the program tests/integration/track.sh runs with kslab
 * preloaded under KSLAB_OPTIONS=track, log and leaks.  Each mode prints
 * the addresses of the functions that allocate and free (so the script
 * can tell that the callers kslab reports are inside them), then does one
 * thing:
 *   double   make(40), drop() it twice
 *   uaf      make(40), drop() it, write into it, then churn until kslab
 *            finds the broken poison
 *   leaks    leak_small() 3 blocks of 100 bytes, leak_big() one of
 *            300000 and one of 5 MiB, and exit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void *make(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) static void drop(void *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");
}

static void *volatile keep[8];

__attribute__((noinline)) static void leak_small(void)
{
	for (int i = 0; i < 3; i++) {
		keep[i] = malloc(100);
		__asm__ volatile("" ::: "memory");
	}
}

__attribute__((noinline)) static void leak_big(void)
{
	keep[3] = malloc(300000);
	__asm__ volatile("" ::: "memory");
	keep[4] = malloc(5 << 20);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	printf("make %p drop %p leak_small %p leak_big %p\n", (void *)make, (void *)drop,
	       (void *)leak_small, (void *)leak_big);
	fflush(stdout);
	if (!strcmp(mode, "double")) {
		char *p = make(40);
		strcpy(p, "x");
		drop(p);
		drop(p);
	} else if (!strcmp(mode, "uaf")) {
		char *p = make(40);
		drop(p);
		p[3] = 'x';
		for (int i = 0; i < 100000; i++)
			free(malloc(40));
	} else if (!strcmp(mode, "leaks")) {
		leak_small();
		leak_big();
		return 0;
	} else {
		fprintf(stderr, "usage: track_target double|uaf|leaks\n");
		return 2;
	}
	return 1;     /* the misuse should have stopped us */
}
