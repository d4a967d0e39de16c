// SPDX-License-Identifier: BSD-2-Clause
/*
 * xmalloc-test - producer/consumer with cross-thread frees, after Lever and
 * Boreham's xmalloc-test ("malloc() Performance in a Multithreaded Linux
 * Environment", USENIX 2000), as run by mimalloc-bench.
 *
 * P producer threads malloc blocks of random sizes, tag them, and hand them
 * in batches of B through a shared queue to C consumer threads, which check
 * each block's tag and free it.  Every block is freed by a thread other than
 * the one that allocated it: this is the pattern that serialises allocators
 * whose free takes the owner's lock.  The queue holds at most Q batches, so
 * the producers cannot run far ahead and the live heap stays bounded.
 *
 * usage: xmalloc-test [-p producers] [-c consumers] [-n blocks/producer]
 *                     [-b batch] [-q queue batches] [-s min] [-S max]
 */
#include "wl.h"

struct batch {
	struct batch *next;
	unsigned n;
	void *ptr[];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	struct batch *head, *tail;
	unsigned count, cap, producers_left;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0 };

static uint64_t blocks_per_producer;
static unsigned batch_size;
static size_t min_size, max_size;

struct worker {
	int index;
	uint64_t freed;
};

/* Each block records its own size and id in its first 16 bytes (min size is
 * 16), and the tag covers both ends. */
static void *produce(void *arg)
{
	struct worker *w = arg;
	wl_rng rng;
	wl_rng_seed(&rng, 1000 + (uint64_t)w->index);
	uint64_t id = (uint64_t)w->index << 48;
	for (uint64_t done = 0; done < blocks_per_producer;) {
		struct batch *b = wl_xmalloc(sizeof *b + batch_size * sizeof(void *));
		b->next = NULL;
		b->n = 0;
		for (; b->n < batch_size && done < blocks_per_producer; done++) {
			size_t sz = wl_skewed(&rng, min_size, max_size);
			char *p = malloc(sz);
			if (!p)
				wl_fail("malloc(%zu) returned NULL", sz);
			wl_tag(p, sz, id);
			if (sz >= 32) {
				memcpy(p + 8, &sz, sizeof sz);
				memcpy(p + 16, &id, sizeof id);
			}
			id++;
			b->ptr[b->n++] = p;
		}
		pthread_mutex_lock(&q.lock);
		while (q.count >= q.cap)
			pthread_cond_wait(&q.nonfull, &q.lock);
		if (q.tail)
			q.tail->next = b;
		else
			q.head = b;
		q.tail = b;
		q.count++;
		pthread_cond_signal(&q.nonempty);
		pthread_mutex_unlock(&q.lock);
	}
	pthread_mutex_lock(&q.lock);
	if (--q.producers_left == 0)
		pthread_cond_broadcast(&q.nonempty);
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

static void *consume(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&q.lock);
		while (!q.head && q.producers_left)
			pthread_cond_wait(&q.nonempty, &q.lock);
		struct batch *b = q.head;
		if (!b) {
			pthread_mutex_unlock(&q.lock);
			return NULL;
		}
		q.head = b->next;
		if (!q.head)
			q.tail = NULL;
		q.count--;
		pthread_cond_signal(&q.nonfull);
		pthread_mutex_unlock(&q.lock);

		for (unsigned i = 0; i < b->n; i++) {
			char *p = b->ptr[i];
			size_t sz;
			uint64_t id;
			memcpy(&sz, p + 8, sizeof sz);
			memcpy(&id, p + 16, sizeof id);
			if (sz < 32 || sz > max_size)
				wl_fail("xmalloc-test: block %p has a bad size word %zu", (void *)p, sz);
			wl_check_tag(p, sz, id, "xmalloc-test");
			free(p);
		}
		w->freed += b->n;
		free(b);
	}
}

int main(int argc, char **argv)
{
	int producers = 1, consumers = 1, opt;
	unsigned qcap = 64;
	blocks_per_producer = 4000000;
	batch_size = 64;
	min_size = 32;
	max_size = 512;

	while ((opt = getopt(argc, argv, "p:c:n:b:q:s:S:")) != -1) {
		switch (opt) {
		case 'p': producers = (int)wl_num(optarg); break;
		case 'c': consumers = (int)wl_num(optarg); break;
		case 'n': blocks_per_producer = wl_num(optarg); break;
		case 'b': batch_size = (unsigned)wl_num(optarg); break;
		case 'q': qcap = (unsigned)wl_num(optarg); break;
		case 's': min_size = wl_num(optarg); break;
		case 'S': max_size = wl_num(optarg); break;
		default:
			wl_usage("xmalloc-test [-p producers] [-c consumers] [-n blocks/producer] "
				 "[-b batch] [-q queue batches] [-s min>=32] [-S max]");
		}
	}
	if (producers < 1 || consumers < 1 || !batch_size || !qcap ||
	    min_size < 32 || min_size > max_size)
		wl_usage("xmalloc-test: need producers, consumers, batch, queue >= 1 and 32 <= min <= max");
	q.cap = qcap;
	q.producers_left = (unsigned)producers;

	int n = producers + consumers;
	pthread_t *t = wl_xcalloc((size_t)n, sizeof *t);
	struct worker *w = wl_xcalloc((size_t)n, sizeof *w);
	for (int i = 0; i < n; i++)
		w[i].index = i;
	double t0 = wl_now();
	wl_start_threads(t, producers, produce, w, sizeof *w);
	wl_start_threads(t + producers, consumers, consume, w + producers, sizeof *w);
	wl_join_threads(t, n);
	double dt = wl_now() - t0;

	uint64_t freed = 0;
	for (int i = producers; i < n; i++)
		freed += w[i].freed;
	uint64_t want = (uint64_t)producers * blocks_per_producer;
	if (freed != want)
		wl_fail("xmalloc-test: %llu blocks freed, %llu allocated",
			(unsigned long long)freed, (unsigned long long)want);
	free(t);
	free(w);
	printf("xmalloc-test: %d producers, %d consumers, %llu blocks of %zu..%zu B: %.3f s\n",
	       producers, consumers, (unsigned long long)want, min_size, max_size, dt);
	wl_metric("xmalloc.mfrees", (double)freed / dt / 1e6, "Mfrees/s");
	return 0;
}
