// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_slab.c - slab caches: list transitions (empty -> partial -> full and
 * back), colour offsets cycling per slab, constructor runs, alignment,
 * bulk paths, shrink, nodes (a slab belongs to the node that grew it,
 * frees go home), the lock pool their locks come from, runs of slabs cut
 * from one block, lazy carving, idle slabs giving back their free pages,
 * the object-start check (a multiply, not a division) on every byte of a
 * slab of every class, and ks__slab_check() after every operation.  Runs with
 * KSLAB_OPTIONS=nodes=3 unless told otherwise.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "slab.h"
#include "meta.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "buddy.h"
#include "os.h"
#include <sys/mman.h>
#include "init.h"

static struct ks_page *head_of(void *obj)
{
	return ks_page_head(ks_virt_to_page(obj));
}

static void t_list_transitions(void)
{
	static struct ks_slab_cache sc;
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-lists", 200, 0, 0, NULL) == 0);
	sc.max_empty = 4;
	unsigned n = sc.objs_per_slab;
	void *objs[1024];
	REQUIRE(n >= 2 && n < 1024);

	objs[0] = ks__slab_alloc(&sc, 0);
	REQUIRE(objs[0] != NULL);
	CHECK_EQ(sc.node[0]->nr_partial, 1);
	CHECK_EQ(sc.node[0]->nr_full, 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
	for (unsigned i = 1; i < n; i++) {
		objs[i] = ks__slab_alloc(&sc, 0);
		REQUIRE(objs[i] != NULL);
		CHECK(head_of(objs[i]) == head_of(objs[0]));   /* partial first */
	}
	CHECK_EQ(sc.node[0]->nr_full, 1);
	CHECK_EQ(sc.node[0]->nr_partial, 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
	objs[n] = ks__slab_alloc(&sc, 0);                  /* a second slab */
	CHECK(head_of(objs[n]) != head_of(objs[0]));
	CHECK_EQ(sc.node[0]->nr_full, 1);
	CHECK_EQ(sc.node[0]->nr_partial, 1);
	ks__slab_free(&sc, objs[0]);                       /* full -> partial */
	CHECK_EQ(sc.node[0]->nr_full, 0);
	CHECK_EQ(sc.node[0]->nr_partial, 2);
	CHECK_EQ(ks__slab_check(&sc), 0);
	for (unsigned i = 1; i < n; i++)
		ks__slab_free(&sc, objs[i]);                   /* partial -> empty */
	CHECK_EQ(sc.node[0]->nr_empty, 1);
	CHECK_EQ(sc.node[0]->nr_partial, 1);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__slab_free(&sc, objs[n]);
	CHECK_EQ(sc.node[0]->nr_empty, 2);
	CHECK_EQ(sc.node[0]->active_objs, 0);
	CHECK_EQ(ks__slab_shrink(&sc), 2u << sc.order);
	CHECK_EQ(sc.node[0]->nr_empty, 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
}

static void t_colour(void)
{
	static struct ks_slab_cache sc;
	ks_boot();
	/* 200-byte objects: 20 per 4 KiB slab, 96 bytes left: colours 0, 64 */
	REQUIRE(ks__slab_cache_init(&sc, "t-colour", 200, 8, 0, NULL) == 0);
	CHECK(sc.colour_count >= 1);
	sc.max_empty = 64;
	unsigned slabs = sc.colour_count + 2;
	void *first[64];
	REQUIRE(slabs <= 64);
	size_t want = 0;
	for (unsigned s = 0; s < slabs; s++) {
		void *objs[600];
		for (unsigned i = 0; i < sc.objs_per_slab; i++)
			objs[i] = ks__slab_alloc(&sc, 0);
		first[s] = objs[0];
		struct ks_page *h = head_of(objs[0]);
		CHECK_EQ(h->s_off, want * sc.colour_step);
		CHECK_EQ(((uintptr_t)objs[0] & (KS_PAGE_SIZE - 1)), want * sc.colour_step);
		want = want >= sc.colour_count ? 0 : want + 1;
		(void)objs;
	}
	CHECK_EQ(ks__slab_check(&sc), 0);
	(void)first;
}

static int ctor_calls;
static void ctor(void *p)
{
	ctor_calls++;
	memset(p, 0x5a, 48);
}

static void t_ctor_and_align(void)
{
	static struct ks_slab_cache sc, al;
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-ctor", 48, 0, 0, ctor) == 0);
	void *a = ks__slab_alloc(&sc, 0);
	REQUIRE(a != NULL);
	CHECK_EQ(ctor_calls, (int)sc.objs_per_slab);       /* once per object */
	CHECK_EQ(((unsigned char *)a)[47], 0x5a);
	ks__slab_free(&sc, a);
	void *b = ks__slab_alloc(&sc, 0);
	CHECK_EQ(((unsigned char *)b)[0], 0x5a);            /* free ptr outside */
	CHECK_EQ(ctor_calls, (int)sc.objs_per_slab);
	ks__slab_free(&sc, b);

	REQUIRE(ks__slab_cache_init(&al, "t-align", 100, 256, 0, NULL) == 0);
	for (int i = 0; i < 100; i++) {
		void *p = ks__slab_alloc(&al, 0);
		CHECK_PTR_ALIGNED(p, 256);
	}
	CHECK_EQ(ks__slab_check(&al), 0);
}

static void t_bulk_and_order(void)
{
	static struct ks_slab_cache sc;
	void *objs[300];
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-bulk", 3000, 0, 0, NULL) == 0);
	/* waste <= 1/8: 3000 B objects need an order-1 or larger slab */
	size_t slab = KS_PAGE_SIZE << sc.order;
	CHECK((slab - sc.objs_per_slab * sc.size) * 8 <= slab);
	CHECK_EQ(ks__slab_alloc_bulk(&sc, 0, 300, objs), 300);
	CHECK_EQ(sc.node[0]->active_objs, 300);
	CHECK_EQ(ks__slab_check(&sc), 0);
	for (int i = 0; i < 300; i++)
		CHECK(ks__slab_object_start(&sc, objs[i]) == objs[i]);
	CHECK(ks__slab_object_start(&sc, (char *)objs[0] + 8) == NULL);
	ks__slab_free_bulk(&sc, 300, objs);
	CHECK_EQ(sc.node[0]->active_objs, 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
}

/* ks__slab_object_start divides by a multiply (size_magic): every byte of
 * a slab of every kmalloc size, and of odd sizes with odd alignments and
 * the largest slabs, is an object's start exactly where a division says. */
static void t_object_start_exact(void)
{
	static struct ks_slab_cache sc;
	static const size_t odd[][2] = {
		{ 24, 8 }, { 40, 8 }, { 72, 8 }, { 200, 8 }, { 1000, 8 }, { 3000, 8 },
		{ 5000, 64 }, { 12345, 16 }, { 40000, 8 }, { 65536, 16 },
	};
	size_t tried = 0;

	ks_boot();
	for (unsigned k = 0; k < KS_NR_CLASSES + sizeof(odd) / sizeof(odd[0]); k++) {
		size_t size = k < KS_NR_CLASSES ? ks_class_size(k) : odd[k - KS_NR_CLASSES][0];
		size_t align = k < KS_NR_CLASSES ? 16 : odd[k - KS_NR_CLASSES][1];
		REQUIRE(ks__slab_cache_init(&sc, "t-start", size, align, 0, NULL) == 0);
		char *obj = ks__slab_alloc(&sc, 0);
		REQUIRE(obj != NULL);
		char *start = ks_page_address(head_of(obj));
		char *base = start + head_of(obj)->s_off + sc.offset;
		size_t slab = KS_PAGE_SIZE << sc.order, bad = 0;
		for (char *q = start; q < start + slab; q++) {   /* colour too */
			size_t off = (size_t)(q - base);
			bool want = q >= base && off % sc.size == 0 &&
				    off / sc.size < sc.objs_per_slab;
			if ((ks__slab_object_start(&sc, q) == q) != want)
				bad++;
			tried++;
		}
		CHECK_MSG(bad == 0, "size %zu: %zu offsets judged wrong", size, bad);
		ks__slab_free(&sc, obj);
		ks__slab_cache_fini(&sc);
	}
	harness_note("object_start_exact: %zu offsets", tried);
	CHECK(tried > 1000000);
}

static void t_power_of_two_natural(void)
{
	static struct ks_slab_cache sc;
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-pow2", 1024, 16, 0, NULL) == 0);
	CHECK_EQ(sc.colour_count, 0);
	for (int i = 0; i < 50; i++)
		CHECK_PTR_ALIGNED(ks__slab_alloc(&sc, 0), 1024);
}

static void t_fullest_first(void)
{
	static struct ks_slab_cache sc;
	void *a[512], *b[512];
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-fullest", 256, 0, 0, NULL) == 0);
	unsigned n = sc.objs_per_slab;              /* 16 */
	REQUIRE(n >= 8 && n <= 512);
	for (unsigned i = 0; i < n; i++)
		a[i] = ks__slab_alloc(&sc, 0);
	for (unsigned i = 0; i < n; i++)
		b[i] = ks__slab_alloc(&sc, 0);
	REQUIRE(head_of(a[0]) != head_of(b[0]));
	for (unsigned i = 0; i + 1 < n; i++)        /* A keeps one object */
		ks__slab_free(&sc, a[i]);
	ks__slab_free(&sc, b[0]);                    /* B keeps all but one */
	CHECK_EQ(ks__slab_check(&sc), 0);
	void *x = ks__slab_alloc(&sc, 0);
	CHECK(head_of(x) == head_of(b[1]));          /* the fullest slab */
	CHECK_EQ(ks__slab_check(&sc), 0);
}

/* Allocate on node NODE (as a thread of that node would). */
static void *alloc_on(struct ks_slab_cache *sc, unsigned node)
{
	ks__tls_node = node;
	return ks__slab_alloc(sc, 0);
}

static void t_nodes(void)
{
	static struct ks_slab_cache sc;
	void *objs[300];
	ks_boot();
	if (ks__nr_nodes < 3)
		SKIP("needs KSLAB_OPTIONS=nodes=3 (has %u nodes)", ks__nr_nodes);
	REQUIRE(ks__slab_cache_init(&sc, "t-nodes", 64, 0, 0, NULL) == 0);
	void *a = alloc_on(&sc, 0), *b = alloc_on(&sc, 1);
	REQUIRE(a && b);
	CHECK(head_of(a) != head_of(b));                /* no shared slab */
	CHECK_EQ(head_of(a)->node, 0);
	CHECK_EQ(head_of(b)->node, 1);
	CHECK_EQ(sc.node[0]->active_objs, 1);
	CHECK_EQ(sc.node[1]->active_objs, 1);
	/* a thread of node 2 frees both: each goes back to its own node */
	ks__tls_node = 2;
	void *pair[2] = { a, b };
	ks__slab_free_bulk(&sc, 2, pair);
	CHECK_EQ(sc.node[0]->active_objs, 0);
	CHECK_EQ(sc.node[1]->active_objs, 0);
	CHECK_EQ(sc.node[0]->nr_empty, 1);
	CHECK_EQ(sc.node[1]->nr_empty, 1);
	CHECK(sc.node[2] == NULL);       /* no thread of node 2 allocated */
	/* node 0 allocates from its own slab again, never from node 1's */
	void *c = alloc_on(&sc, 0);
	CHECK(head_of(c) == head_of(a));
	ks__slab_free(&sc, c);
	/* a bulk free of objects of three nodes, interleaved */
	for (int i = 0; i < 300; i++) {
		objs[i] = alloc_on(&sc, (unsigned)i % 3);
		REQUIRE(objs[i] != NULL);
		CHECK_EQ(head_of(objs[i])->node, (unsigned)i % 3);
	}
	for (unsigned n = 0; n < 3; n++)
		CHECK_EQ(sc.node[n]->active_objs, 100);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__tls_node = 1;
	ks__slab_free_bulk(&sc, 300, objs);
	for (unsigned n = 0; n < 3; n++)
		CHECK_EQ(sc.node[n]->active_objs, 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__tls_node = 0;
	CHECK(ks__slab_shrink(&sc) > 0);
	for (unsigned n = 0; n < 3; n++)
		CHECK_EQ(sc.node[n]->nr_empty, 0);
	struct ks_slab_node *old2 = sc.node[2];
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
	CHECK(sc.node[1] == NULL && sc.node[2] == NULL);   /* given back */
	/* a new cache's node 1 reuses the block given back last */
	REQUIRE(ks__slab_cache_init(&sc, "t-nodes2", 96, 0, 0, NULL) == 0);
	void *d = alloc_on(&sc, 1);
	REQUIRE(d != NULL);
	CHECK(sc.node[1] == old2);
	CHECK_EQ(head_of(d)->node, 1);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__slab_free(&sc, d);
	ks__tls_node = 0;
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
}

/* Lazy carving: a new multi-page slab faults in only the pages whose
 * objects were handed out; freed objects come back before new ones are
 * carved. */
static void t_lazy_carving(void)
{
	static struct ks_slab_cache sc;
	unsigned char vec[32];
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-carve", 3000, 0, 0, NULL) == 0);
	REQUIRE(sc.order >= 2);
	/* every free page purged: the slab's pages are not resident from an
	 * earlier case's use of them (under -n, all cases share a heap) */
	ks__buddy_purge(UINT64_MAX, 0, false);
	void *a = ks__slab_alloc(&sc, 0), *b = ks__slab_alloc(&sc, 0);
	REQUIRE(a && b);
	struct ks_page *h = head_of(a);
	CHECK(head_of(b) == h);
	CHECK_EQ(h->carved, 2);
	CHECK_EQ((char *)b - (char *)a, (long)sc.size);
	CHECK_EQ(ks__slab_check(&sc), 0);
	size_t pages = (KS_PAGE_SIZE << sc.order) / ks__os_page_size;
	REQUIRE(pages <= sizeof(vec));
	REQUIRE(mincore(ks_page_address(h), pages * ks__os_page_size, vec) == 0);
	CHECK_EQ(vec[pages - 1] & 1, 0);        /* the last page never touched */
	ks__slab_free(&sc, a);
	CHECK(ks__slab_alloc(&sc, 0) == a);       /* the freelist before carving */
	CHECK_EQ(h->carved, 2);
	ks__slab_free(&sc, a);
	ks__slab_free(&sc, b);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__slab_shrink(&sc);
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
}

/* Idle slabs: malloc_trim's pass gives back the OS pages of a partial
 * slab on which every object is free; those objects come back, each
 * once, when the slab has nothing else to hand out. */
static void t_purge_idle(void)
{
	static struct ks_slab_cache sc;
	enum { MAX = 64 };
	void *objs[MAX] = { 0 };
	ks_boot();
	REQUIRE(ks__slab_cache_init(&sc, "t-purge", 3000, 0, 0, NULL) == 0);
	unsigned n = sc.objs_per_slab;
	REQUIRE(n <= MAX && (KS_PAGE_SIZE << sc.order) >= 4 * ks__os_page_size);
	for (unsigned i = 0; i < n; i++) {
		objs[i] = ks__slab_alloc(&sc, 0);
		REQUIRE(objs[i] != NULL);
		memset(objs[i], 0x5a, sc.object_size);
	}
	struct ks_page *h = head_of(objs[0]);
	for (unsigned i = 1; i < n; i++)          /* keep the first object only */
		ks__slab_free(&sc, objs[i]);
	CHECK_EQ(h->inuse, 1);
	CHECK_GE(ks__slab_purge_idle(true), 1);
	CHECK(h->purged != 0);
	CHECK_EQ(h->purged & 1, 0);               /* the page of the live object */
	CHECK_EQ(*(unsigned char *)objs[0], 0x5a);
	CHECK_EQ(ks__slab_check(&sc), 0);
	/* every object comes back, none twice */
	for (unsigned i = 1; i < n; i++) {
		objs[i] = ks__slab_alloc(&sc, 0);
		REQUIRE(objs[i] != NULL);
		CHECK(head_of(objs[i]) == h);
		for (unsigned j = 0; j < i; j++)
			CHECK(objs[j] != objs[i]);
		memset(objs[i], 0x11, sc.object_size);
		CHECK_EQ(ks__slab_check(&sc), 0);
	}
	CHECK_EQ(h->purged, 0);
	CHECK_EQ(*(unsigned char *)objs[0], 0x5a);
	for (unsigned i = 0; i < n; i++)
		ks__slab_free(&sc, objs[i]);
	CHECK_EQ(ks__slab_check(&sc), 0);
	ks__slab_shrink(&sc);
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
}

/* The locks fork's handlers take and release: every node's is a cache
 * line of the lock pool (meta.c), the pool's slots sit side by side so
 * that a fork writes few pages, a cache that goes gives its slots back for
 * the next one, and a node whose pool is used up keeps its own lock. */
static void t_lock_pool(void)
{
	static struct ks_slab_cache a, b;
	static ks_lock_t own[KS_LOCK_POOL + 1];
	static ks_lock_t *got[KS_LOCK_POOL + 1];
	ks_lock_t *lk[3];
	void *obj[3];
	ks_boot();
	if (ks__nr_nodes < 3)
		SKIP("needs KSLAB_OPTIONS=nodes=3 (has %u nodes)", ks__nr_nodes);
	REQUIRE(ks__slab_cache_init(&a, "t-locks", 64, 0, 0, NULL) == 0);
	for (unsigned n = 0; n < 3; n++) {
		REQUIRE((obj[n] = alloc_on(&a, n)) != NULL);
		lk[n] = a.node[n]->lock;
		CHECK(lk[n] != &a.node[n]->own_lock);
		CHECK_EQ((uintptr_t)lk[n] % KS_CACHE_LINE, 0);
		for (unsigned m = 0; m < n; m++)
			CHECK(lk[n] != lk[m]);
		/* with the kmalloc caches' locks, in one small array */
		CHECK((uintptr_t)lk[n] - (uintptr_t)ks__kmalloc_caches[0].sc.node0.lock <
		      (uintptr_t)KS_LOCK_POOL * KS_CACHE_LINE);
		ks_lock(lk[n]);              /* a working lock */
		ks_unlock(lk[n]);
	}
	ks__tls_node = 0;                /* (the cases may share a process) */
	for (unsigned n = 0; n < 3; n++)
		ks__slab_free(&a, obj[n]);
	CHECK_EQ(ks__slab_cache_busy(&a), 0);
	ks__slab_cache_fini(&a);
	/* the slots come back, the last given back first */
	REQUIRE(ks__slab_cache_init(&b, "t-locks2", 96, 0, 0, NULL) == 0);
	CHECK(b.node[0]->lock == lk[2]);
	ks__slab_cache_fini(&b);
	/* used up: the owner's own lock, then a slot again once one is back */
	size_t n = 0;
	while (n < KS_LOCK_POOL && (got[n] = ks__lock_get(&own[n], KS_LR_NODE)) != &own[n])
		n++;
	REQUIRE(n < KS_LOCK_POOL);
	CHECK(got[n] == &own[n]);
	ks_lock(got[n]);
	ks_unlock(got[n]);
	ks__lock_put(got[n]);            /* its own: left alone */
	ks__lock_put(got[0]);
	CHECK(ks__lock_get(&own[0], KS_LR_NODE) == got[0]);
	for (size_t i = 0; i < n; i++)
		ks__lock_put(got[i]);
}


/* Runs (slab.c, 10.): once a node has grown a few slabs, a slab cut from a
 * larger block comes with the rest of it, and the node's next slabs are
 * those pages, in address order; shrink and idle ticks give a run back. */
static void t_runs(void)
{
	static struct ks_slab_cache sc;
	static void *objs[64 * 128];
	size_t n = 0;
	ks_boot();
	ks__tls_node = 0;
	REQUIRE(ks__slab_cache_init(&sc, "t-runs", 256, 0, 0, NULL) == 0);
	REQUIRE(sc.order == 0);
	struct ks_slab_node *nd = sc.node[0];
	unsigned per = sc.objs_per_slab;
	/* no run before the node has grown a few slabs */
	while (nd->nr_grow < 8) {
		REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
		CHECK_EQ(nd->run_left, 0);
	}
	/* then one, once a block is split for a slab (holes go first) */
	while (nd->run_left == 0) {
		REQUIRE(n < KS_ARRAY_SIZE(objs));
		REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
	}
	CHECK_LE(nd->run_left, 7);
	CHECK_EQ(ks__slab_check(&sc), 0);
	struct ks_slab_totals t;
	ks__slab_totals(&sc, &t);             /* counted (ks_stats_get too) */
	CHECK_EQ(t.run_pages, nd->run_left);
	/* the next slab is the run's first page, then the one after it */
	while (head_of(objs[n - 1])->inuse < per)
		REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
	struct ks_page *next = nd->run;
	unsigned left = nd->run_left;
	REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
	CHECK(head_of(objs[n - 1]) == next);
	CHECK_EQ(nd->run_left, left - 1);
	if (left > 1) {
		for (unsigned i = 1; i < per; i++)
			REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
		REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
		CHECK(head_of(objs[n - 1]) == next + 1);
	}
	CHECK_EQ(ks__slab_check(&sc), 0);
	/* idle for two ticks: the run goes back */
	if (nd->run_left) {
		ks__slab_purge_idle(false);
		ks__slab_purge_idle(false);
		ks__slab_purge_idle(false);
		CHECK_EQ(nd->run_left, 0);
	}
	/* shrink gives back the run and the empty slabs: every page */
	while (nd->run_left == 0 && n < KS_ARRAY_SIZE(objs))
		REQUIRE((objs[n++] = ks__slab_alloc(&sc, 0)) != NULL);
	while (n)
		ks__slab_free(&sc, objs[--n]);
	CHECK(nd->run_left != 0);
	CHECK_EQ(ks__slab_check(&sc), 0);
	size_t free0 = ks__zones[KS_ZONE_NORMAL].free_pages;
	size_t pages = ks__slab_shrink(&sc);
	CHECK_EQ(nd->run_left, 0);
	CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages, free0 + pages);
	CHECK_EQ(ks__slab_check(&sc), 0);
	CHECK_EQ(ks__slab_cache_busy(&sc), 0);
	ks__slab_cache_fini(&sc);
}

static const struct harness_case cases[] = {
	{ "nodes", t_nodes },
	{ "lock_pool", t_lock_pool },
	{ "lazy_carving", t_lazy_carving },
	{ "purge_idle", t_purge_idle },
	{ "fullest_first", t_fullest_first },
	{ "list_transitions", t_list_transitions },
	{ "colour", t_colour },
	{ "ctor_and_align", t_ctor_and_align },
	{ "bulk_and_order", t_bulk_and_order },
	{ "power_of_two_natural", t_power_of_two_natural },
	{ "object_start_exact", t_object_start_exact },
	{ "runs", t_runs },             /* last: it leaves free pages dirty */
};

int main(int argc, char **argv)
{
	harness_reexec_with_env(argv, "KSLAB_OPTIONS", "nodes=3");
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
