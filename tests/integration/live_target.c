// SPDX-License-Identifier: BSD-2-Clause
/*
 * live_target.c - a process for live-view.sh to look at: it holds 1000
 * objects of a cache named "live-test", forks a child that holds 500 of
 * its own "live-child" cache, and both malloc and free for a second and a
 * half (a process gets its live page at its first malloc tick after its
 * first second; the child's second starts at the fork) before the parent
 * prints "ready PARENT CHILD"; then both go on for SECS seconds (so that
 * their malloc ticks write fresh snapshots) before they exit.  Linked
 * with kslab.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kslab.h"

static void hold(const char *name, int n)
{
	ks_cache_t *c = ks_cache_create(name, 200, 0, 0, NULL);
	if (!c)
		exit(3);
	for (int i = 0; i < n; i++)
		if (!ks_cache_alloc(c, 0))
			exit(4);
}

static void churn(double secs)
{
	struct timespec t0, t;
	void *keep[1024] = { 0 };
	unsigned i = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		free(keep[i % 1024]);
		keep[i % 1024] = malloc(16 + (i * 37) % 1000);
		if (++i % 4096 == 0) {
			struct timespec nap = { 0, 1000 * 1000 };
			nanosleep(&nap, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	int status = 0;
	pid_t child;

	hold("live-test", 1000);
	fflush(stdout);
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		hold("live-child", 500);
		churn(secs + 1.5);
		_exit(0);
	}
	churn(1.6);
	printf("ready %d %d\n", (int)getpid(), (int)child);
	fflush(stdout);
	churn(secs);
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
