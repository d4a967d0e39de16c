// SPDX-License-Identifier: BSD-2-Clause
/*
 * fork_threads.c - fork() 200 times from a process whose 4 other threads
 * are allocating and freeing all the while.  Each child mallocs and frees a
 * few MB (small blocks, page-sized ones and a large one), checks them and
 * exits 0.  A child that deadlocks on a lock some thread held at fork time
 * is killed by its own alarm after 30 s and fails the test (run-test's
 * timeout is the last resort).  The workers pause briefly every few hundred
 * operations so that, on 2 cores, the forking thread gets its turn.
 *
 * fork_caches does the same while the other threads create, use and
 * destroy object caches (ks_cache_create), the process's first among
 * them: a lock that guarded a first use, and that the fork handlers did
 * not take, would stay held in the child, which hangs when it makes a
 * cache of its own.  Skipped where kslab is not in the process.
 */
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include "stress.h"

enum { NFORKS = 200, NWORKERS = 4, CHILD_TIMEOUT_S = 30 };

static volatile int stop;

static void *worker(void *arg)
{
	uint64_t rng = 0x5555ull + (uint64_t)(intptr_t)arg;
	void *slot[256] = { 0 };
	size_t size[256] = { 0 };

	for (unsigned long op = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED);
	     op++) {
		int i = (int)rng_below(&rng, 256);

		if (op % 256 == 0) {
			struct timespec ts = { 0, 200 * 1000 };

			nanosleep(&ts, NULL);
		}

		if (slot[i]) {
			size_t off = pattern_check(slot[i], size[i]);

			if (off != size[i]) {
				fprintf(stderr, "worker: block %p size %zu corrupt "
				        "at byte %zu\n", slot[i], size[i], off);
				abort();
			}
			free(slot[i]);
			slot[i] = NULL;
		} else {
			uint64_t r = rng_below(&rng, 100);

			size[i] = r == 0 ? (1u << 20) + 1 :
			          r < 10 ? 1 + rng_below(&rng, 40000) :
			                   1 + rng_below(&rng, 600);
			slot[i] = r == 1 ? memalign(4096, size[i]) : malloc(size[i]);
			if (!slot[i]) {
				fprintf(stderr, "worker: allocation of %zu failed\n",
				        size[i]);
				abort();
			}
			pattern_fill(slot[i], size[i]);
		}
	}
	for (int i = 0; i < 256; i++)
		free(slot[i]);
	return NULL;
}

/* The child: a few MB of allocation work, all checked; exit 0 if right. */
static int child_work(int round)
{
	enum { N = 2000 };
	static void *p[N];
	static size_t n[N];
	uint64_t rng = 77 + (uint64_t)round;

	for (int i = 0; i < N; i++) {
		n[i] = 1 + rng_below(&rng, i % 100 == 0 ? 100000 : 1500);
		p[i] = malloc(n[i]);
		if (!p[i])
			return 2;
		pattern_fill(p[i], n[i]);
	}
	void *big = malloc(3u << 20);
	if (!big)
		return 3;
	memset(big, 0x5a, 3u << 20);
	big = realloc(big, 5u << 20);
	if (!big)
		return 4;
	for (int i = 0; i < N; i++) {
		if (pattern_check(p[i], n[i]) != n[i])
			return 5;
		free(p[i]);
	}
	free(big);
	if (ks_check && ks_check() != 0)
		return 6;
	return 0;
}

static void t_fork_threads(void)
{
	pthread_t th[NWORKERS];
	int failed = 0;

	for (int i = 0; i < NWORKERS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			HARD_ERROR("pthread_create");
	for (int round = 0; round < NFORKS; round++) {
		int status = 0;
		pid_t pid, w;

		fflush(NULL);
		pid = fork();
		if (pid < 0)
			HARD_ERROR("fork");
		if (pid == 0) {
			/* a deadlocked child dies by SIGALRM */
			alarm(CHILD_TIMEOUT_S);
			_exit(child_work(round));
		}
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w < 0)
			HARD_ERROR("waitpid");
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			CHECK_MSG(0, "fork round %d: child hung for %d s "
			          "(deadlock after fork)", round, CHILD_TIMEOUT_S);
			failed++;
			break;
		}
		if (!CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		               "fork round %d: child ended with status %#x "
		               "(exit %d, signal %d)", round, status,
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		               WIFSIGNALED(status) ? WTERMSIG(status) : 0)) {
			if (++failed >= 5)
				break;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(failed, 0);
	CHECK_KSLAB_CONSISTENT("fork");
}

extern __typeof__(ks_cache_create) ks_cache_create __attribute__((weak));
extern __typeof__(ks_cache_destroy) ks_cache_destroy __attribute__((weak));
extern __typeof__(ks_cache_alloc) ks_cache_alloc __attribute__((weak));
extern __typeof__(ks_cache_free) ks_cache_free __attribute__((weak));

/* Make a cache, fill a few objects, check and free them, destroy it:
 * 0 if all of it worked. */
static int cache_round(unsigned seed)
{
	enum { N = 64 };
	size_t size = 24 + seed % 200;
	ks_cache_t *c = ks_cache_create("fork-test", size, 0, 0, NULL);
	void *obj[N];

	if (!c)
		return 1;
	for (int i = 0; i < N; i++) {
		if (!(obj[i] = ks_cache_alloc(c, 0)))
			return 2;
		pattern_fill(obj[i], size);
	}
	for (int i = 0; i < N; i++) {
		if (pattern_check(obj[i], size) != size)
			return 3;
		ks_cache_free(c, obj[i]);
	}
	return ks_cache_destroy(c) == 0 ? 0 : 4;
}

static void *cache_worker(void *arg)
{
	unsigned seed = (unsigned)(intptr_t)arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (cache_round(seed++) != 0) {
			fprintf(stderr, "cache worker: a cache round failed\n");
			abort();
		}
	}
	return NULL;
}

static void t_fork_caches(void)
{
	enum { NCACHE_FORKS = 300 };
	pthread_t th[2];
	int failed = 0;

	if (!ks_cache_create)
		SKIP("kslab is not in this process");
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, cache_worker, (void *)(intptr_t)(i * 1000)))
			HARD_ERROR("pthread_create");
	for (int round = 0; round < NCACHE_FORKS && failed < 5; round++) {
		int status = 0;
		pid_t pid, w;

		pid = fork();
		if (pid < 0)
			HARD_ERROR("fork");
		if (pid == 0) {
			alarm(CHILD_TIMEOUT_S);
			_exit(cache_round((unsigned)round) ? 7 : child_work(round));
		}
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w < 0)
			HARD_ERROR("waitpid");
		if (!CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		               "fork round %d: child ended with status %#x "
		               "(exit %d, signal %d; SIGALRM %d is a deadlock)", round,
		               status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		               WIFSIGNALED(status) ? WTERMSIG(status) : 0, SIGALRM))
			failed++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(failed, 0);
	CHECK_KSLAB_CONSISTENT("fork with caches");
}

static const struct harness_case cases[] = {
	{ "fork_threads", t_fork_threads },
	{ "fork_caches", t_fork_caches },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
