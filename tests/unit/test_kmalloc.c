// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_kmalloc.c - the size classes (every size maps to the smallest class
 * that holds it, no class wastes more than 25% of a block, four classes
 * per doubling above 128 B) and the magazine ladder through the kmalloc
 * caches (swap, depot, slab refill) with the counts adding up, and the
 * depots of the slab nodes: a thread gets objects of its own node's slabs
 * only, and full magazines go to the depot of their objects' node; a
 * thread's idle magazines of big classes go back (idle_trim).  Runs
 * with KSLAB_OPTIONS=nodes=3 unless told otherwise.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "kmalloc.h"
#include "magazine.h"
#include "thread.h"
#include "init.h"
#include <pthread.h>

static void t_classes(void)
{
	ks_boot();
	for (size_t size = 1; size <= KS_SLAB_MAX; size++) {
		unsigned c = ks_size_class(size);
		REQUIRE(c < KS_NR_CLASSES);
		CHECK(ks_class_size(c) >= size);
		if (c > 0)
			CHECK(ks_class_size(c - 1) < size);      /* the smallest */
		/* 16-byte steps to 128 B; above, at most 25% over the request */
		if (size <= 128)
			CHECK(ks_class_size(c) - size < 16);
		else
			CHECK((ks_class_size(c) - size) * 4 <= size);
	}
	for (unsigned c = 0; c < KS_NR_CLASSES; c++)
		CHECK_EQ(ks__kmalloc_caches[c].sc.object_size, ks_class_size(c));
	CHECK_EQ(ks_class_size(KS_NR_CLASSES - 1), KS_SLAB_MAX);
}

static size_t active_objs(struct ks_slab_cache *sc)
{
	struct ks_slab_totals t;
	ks__slab_totals(sc, &t);
	return t.active_objs;
}

/* The magazine cases need magazines: KSLAB_OPTIONS=debug, poison,
 * redzone or magazines=0 send every kmalloc cache to the slabs. */
static void need_magazines(void)
{
	ks_boot();
	if (!ks__kmalloc_caches[0].magazines)
		SKIP("the kmalloc caches have no magazines (KSLAB_OPTIONS=%s)",
		     getenv("KSLAB_OPTIONS") ? getenv("KSLAB_OPTIONS") : "");
}

static void t_magazine_ladder(void)
{
	struct ks_cache *c = &ks__kmalloc_caches[ks_size_class(64)];
	void *objs[2000];
	need_magazines();
	size_t active0 = active_objs(&c->sc);
	for (int i = 0; i < 2000; i++) {
		objs[i] = ks__mag_alloc_slow(c, 0);
		REQUIRE(objs[i] != NULL);
		memset(objs[i], i, 64);
	}
	for (int i = 0; i < 2000; i++)
		ks__mag_free_slow(c, objs[i]);
	/* full magazines reached this thread's node's depot, within its cap */
	struct ks_depot *d = c->depot[ks__tls_node];
	CHECK(d->full.nr > 0);
	CHECK(d->full.nr <= d->max_full);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
	CHECK_EQ(ks__mag_check(c), 0);
	/* the check sees a count that lies, and an object of another cache */
	d->full.nr++;
	CHECK(ks__mag_check(c) > 0);
	d->full.nr--;
	void *saved = d->full.top->round[0];
	void *other = ks__mag_alloc_slow(&ks__kmalloc_caches[ks_size_class(128)], 0);
	REQUIRE(other != NULL);
	d->full.top->round[0] = other;
	CHECK(ks__mag_check(c) > 0);
	d->full.top->round[0] = saved;
	ks__mag_free_slow(&ks__kmalloc_caches[ks_size_class(128)], other);
	CHECK_EQ(ks__mag_check(c), 0);
	/* everything back: drain this thread and the depot */
	ks__mag_drain(c);
	CHECK_EQ(active_objs(&c->sc), active0);
	CHECK_EQ(d->full.nr, 0);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
	CHECK_EQ(ks__mag_check(c), 0);
}

static void t_thread_exit_flush(void)
{
	struct ks_cache *c = &ks__kmalloc_caches[ks_size_class(128)];
	need_magazines();
	void *obj = ks__mag_alloc_slow(c, 0);
	REQUIRE(obj != NULL);
	ks__mag_free_slow(c, obj);
	struct ks_tcache *tc = ks__tls_tcache;
	REQUIRE(tc != &ks__tcache_empty);
	size_t threads = ks__thread_count();
	ks__mag_thread_exit(tc);               /* as the key destructor does */
	CHECK_EQ(ks__thread_count(), threads - 1);
	/* later frees in this "exiting" thread go to the slabs directly */
	void *late = ks__mag_alloc_slow(c, 0);
	REQUIRE(late != NULL);
	ks__mag_free_slow(c, late);
	ks__mag_drain(c);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
}

