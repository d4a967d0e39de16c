// SPDX-License-Identifier: BSD-2-Clause
/*
 * atomic_signal.c - KS_GFP_ATOMIC inside signal handlers that interrupt
 * malloc and free on the same thread.
 *
 * The main thread mallocs, reallocs and frees blocks of random sizes and
 * allocates from an object cache, checking every block's pattern before
 * it lets go of it.  A second thread fires SIGUSR1 and SIGUSR2 at it, one
 * at a time, waiting for each to be handled: ATOMIC_SIGNALS of them (a
 * million unless the environment says otherwise; a quarter of that in the
 * preloaded build).  The two handlers do
 * not block each other, so one may interrupt the other.  Each takes blocks
 * with KS_GFP_ATOMIC (ks_kmalloc, ks_kzalloc, ks_cache_alloc, an order-0
 * page), writes and checks their pattern, keeps the last few, and gives
 * the oldest back by ks_kfree, free, ks_cache_free or ks_free_pages, or
 * hands it to the main thread, which frees it with free().  Any block
 * handed out twice, to the main thread and a handler or to two handlers,
 * shows as a broken pattern; a handler that waited for a lock the
 * interrupted malloc held would hang the test.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "stress.h"

extern __typeof__(ks_kmalloc) ks_kmalloc __attribute__((weak));
extern __typeof__(ks_kfree) ks_kfree __attribute__((weak));
extern __typeof__(ks_cache_create) ks_cache_create __attribute__((weak));
extern __typeof__(ks_cache_destroy) ks_cache_destroy __attribute__((weak));
extern __typeof__(ks_cache_alloc) ks_cache_alloc __attribute__((weak));
extern __typeof__(ks_cache_free) ks_cache_free __attribute__((weak));
extern __typeof__(ks_alloc_pages) ks_alloc_pages __attribute__((weak));
extern __typeof__(ks_free_pages) ks_free_pages __attribute__((weak));

enum { RING = 4, CACHE_SIZE = 72 };

struct held {
	void *p;
	size_t size;
	int how;                /* 0 kmalloc, 1 kzalloc, 2 cache, 3 page */
};

struct handler_state {
	uint64_t rng;
	struct held ring[RING];
	unsigned next;
};

static struct handler_state hs[2];
static ks_cache_t *cache;
static uintptr_t handoff;               /* a block for the main thread,
                                           its size in the top 16 bits */
static unsigned long handled, refused, broken;
static volatile int stop_signals;

static void give_back(struct held *h)
{
	if (pattern_check(h->p, h->size) != h->size)
		__atomic_add_fetch(&broken, 1, __ATOMIC_RELAXED);
	switch (h->how) {
	case 2:
		ks_cache_free(cache, h->p);
		break;
	case 3:
		ks_free_pages(h->p, 0);
		break;
	default:
		if (!__atomic_load_n(&handoff, __ATOMIC_ACQUIRE)) {
			uintptr_t none = 0, v = (uintptr_t)h->p | (uintptr_t)h->size << 48;
			if (__atomic_compare_exchange_n(&handoff, &none, v, false,
			                                __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				break;
		}
		if (h->size & 1)
			free(h->p);
		else
			ks_kfree(h->p);
	}
	h->p = NULL;
}

static void on_signal(int sig)
{
	int saved = errno;
	struct handler_state *s = &hs[sig == SIGUSR2];
	struct held *h = &s->ring[s->next++ % RING];
	uint64_t r = rng_next(&s->rng);

	if (h->p)
		give_back(h);
	h->how = (int)(r % 16 == 0 ? 3 : r % 16 < 4 ? 2 : r % 2);
	h->size = h->how == 3 ? 4096 : h->how == 2 ? CACHE_SIZE : 1 + (r >> 8) % 1024;
	h->p = h->how == 3 ? ks_alloc_pages(KS_GFP_ATOMIC, 0) :
	       h->how == 2 ? ks_cache_alloc(cache, KS_GFP_ATOMIC) :
	       ks_kmalloc(h->size, KS_GFP_ATOMIC | (h->how ? KS_GFP_ZERO : 0));
	if (!h->p) {
		__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
	} else {
		if (h->how == 1)
			for (size_t i = 0; i < h->size; i++)
				if (((unsigned char *)h->p)[i])
					__atomic_add_fetch(&broken, 1, __ATOMIC_RELAXED);
		pattern_fill(h->p, h->size);
	}
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
	errno = saved;
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	unsigned long n = 0, total;
	const char *env = getenv("ATOMIC_SIGNALS");

	/* a million linked; the preloaded build is the same code, a quarter */
#ifdef KS_TEST_PRELOAD
	total = env ? strtoul(env, NULL, 10) : 250000;
#else
	total = env ? strtoul(env, NULL, 10) : 1000000;
#endif
	for (; n < total && !stop_signals; n++) {
		unsigned long before = __atomic_load_n(&handled, __ATOMIC_ACQUIRE);
		if (pthread_kill(target, n % 2 ? SIGUSR2 : SIGUSR1) != 0)
			break;
		while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) == before && !stop_signals)
			;
	}
	stop_signals = 1;
	return NULL;
}

