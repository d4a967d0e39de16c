// SPDX-License-Identifier: BSD-2-Clause
/*
 * thread-churn - many short-lived threads, after Hoard's threadtest and the
 * thread restarts of mimalloc's stress test (mstress): the life of a server
 * that starts a thread per task.
 *
 * R rounds; in each, W threads start at once, each allocates N small blocks
 * of random sizes, frees half of them itself, hands the other half to the
 * next round and exits with its per-thread caches still holding memory.
 * Each thread first frees the blocks that a thread of the previous round
 * left it, so half of all frees are of blocks whose thread has exited.
 * Thread start and exit cost (per-thread allocator state built and torn
 * down) dominates.  Every block is tagged and checked before it is freed.
 *
 * usage: thread-churn [-r rounds] [-w threads/round] [-n blocks/thread]
 *                     [-s min] [-S max]
 */
#include "wl.h"

struct slot {
	void **ptr;      /* N/2 blocks left by the previous round (or NULL) */
	size_t *size;
	uint64_t *id;
	unsigned round;
	int index;
};

static size_t nblocks = 200, min_size = 16, max_size = 256;

static void *work(void *arg)
{
	struct slot *s = arg;
	size_t half = nblocks / 2;
	wl_rng rng;
	wl_rng_seed(&rng, ((uint64_t)s->round << 16) ^ (uint64_t)s->index);
	for (size_t i = 0; i < half; i++) {
		if (s->ptr[i]) {
			wl_check_tag(s->ptr[i], s->size[i], s->id[i], "thread-churn inherited");
			free(s->ptr[i]);
		}
	}
	void **mine = malloc(nblocks * sizeof *mine);
	size_t *msz = malloc(nblocks * sizeof *msz);
	if (!mine || !msz)
		wl_fail("malloc of the block table returned NULL");
	uint64_t id0 = ((uint64_t)s->round << 32) | ((uint64_t)s->index << 20);
	for (size_t i = 0; i < nblocks; i++) {
		msz[i] = wl_range(&rng, min_size, max_size);
		mine[i] = wl_xmalloc(msz[i]);
		wl_tag(mine[i], msz[i], id0 + i);
	}
	for (size_t i = 0; i < nblocks; i++) {
		if (i & 1) {
			wl_check_tag(mine[i], msz[i], id0 + i, "thread-churn own");
			free(mine[i]);
		} else {
			s->ptr[i / 2] = mine[i];
			s->size[i / 2] = msz[i];
			s->id[i / 2] = id0 + i;
		}
	}
	free(mine);
	free(msz);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned rounds = 1000;
	int width = 4, opt;
	while ((opt = getopt(argc, argv, "r:w:n:s:S:")) != -1) {
		switch (opt) {
		case 'r': rounds = (unsigned)wl_num(optarg); break;
		case 'w': width = (int)wl_num(optarg); break;
		case 'n': nblocks = wl_num(optarg); break;
		case 's': min_size = wl_num(optarg); break;
		case 'S': max_size = wl_num(optarg); break;
		default:
			wl_usage("thread-churn [-r rounds] [-w threads/round] [-n blocks/thread] "
				 "[-s min] [-S max]");
		}
	}
	if (width < 1 || nblocks < 2 || min_size < 1 || min_size > max_size)
		wl_usage("thread-churn: need threads >= 1, blocks >= 2, 1 <= min <= max");
	struct slot *s = wl_xcalloc((size_t)width, sizeof *s);
	pthread_t *t = wl_xcalloc((size_t)width, sizeof *t);
	for (int i = 0; i < width; i++) {
		s[i].ptr = wl_xcalloc(nblocks / 2, sizeof(void *));
		s[i].size = wl_xcalloc(nblocks / 2, sizeof(size_t));
		s[i].id = wl_xcalloc(nblocks / 2, sizeof(uint64_t));
		s[i].index = i;
	}
	double t0 = wl_now();
	for (unsigned r = 0; r < rounds; r++) {
		for (int i = 0; i < width; i++)
			s[i].round = r;
		/* Rotate the inheritance so a thread frees another slot's blocks. */
		if (width > 1) {
			struct slot first = s[0];
			for (int i = 0; i < width - 1; i++) {
				s[i].ptr = s[i + 1].ptr;
				s[i].size = s[i + 1].size;
				s[i].id = s[i + 1].id;
			}
			s[width - 1].ptr = first.ptr;
			s[width - 1].size = first.size;
			s[width - 1].id = first.id;
		}
		wl_start_threads(t, width, work, s, sizeof *s);
		wl_join_threads(t, width);
	}
	for (int i = 0; i < width; i++) {
		for (size_t j = 0; j < nblocks / 2; j++) {
			wl_check_tag(s[i].ptr[j], s[i].size[j], s[i].id[j], "thread-churn final");
			free(s[i].ptr[j]);
		}
		free(s[i].ptr);
		free(s[i].size);
		free(s[i].id);
	}
	double dt = wl_now() - t0;
	free(s);
	free(t);
	printf("thread-churn: %u rounds x %d threads x %zu blocks: %.3f s\n",
	       rounds, width, nblocks, dt);
	wl_metric("thread-churn.kthreads", (double)rounds * width / dt / 1e3, "kthreads/s");
	return 0;
}
