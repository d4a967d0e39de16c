// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_ops.c - a libFuzzer target over kslab's whole API.
 *
 * An input is a program: each operation is an opcode byte followed by its
 * arguments, read from the input as far as it lasts.  The input is cut in
 * two at its middle and the halves run at once on two threads, each with a
 * table of 64 slots of its own, so the magazines, depots and nodes see
 * two threads; an operation can also hand a block to the other thread,
 * which frees it.  The operations: malloc, calloc, realloc, reallocarray,
 * the memalign family, free, free_sized, three object caches (a plain one,
 * one with a constructor, one HWCACHE_ALIGN), a pool with a boundary,
 * pages of orders 0 to 4, per-CPU data, KS_GFP_ATOMIC, kmalloc with
 * DMA32, malloc(0), malloc_trim and ks_check.  Every block is filled with
 * a pattern of its address and size when it is made and checked before it
 * is freed, reallocated (its common prefix) or at the end; ks_check must
 * find nothing broken after every 16th input and wherever an operation
 * asks for it.  Any difference aborts, which
 * libFuzzer reports with the input.
 *
 * Built by `make fuzz` with clang: kslab's sources with the fuzzer's
 * coverage instrumentation, this file without it (its pattern loops would
 * only slow the fuzzer down), so the coverage that guides it is kslab's;
 * kslab is also the fuzzer's malloc.  tests/fuzz/run.sh runs it in make check.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kslab.h"

enum { SLOTS = 64 };

enum kind { K_NONE, K_MALLOC, K_CACHE0, K_CACHE1, K_CACHE2, K_POOL, K_PAGES,
	    K_PERCPU, K_KMALLOC };

struct slot {
	unsigned char *p;
	size_t size;       /* bytes the pattern covers */
	enum kind kind;
	unsigned order;    /* K_PAGES */
};

struct reader {
	const uint8_t *d;
	size_t n, at;
};

static ks_cache_t *caches[3];
static ks_pool_t *pool;
static unsigned char *handoff;          /* a block for the other thread */
static size_t handoff_size;
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned byte(struct reader *r)
{
	return r->at < r->n ? r->d[r->at++] : 0;
}

/* A size: small most of the time, sometimes a page or two, rarely many
 * megabytes. */
static size_t size_arg(struct reader *r)
{
	unsigned c = byte(r), a = byte(r), b = byte(r);

	switch (c % 8) {
	case 0: case 1: case 2: return a % 64;
	case 3: case 4: return (a | b << 8) % 1100;
	case 5: return (a | b << 8) % 70000;
	case 6: return ((size_t)(a | b << 8) << 4) % (600u << 10);
	default: return ((size_t)(a | b << 8) << 8) % (9u << 20);
	}
}

/* The pattern's word I of a block made at address AS, and its bytes. */
static uint64_t pat(const void *as, size_t i)
{
	return ((uintptr_t)as >> 4) * 0x9e3779b97f4a7c15ull + i * 0xff51afd7ed558ccdull + 1;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = pat(p, i / 8);
		memcpy(p + i, &w, 8);
	}
	for (uint64_t w = pat(p, i / 8); i < n; i++, w >>= 8)
		p[i] = (unsigned char)w;
}

static void check(const unsigned char *p, size_t n, const unsigned char *as)
{
	size_t i;
	uint64_t w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != pat(as, i / 8))
			goto differs;
	}
	for (w = pat(as, i / 8); i < n; i++, w >>= 8)
		if (p[i] != (unsigned char)w)
			goto differs;
	return;
differs:
	fprintf(stderr, "fuzz_ops: block %p (%zu bytes) differs near byte %zu\n",
		(const void *)p, n, i);
	abort();
}

static void release(struct slot *s)
{
	if (s->kind == K_NONE)
		return;
	if (s->kind != K_PERCPU)
		check(s->p, s->size, s->p);
	switch (s->kind) {
	case K_MALLOC: free(s->p); break;
	case K_CACHE0: case K_CACHE1: case K_CACHE2:
		ks_cache_free(caches[s->kind - K_CACHE0], s->p);
		break;
	case K_POOL: ks_pool_free(pool, s->p); break;
	case K_PAGES: ks_free_pages(s->p, s->order); break;
	case K_PERCPU: ks_free_percpu(s->p); break;
	case K_KMALLOC: ks_kfree(s->p); break;
	default: break;
	}
	memset(s, 0, sizeof(*s));
}

static void take(struct slot *s, void *p, size_t size, enum kind kind)
{
	release(s);
	if (!p)
		return;
	s->p = p;
	s->size = size;
	s->kind = kind;
	if (kind != K_PERCPU)
		fill(s->p, size);
}

static void op_realloc(struct slot *s, struct reader *r)
{
	size_t n = size_arg(r), keep;
	unsigned char *q;

	if (s->kind != K_MALLOC && s->kind != K_NONE)
		return;
	if (s->kind == K_MALLOC)
		check(s->p, s->size, s->p);
	q = (byte(r) & 1) ? reallocarray(s->p, n ? 2 : 0, n / 2 + 1) : realloc(s->p, n);
	if (!q && n)               /* the old block stays */
		return;
	keep = s->size < n ? s->size : n;
	check(q, keep, s->p);      /* the common prefix moved with it */
	memset(s, 0, sizeof(*s));
	if (q) {
		s->p = q;
		s->size = malloc_usable_size(q) < n ? malloc_usable_size(q) : n;
		s->kind = K_MALLOC;
		fill(q, s->size);
	}
}