/* A thread's magazines of a class above 32 KiB go back once a look finds
 * them where the look before left them, and stay while the thread uses
 * them.  In a thread of its own: a case run before it in this process may
 * have sent the main thread's state away (thread_exit_flush). */
static void *idle_trim(void *arg)
{
	struct ks_cache *c = &ks__kmalloc_caches[ks_size_class(40000)];
	void *objs[4];
	(void)arg;
	REQUIRE(c->id >= KS_BIG_CLASS);
	size_t active0 = active_objs(&c->sc);
	for (int round = 0; round < 2; round++) {     /* the first free loads none */
		for (int i = 0; i < 4; i++)
			REQUIRE((objs[i] = ks__mag_alloc_slow(c, 0)) != NULL);
		for (int i = 0; i < 4; i++)
			ks__mag_free_slow(c, objs[i]);
	}
	struct ks_tcache *tc = ks__tls_tcache;
	struct ks_cpu_cache *cc = ks_cpu_cache_of(tc, c);
	REQUIRE(cc && cc->base && cc->cursor != cc->base);
	/* used between two looks: kept */
	tc->idle_ms = 0;
	ks__kmalloc_trim(tc);
	REQUIRE((objs[0] = ks__mag_alloc_slow(c, 0)) != NULL);
	tc->idle_ms = 0;
	ks__kmalloc_trim(tc);
	CHECK(cc->base != NULL);
	ks__mag_free_slow(c, objs[0]);
	/* a look that finds the loaded magazine where the last one left it
	 * gives the magazines back, and a later look a decay period early
	 * does nothing */
	tc->idle_ms = 0;
	ks__kmalloc_trim(tc);
	CHECK(cc->base != NULL);
	tc->idle_ms = 0;
	ks__kmalloc_trim(tc);
	CHECK(cc->base == NULL);
	CHECK(tc->idle_ms > 0);
	ks__kmalloc_trim(tc);
	CHECK_EQ(ks__mag_check(c), 0);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
	ks__mag_drain(c);
	CHECK_EQ(active_objs(&c->sc), active0);
	/* the magazine comes back with the next free */
	REQUIRE((objs[0] = ks__mag_alloc_slow(c, 0)) != NULL);
	ks__mag_free_slow(c, objs[0]);
	CHECK(cc->base != NULL);
	ks__mag_drain(c);
	return NULL;
}

static void t_idle_trim(void)
{
	pthread_t t;
	need_magazines();
	REQUIRE(pthread_create(&t, NULL, idle_trim, NULL) == 0);
	pthread_join(t, NULL);
}

#define NODE_OBJS 512

static struct {
	struct ks_cache *c;
	void *x_objs[NODE_OBJS];
	unsigned x_node, y_node;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool x_ready, y_done;
} nt = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void nt_wait(bool *flag)
{
	pthread_mutex_lock(&nt.lock);
	while (!*flag)
		pthread_cond_wait(&nt.cond, &nt.lock);
	pthread_mutex_unlock(&nt.lock);
}

