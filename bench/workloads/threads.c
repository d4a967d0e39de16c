// SPDX-License-Identifier: BSD-2-Clause
/*
 * threads - thread-local churn and a producer/consumer pair: the two
 * patterns of the magazine layer (issue 4), modelled on the "xmalloc-test"
 * and "glibc-thread" (bench-malloc-thread in glibc's benchtests) cases of
 * mimalloc-bench.
 *
 *   -m local     each of T threads churns its own small objects: a window
 *                of W live blocks (16..256 B), each step frees one at random
 *                and mallocs a replacement, nothing shared, so throughput
 *                should scale with T (run with -t 1 and -t 2 to compare);
 *                with -p P, P processes of one such thread each run at once
 *                instead: they share nothing at all, so -p 2 against -t 1
 *                is how far this machine lets two of them scale (on a VM
 *                whose two CPUs may be one core's hyperthreads, code that
 *                already fills a core scales less than code that waits on
 *                memory), and -t 2 against -p 2 is what the allocator's
 *                threads cost each other;
 *   -m prodcons  one producer mallocs small blocks and passes them through a
 *                lock-free single-producer/single-consumer ring to one
 *                consumer that checks and frees them: every free is a
 *                cross-thread free.
 * N is the number of malloc/free pairs per thread (local) or in total
 * (prodcons).  Blocks are tagged and checked before they are freed.
 *
 * usage: threads [-m local|prodcons] [-t threads | -p processes] [-n pairs]
 *                [-w window] [-s min] [-S max]
 */
#include "wl.h"
#include <sys/wait.h>

static uint64_t pairs = 20000000;
static size_t window = 256, min_size = 16, max_size = 256;

struct worker {
	int index;
};

static void *local(void *arg)
{
	struct worker *w = arg;
	wl_rng rng;
	wl_rng_seed(&rng, 11 + (uint64_t)w->index);
	void **slot = wl_xcalloc(window, sizeof *slot);
	uint32_t *size = wl_xcalloc(window, sizeof *size);
	uint64_t *id = wl_xcalloc(window, sizeof *id);
	uint64_t next = 0;
	for (size_t k = 0; k < window; k++) {
		size[k] = (uint32_t)wl_range(&rng, min_size, max_size);
		slot[k] = wl_xmalloc(size[k]);
		id[k] = next++;
		wl_tag(slot[k], size[k], id[k]);
	}
	for (uint64_t i = 0; i < pairs; i++) {
		uint64_t r = wl_rand(&rng);
		size_t k = (size_t)(r % window);
		if (!wl_tag_ok(slot[k], size[k], id[k]))
			wl_fail("threads local: block %p (size %u) was overwritten", slot[k], size[k]);
		free(slot[k]);
		size[k] = (uint32_t)(min_size + (r >> 32) % (max_size - min_size + 1));
		slot[k] = malloc(size[k]);
		if (!slot[k])
			wl_fail("malloc(%u) returned NULL", size[k]);
		id[k] = next++;
		wl_tag(slot[k], size[k], id[k]);
	}
	for (size_t k = 0; k < window; k++) {
		wl_check_tag(slot[k], size[k], id[k], "threads local final");
		free(slot[k]);
	}
	free(slot);
	free(size);
	free(id);
	return NULL;
}

#define RING 1024   /* power of two */
static struct {
	_Alignas(64) uint64_t head;   /* written by the producer */
	_Alignas(64) uint64_t tail;   /* written by the consumer */
	_Alignas(64) void *slot[RING];
} ring;