static void op_aligned(struct slot *s, struct reader *r)
{
	size_t align = (size_t)1 << (byte(r) % 17), n = size_arg(r);
	void *p = NULL;

	switch (byte(r) % 3) {
	case 0: p = memalign(align, n); break;
	case 1: p = aligned_alloc(align, n); break;
	default:
		if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n))
			p = NULL;
	}
	if (p && ((uintptr_t)p & (align - 1))) {
		fprintf(stderr, "fuzz_ops: %p is not aligned to %zu\n", p, align);
		abort();
	}
	take(s, p, n, K_MALLOC);
}

static void op_handoff(struct slot *s)
{
	pthread_mutex_lock(&handoff_lock);
	if (handoff) {             /* the other thread's block: free it here */
		check(handoff, handoff_size, handoff);
		free(handoff);
		handoff = NULL;
	} else if (s->kind == K_MALLOC) {
		handoff = s->p;
		handoff_size = s->size;
		memset(s, 0, sizeof(*s));
	}
	pthread_mutex_unlock(&handoff_lock);
}

static void step(struct slot *t, struct reader *r)
{
	unsigned op = byte(r) % 20;
	struct slot *s = &t[byte(r) % SLOTS];
	size_t n;

	switch (op) {
	case 0: case 1: case 2:
		n = size_arg(r);
		take(s, malloc(n), n, K_MALLOC);
		break;
	case 3: case 4:
		release(s);
		break;
	case 5: {
		size_t a = byte(r) % 40, b = size_arg(r) % 4096;
		unsigned char *p = calloc(a, b);
		for (size_t i = 0; p && i < a * b; i++)
			if (p[i]) {
				fprintf(stderr, "fuzz_ops: calloc block %p not zero\n", (void *)p);
				abort();
			}
		take(s, p, a * b, K_MALLOC);
		break;
	}
	case 6: op_realloc(s, r); break;
	case 7: op_aligned(s, r); break;
	case 8:
		if (s->kind == K_MALLOC) {
			check(s->p, s->size, s->p);
			free_sized(s->p, s->size);
			memset(s, 0, sizeof(*s));
		}
		break;
	case 9: {
		unsigned k = byte(r) % 3;
		take(s, ks_cache_alloc(caches[k], (byte(r) & 1) ? KS_GFP_ZERO : 0),
		     ks_cache_object_size(caches[k]), (enum kind)(K_CACHE0 + k));
		break;
	}
	case 10: take(s, ks_pool_alloc(pool, 0), 200, K_POOL); break;
	case 11: {
		unsigned order = byte(r) % 5;
		take(s, ks_alloc_pages(0, order), (size_t)4096 << order, K_PAGES);
		s->order = order;
		break;
	}
	case 12: take(s, ks_alloc_percpu(8 + byte(r) % 120, 8), 0, K_PERCPU); break;
	case 13:
		n = size_arg(r) % 4096;
		take(s, ks_kmalloc(n, KS_GFP_ATOMIC), n, K_KMALLOC);
		break;
	case 14:
		n = size_arg(r) % 100000;
		take(s, ks_kmalloc(n, KS_GFP_DMA32), n, K_KMALLOC);
		break;
	case 15: take(s, malloc(0), 0, K_MALLOC); break;
	case 16: op_handoff(s); break;
	case 17:
		if (byte(r) % 16 == 0)
			malloc_trim(0);
		break;
	case 18:
		if (byte(r) % 8 == 0 && ks_check() != 0) {
			fprintf(stderr, "fuzz_ops: ks_check found broken invariants\n");
			abort();
		}
		break;
	default:
		n = size_arg(r);
		take(s, ks_kmalloc(n, (byte(r) & 1) ? KS_GFP_ZERO : 0), n, K_KMALLOC);
	}
}

struct half {
	struct reader r;
	struct slot t[SLOTS];
};

static void *run_half(void *arg)
{
	struct half *h = arg;

	while (h->r.at < h->r.n)
		step(h->t, &h->r);
	for (int i = 0; i < SLOTS; i++)
		release(&h->t[i]);
	return NULL;
}

static void ctor(void *p)
{
	memset(p, 0x5c, 24);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	caches[0] = ks_cache_create("fuzz-plain", 40, 0, 0, NULL);
	caches[1] = ks_cache_create("fuzz-ctor", 24, 0, 0, ctor);
	caches[2] = ks_cache_create("fuzz-aligned", 100, 0, KS_CACHE_HWCACHE_ALIGN, NULL);
	pool = ks_pool_create("fuzz-pool", 200, 64, 4096);
	if (!caches[0] || !caches[1] || !caches[2] || !pool)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct half a, b;
	static unsigned long inputs;
	pthread_t th;
	size_t mid = size / 2;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.r = (struct reader){ data, mid, 0 };
	b.r = (struct reader){ data + mid, size - mid, 0 };
	if (pthread_create(&th, NULL, run_half, &b) == 0) {
		run_half(&a);
		pthread_join(th, NULL);
	} else {                   /* no thread to be had: one after the other */
		run_half(&b);
		run_half(&a);
	}
	if (handoff) {
		check(handoff, handoff_size, handoff);
		free(handoff);
		handoff = NULL;
	}
	/* every 16th input (a whole check walks the section map, which costs
	 * as much as a short input; operation 18 checks at random too) */
	if (++inputs % 16 == 0 && ks_check() != 0) {
		fprintf(stderr, "fuzz_ops: ks_check found broken invariants\n");
		abort();
	}
	return 0;
}