static void nt_set(bool *flag)
{
	pthread_mutex_lock(&nt.lock);
	*flag = true;
	pthread_cond_broadcast(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
}

/* X allocates objects for Y to free, and stays alive (keeping its node)
 * until Y is done. */
static void *thread_x(void *arg)
{
	(void)arg;
	for (int i = 0; i < NODE_OBJS; i++)
		nt.x_objs[i] = ks__mag_alloc_slow(nt.c, 0);
	nt.x_node = ks__tls_node;
	nt_set(&nt.x_ready);
	nt_wait(&nt.y_done);
	return NULL;
}

static void *thread_y(void *arg)
{
	struct ks_cache *c = nt.c;
	void *own[NODE_OBJS];
	(void)arg;
	for (int i = 0; i < NODE_OBJS; i++) {
		own[i] = ks__mag_alloc_slow(c, 0);
		REQUIRE(own[i] != NULL);
		CHECK_EQ(ks_virt_to_page(own[i])->node, ks__tls_node);
	}
	nt.y_node = ks__tls_node;
	CHECK(nt.y_node != nt.x_node);
	/* X's objects, freed here, go to X's node's depot, not ours */
	for (int i = 0; i < NODE_OBJS; i++)
		ks__mag_free_slow(c, nt.x_objs[i]);
	CHECK(c->depot[nt.x_node]->full.nr > 0);
	CHECK_EQ(c->depot[nt.x_node]->full.nr, c->depot[nt.x_node]->max_full);
	CHECK_EQ(c->depot[nt.y_node]->full.nr, 0);
	for (int i = 0; i < NODE_OBJS; i++)
		ks__mag_free_slow(c, own[i]);
	CHECK(c->depot[nt.y_node]->full.nr > 0);
	/* what our node's depot hands back is our node's */
	for (int i = 0; i < NODE_OBJS; i++) {
		own[i] = ks__mag_alloc_slow(c, 0);
		CHECK_EQ(ks_virt_to_page(own[i])->node, nt.y_node);
	}
	for (int i = 0; i < NODE_OBJS; i++)
		ks__mag_free_slow(c, own[i]);
	nt_set(&nt.y_done);
	return NULL;
}

static void t_depot_nodes(void)
{
	pthread_t x, y;
	need_magazines();
	if (ks__nr_nodes < 3)
		SKIP("needs KSLAB_OPTIONS=nodes=3 (has %u nodes)", ks__nr_nodes);
	nt.c = &ks__kmalloc_caches[ks_size_class(64)];
	/* this thread takes a node first, so X and Y get the other two */
	ks__mag_free_slow(nt.c, ks__mag_alloc_slow(nt.c, 0));
	ks__mag_drain(nt.c);
	size_t active0 = active_objs(&nt.c->sc);
	REQUIRE(pthread_create(&x, NULL, thread_x, NULL) == 0);
	nt_wait(&nt.x_ready);
	REQUIRE(pthread_create(&y, NULL, thread_y, NULL) == 0);
	REQUIRE(pthread_join(y, NULL) == 0);
	REQUIRE(pthread_join(x, NULL) == 0);
	CHECK(nt.x_node != ks__tls_node && nt.y_node != ks__tls_node);
	/* both threads gone: their magazines are in the depots; drain */
	ks__mag_drain(nt.c);
	CHECK_EQ(active_objs(&nt.c->sc), active0);
	CHECK_EQ(ks__slab_check(&nt.c->sc), 0);
}

/* Busy threads get nodes of their own: B, started while A ticks, takes
 * another node than A's, at its start and again at its first tick. */
static struct {
	unsigned a_node;
	bool a_ready, b_done;
} nc;

static void *node_a(void *arg)
{
	struct ks_cache *c = &ks__kmalloc_caches[ks_size_class(48)];
	(void)arg;
	ks__mag_free_slow(c, ks__mag_alloc_slow(c, 0));    /* has a node now */
	for (int i = 0; i < 4; i++)
		ks__thread_tick(ks__tls_tcache);                 /* and is busy */
	nc.a_node = ks__tls_node;
	nt_set(&nc.a_ready);
	nt_wait(&nc.b_done);
	return NULL;
}

static void *node_b(void *arg)
{
	struct ks_cache *c = &ks__kmalloc_caches[ks_size_class(48)];
	(void)arg;
	ks__mag_free_slow(c, ks__mag_alloc_slow(c, 0));
	CHECK(ks__tls_node != nc.a_node);
	ks__thread_tick(ks__tls_tcache);      /* the first tick chooses again */
	CHECK(ks__tls_node != nc.a_node);
	CHECK_EQ(ks__tls_tcache->node, ks__tls_node);
	nt_set(&nc.b_done);
	return NULL;
}

static void t_node_choice(void)
{
	pthread_t a, b;
	need_magazines();
	if (ks__nr_nodes < 2)
		SKIP("needs two nodes or more (has %u)", ks__nr_nodes);
	REQUIRE(pthread_create(&a, NULL, node_a, NULL) == 0);
	nt_wait(&nc.a_ready);
	REQUIRE(pthread_create(&b, NULL, node_b, NULL) == 0);
	REQUIRE(pthread_join(b, NULL) == 0);
	REQUIRE(pthread_join(a, NULL) == 0);
}

static const struct harness_case cases[] = {
	{ "node_choice", t_node_choice },
	{ "depot_nodes", t_depot_nodes },
	{ "classes", t_classes },
	{ "magazine_ladder", t_magazine_ladder },
	{ "thread_exit_flush", t_thread_exit_flush },
	{ "idle_trim", t_idle_trim },
};

int main(int argc, char **argv)
{
	harness_reexec_with_env(argv, "KSLAB_OPTIONS", "nodes=3");
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