static void take_handoff(void)
{
	uintptr_t v = __atomic_exchange_n(&handoff, 0, __ATOMIC_ACQUIRE);
	void *p = (void *)(v & (((uintptr_t)1 << 48) - 1));
	size_t size = (size_t)(v >> 48);

	if (p) {
		if (pattern_check(p, size) != size)
			__atomic_add_fetch(&broken, 1, __ATOMIC_RELAXED);
		free(p);
	}
}

static void t_atomic_signal(void)
{
	enum { SLOTS = 512 };
	static void *slot[SLOTS];
	static size_t size[SLOTS];
	uint64_t rng = 0x77;
	struct sigaction sa;
	pthread_t self = pthread_self(), th;
	unsigned long ops = 0;

	if (!ks_kmalloc)
		SKIP("kslab is not in this process");
	cache = ks_cache_create("atomic-signal", CACHE_SIZE, 0, 0, NULL);
	REQUIRE(cache != NULL);
	hs[0].rng = 1;
	hs[1].rng = 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);            /* the two may nest */
	sa.sa_flags = SA_RESTART;
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0 && sigaction(SIGUSR2, &sa, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, signaller, &self) == 0);

	while (!__atomic_load_n(&stop_signals, __ATOMIC_RELAXED)) {
		int i = (int)rng_below(&rng, SLOTS);
		if (slot[i]) {
			if (pattern_check(slot[i], size[i]) != size[i])
				__atomic_add_fetch(&broken, 1, __ATOMIC_RELAXED);
			if (size[i] != CACHE_SIZE && rng_below(&rng, 4) == 0) {
				size[i] = 1 + rng_below(&rng, 3000);
				size[i] += size[i] == CACHE_SIZE;
				slot[i] = realloc(slot[i], size[i]);
				REQUIRE(slot[i] != NULL);
				pattern_fill(slot[i], size[i]);
				continue;
			}
			if (size[i] == CACHE_SIZE)
				ks_cache_free(cache, slot[i]);
			else
				free(slot[i]);
			slot[i] = NULL;
		} else {
			uint64_t r = rng_below(&rng, 100);
			size[i] = r < 20 ? CACHE_SIZE : r < 95 ? 1 + rng_below(&rng, 600)
			                                       : 1 + rng_below(&rng, 70000);
			if (size[i] == CACHE_SIZE && r >= 20)
				size[i]++;
			slot[i] = size[i] == CACHE_SIZE ? ks_cache_alloc(cache, 0) : malloc(size[i]);
			REQUIRE(slot[i] != NULL);
			pattern_fill(slot[i], size[i]);
		}
		if (++ops % 64 == 0)
			take_handoff();
	}
	pthread_join(th, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	take_handoff();
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < RING; j++)
			if (hs[k].ring[j].p)
				give_back(&hs[k].ring[j]);
	take_handoff();
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i] && pattern_check(slot[i], size[i]) != size[i])
			broken++;
		if (slot[i] && size[i] == CACHE_SIZE)
			ks_cache_free(cache, slot[i]);
		else
			free(slot[i]);
	}
	printf("atomic_signal: %lu signals handled, %lu main-thread operations, "
	       "%lu refused\n", handled, ops, refused);
	CHECK_EQ(broken, 0);
	CHECK_EQ(refused, 0);
	CHECK(handled > 0);
	CHECK_EQ(ks_cache_destroy(cache), 0);
	CHECK_KSLAB_CONSISTENT("atomic signals");
}

static const struct harness_case cases[] = {
	{ "atomic_signal", t_atomic_signal },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
