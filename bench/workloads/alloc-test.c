// SPDX-License-Identifier: BSD-2-Clause
/*
 * alloc-test - many-size churn with realloc and cross-thread hand-offs, in
 * the style of mimalloc's stress test (mstress, test/test-stress.c in
 * mimalloc and mimalloc-bench) and the alloc-test benchmark of
 * mimalloc-bench.
 *
 * Each of T threads keeps W live blocks of sizes drawn from a skewed
 * distribution (mostly 16..1024 B, a tail to 8 KiB, and one in a hundred up
 * to 256 KiB) and, for I steps, picks one at random and
 *   69%  frees it and mallocs a block of a new size,
 *   20%  reallocs it to a new size (contents must survive),
 *   10%  swaps it with a slot of a shared transfer array, so the block is
 *        later freed or realloc'd by another thread,
 *    1%  frees an eighth of its blocks and refills them (a phase change).
 * Every block starts with its size and id and ends with a tag; both are
 * checked before every free and realloc.
 *
 * usage: alloc-test [-t threads] [-i steps/thread] [-w live blocks/thread]
 *                   [-x transfer slots] [-S max small size]
 */
#include "wl.h"

#define HDR 16           /* size word + id word */
#define MIN_BLOCK 24     /* header + tag */

static size_t max_small = 8192;
static void **transfer;
static size_t nxfer;

static size_t pick_size(wl_rng *r)
{
	uint64_t x = wl_rand(r) % 100;
	if (x == 0)
		return wl_range(r, 8192, 256 * 1024);
	if (x < 90)
		return wl_skewed(r, MIN_BLOCK, 1024 < max_small ? 1024 : max_small);
	return wl_skewed(r, MIN_BLOCK, max_small);
}

static void *make(size_t sz, uint64_t id)
{
	char *p = malloc(sz);
	if (!p)
		wl_fail("malloc(%zu) returned NULL", sz);
	memcpy(p, &sz, 8);
	memcpy(p + 8, &id, 8);
	uint64_t t = wl_tag_of(id, sz);
	memcpy(p + sz - 8, &t, 8);
	return p;
}

static void check(const char *p, const char *what)
{
	size_t sz;
	uint64_t id, t;
	memcpy(&sz, p, 8);
	memcpy(&id, p + 8, 8);
	if (sz < MIN_BLOCK || sz > 256 * 1024)
		wl_fail("alloc-test (%s): block %p has a bad size word %zu", what, (void *)p, sz);
	memcpy(&t, p + sz - 8, 8);
	if (t != wl_tag_of(id, sz))
		wl_fail("alloc-test (%s): block %p (size %zu, id %llu) was overwritten",
			what, (void *)p, sz, (unsigned long long)id);
}

static void drop(void *p)
{
	if (p) {
		check(p, "free");
		free(p);
	}
}

struct worker {
	int index;
	uint64_t steps;
	size_t live;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	wl_rng rng;
	wl_rng_seed(&rng, 7 + (uint64_t)w->index);
	uint64_t id = (uint64_t)(w->index + 1) << 48;
	void **slot = wl_xcalloc(w->live, sizeof *slot);
	for (size_t k = 0; k < w->live; k++)
		slot[k] = make(pick_size(&rng), id++);

	for (uint64_t i = 0; i < w->steps; i++) {
		size_t k = (size_t)(wl_rand(&rng) % w->live);
		uint64_t r = wl_rand(&rng) % 100;
		if (r < 69) {
			drop(slot[k]);
			slot[k] = make(pick_size(&rng), id++);
		} else if (r < 89) {
			char *p = slot[k];
			if (!p) {
				slot[k] = make(pick_size(&rng), id++);
				continue;
			}
			check(p, "realloc");
			uint64_t bid;
			memcpy(&bid, p + 8, 8);
			size_t nsz = pick_size(&rng);
			p = realloc(p, nsz);
			if (!p)
				wl_fail("realloc(%zu) returned NULL", nsz);
			uint64_t bid2;
			memcpy(&bid2, p + 8, 8);
			if (bid2 != bid)
				wl_fail("alloc-test: realloc lost the contents of block id %llu",
					(unsigned long long)bid);
			memcpy(p, &nsz, 8);
			uint64_t t = wl_tag_of(bid, nsz);
			memcpy(p + nsz - 8, &t, 8);
			slot[k] = p;
		} else if (r < 99) {
			size_t x = (size_t)(wl_rand(&rng) % nxfer);
			slot[k] = __atomic_exchange_n(&transfer[x], slot[k], __ATOMIC_ACQ_REL);
			if (slot[k])
				check(slot[k], "transfer");
		} else {
			for (size_t j = 0; j < w->live; j += 8) {
				size_t m = (k + j) % w->live;
				drop(slot[m]);
				slot[m] = make(pick_size(&rng), id++);
			}
		}
	}
	for (size_t k = 0; k < w->live; k++)
		drop(slot[k]);
	free(slot);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 2, opt;
	uint64_t steps = 1500000;
	size_t live = 4000;
	nxfer = 1000;
	while ((opt = getopt(argc, argv, "t:i:w:x:S:")) != -1) {
		switch (opt) {
		case 't': threads = (int)wl_num(optarg); break;
		case 'i': steps = wl_num(optarg); break;
		case 'w': live = wl_num(optarg); break;
		case 'x': nxfer = wl_num(optarg); break;
		case 'S': max_small = wl_num(optarg); break;
		default:
			wl_usage("alloc-test [-t threads] [-i steps/thread] [-w live blocks/thread] "
				 "[-x transfer slots] [-S max small size]");
		}
	}
	if (threads < 1 || !live || !nxfer || max_small < MIN_BLOCK * 2)
		wl_usage("alloc-test: need threads, live, transfer >= 1 and max small >= 48");
	transfer = wl_xcalloc(nxfer, sizeof *transfer);
	pthread_t *t = wl_xcalloc((size_t)threads, sizeof *t);
	struct worker *w = wl_xcalloc((size_t)threads, sizeof *w);
	for (int i = 0; i < threads; i++)
		w[i] = (struct worker){ i, steps, live };
	double t0 = wl_now();
	wl_start_threads(t, threads, work, w, sizeof *w);
	wl_join_threads(t, threads);
	for (size_t x = 0; x < nxfer; x++)
		drop(transfer[x]);
	double dt = wl_now() - t0;
	free(transfer);
	free(t);
	free(w);
	printf("alloc-test: %d threads x %llu steps, %zu live blocks each: %.3f s\n",
	       threads, (unsigned long long)steps, live, dt);
	wl_metric("alloc-test.msteps", (double)threads * (double)steps / dt / 1e6, "Msteps/s");
	return 0;
}
