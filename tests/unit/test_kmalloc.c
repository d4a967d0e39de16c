/*
 * test_kmalloc.c - the size classes (every size maps to the smallest class
 * that holds it, no class wastes more than 25% of a block, four classes
 * per doubling above 128 B) and the magazine ladder through the kmalloc
 * caches (swap, depot, slab refill) with the counts adding up.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "kmalloc.h"
#include "magazine.h"
#include "init.h"

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
		CHECK_EQ(ks_kmalloc_caches[c].sc.object_size, ks_class_size(c));
	CHECK_EQ(ks_class_size(KS_NR_CLASSES - 1), KS_SLAB_MAX);
}

static void t_magazine_ladder(void)
{
	struct ks_cache *c = &ks_kmalloc_caches[ks_size_class(64)];
	void *objs[2000];
	ks_boot();
	size_t active0 = c->sc.active_objs;
	for (int i = 0; i < 2000; i++) {
		objs[i] = ks__mag_alloc_slow(c, 0);
		REQUIRE(objs[i] != NULL);
		memset(objs[i], i, 64);
	}
	for (int i = 0; i < 2000; i++)
		ks__mag_free_slow(c, objs[i]);
	CHECK(c->depot.nr_full > 0);           /* full magazines reached the depot */
	CHECK(c->depot.nr_full <= c->depot.max_full);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
	/* everything back: drain this thread and the depot */
	ks__mag_drain(c);
	CHECK_EQ(c->sc.active_objs, active0);
	CHECK_EQ(c->depot.nr_full, 0);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
}

static void t_thread_exit_flush(void)
{
	struct ks_cache *c = &ks_kmalloc_caches[ks_size_class(128)];
	ks_boot();
	void *obj = ks__mag_alloc_slow(c, 0);
	REQUIRE(obj != NULL);
	ks__mag_free_slow(c, obj);
	struct ks_tcache *tc = ks_tls_tcache;
	REQUIRE(tc != &ks_tcache_empty);
	size_t threads = ks__mag_nr_threads();
	ks__mag_thread_exit(tc);               /* as the key destructor does */
	CHECK_EQ(ks__mag_nr_threads(), threads - 1);
	/* later frees in this "exiting" thread go to the slabs directly */
	void *late = ks__mag_alloc_slow(c, 0);
	REQUIRE(late != NULL);
	ks__mag_free_slow(c, late);
	ks__mag_drain(c);
	CHECK_EQ(ks__slab_check(&c->sc), 0);
}

static const struct harness_case cases[] = {
	{ "classes", t_classes },
	{ "magazine_ladder", t_magazine_ladder },
	{ "thread_exit_flush", t_thread_exit_flush },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