static void *produce(void *arg)
{
	(void)arg;
	wl_rng rng;
	wl_rng_seed(&rng, 99);
	uint64_t head = 0;
	for (uint64_t i = 0; i < pairs; i++) {
		size_t sz = wl_range(&rng, min_size, max_size);
		char *p = malloc(sz);
		if (!p)
			wl_fail("malloc(%zu) returned NULL", sz);
		memcpy(p, &sz, 8);
		uint64_t t = wl_tag_of(i, sz);
		memcpy(p + sz - 8, &t, 8);
		while (head - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) >= RING)
			wl_cpu_relax();
		ring.slot[head % RING] = p;
		__atomic_store_n(&ring.head, ++head, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consume(void *arg)
{
	(void)arg;
	uint64_t tail = 0;
	for (uint64_t i = 0; i < pairs; i++) {
		while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == tail)
			wl_cpu_relax();
		char *p = ring.slot[tail % RING];
		__atomic_store_n(&ring.tail, ++tail, __ATOMIC_RELEASE);
		size_t sz;
		uint64_t t;
		memcpy(&sz, p, 8);
		if (sz < min_size || sz > max_size)
			wl_fail("threads prodcons: block %p has a bad size word %zu", (void *)p, sz);
		memcpy(&t, p + sz - 8, 8);
		if (t != wl_tag_of(i, sz))
			wl_fail("threads prodcons: block %p (size %zu, #%llu) was overwritten",
				(void *)p, sz, (unsigned long long)i);
		free(p);
	}
	return NULL;
}

/* P processes, each one local() thread, started together; waits for all. */
static void run_processes(int procs)
{
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			wl_fail("fork: %s", strerror(errno));
		if (pid == 0) {
			struct worker w = { i };
			local(&w);
			_exit(0);
		}
	}
	for (int i = 0; i < procs; i++) {
		int status;
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			wl_fail("threads local: a worker process failed");
	}
}

int main(int argc, char **argv)
{
	const char *mode = "local";
	int threads = 2, procs = 0, opt;
	while ((opt = getopt(argc, argv, "m:t:p:n:w:s:S:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 't': threads = (int)wl_num(optarg); break;
		case 'p': procs = (int)wl_num(optarg); break;
		case 'n': pairs = wl_num(optarg); break;
		case 'w': window = wl_num(optarg); break;
		case 's': min_size = wl_num(optarg); break;
		case 'S': max_size = wl_num(optarg); break;
		default:
			wl_usage("threads [-m local|prodcons] [-t threads | -p processes] "
				 "[-n pairs] [-w window] [-s min] [-S max]");
		}
	}
	int prodcons = !strcmp(mode, "prodcons");
	if ((!prodcons && strcmp(mode, "local")) || threads < 1 || procs < 0 ||
	    (procs && prodcons) || !window || min_size < 16 || min_size > max_size)
		wl_usage("threads: mode local|prodcons, threads >= 1, processes only with "
			 "local, window >= 1, 16 <= min <= max");

	double t0 = wl_now();
	if (procs) {
		run_processes(procs);
		threads = procs;
	} else if (prodcons) {
		pthread_t t[2];
		struct worker w[2] = { { 0 }, { 1 } };
		wl_start_threads(t, 1, produce, &w[0], sizeof w[0]);
		wl_start_threads(t + 1, 1, consume, &w[1], sizeof w[1]);
		wl_join_threads(t, 2);
		threads = 2;
	} else {
		pthread_t *t = wl_xcalloc((size_t)threads, sizeof *t);
		struct worker *w = wl_xcalloc((size_t)threads, sizeof *w);
		for (int i = 0; i < threads; i++)
			w[i].index = i;
		wl_start_threads(t, threads, local, w, sizeof *w);
		wl_join_threads(t, threads);
		free(t);
		free(w);
	}
	double dt = wl_now() - t0;
	double total = prodcons ? (double)pairs : (double)pairs * threads;
	printf("threads %s: %d %s, %.0f malloc/free pairs of %zu..%zu B: %.3f s\n",
	       mode, threads, procs ? "processes" : "threads", total, min_size, max_size, dt);
	char name[64];
	snprintf(name, sizeof name, "threads-%s-%d%c.mpairs", mode, threads, procs ? 'p' : 't');
	wl_metric(name, total / dt / 1e6, "Mpairs/s");
	return 0;
}
