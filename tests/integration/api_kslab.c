// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_kslab.c - the ks_* extended API of include/kslab.h: object caches,
 * the page allocator, kmalloc/vmalloc, statistics, slabinfo and ks_check.
 * Public API and libc only; kslab-specific (linked with libkslab.la).
 * ks_check() must be 0 after every phase.
 */
#include <malloc.h>
#include <stdlib.h>

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "kslab.h"
#include "../harness/harness.h"

#define GIB4 ((uintptr_t)1 << 32)

#define CHECK_CONSISTENT(phase)                                              \
	do {                                                                 \
		int broken_ = ks_check();                                    \
		CHECK_MSG(broken_ == 0, "ks_check() after %s: %d broken",    \
		          (phase), broken_);                                 \
	} while (0)

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool disjoint(const void *a, size_t alen, const void *b, size_t blen)
{
	const char *x = a, *y = b;

	return x + alen <= y || y + blen <= x;
}

static void t_version(void)
{
	size_t ps = ks_page_size();

	CHECK_STREQ(ks_version(), KSLAB_VERSION);
	CHECK(ps != 0 && (ps & (ps - 1)) == 0);
	CHECK_GE(ps, 4096);
	CHECK_CONSISTENT("start");
}

/* ------------------------------------------------------------------------
 * Caches
 * ------------------------------------------------------------------------ */
struct obj {
	uint64_t magic;        /* set by the constructor */
	uint64_t ctor_seq;     /* which constructor call built it */
	char payload[84];
};
#define OBJ_MAGIC 0x6f626a6374726f6bull

static size_t ctor_calls;

static void obj_ctor(void *p)
{
	struct obj *o = p;

	o->magic = OBJ_MAGIC;
	o->ctor_seq = ++ctor_calls;
	memset(o->payload, 0, sizeof(o->payload));
}

static void t_cache_basic(void)
{
	enum { N = 5000 };
	static void *objs[N];
	ks_cache_t *c = ks_cache_create("test-basic", 200, 0, 0, NULL);

	REQUIRE(c != NULL);
	CHECK_STREQ(ks_cache_name(c), "test-basic");
	CHECK_GE(ks_cache_object_size(c), 200);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		CHECK_PTR_ALIGNED(objs[i], 16);        /* natural alignment */
		memset(objs[i], (int)(i & 0xff), 200);
	}
	for (size_t i = 0; i < N; i++) {
		unsigned char *o = objs[i];

		CHECK_EQ(o[0], i & 0xff);
		CHECK_EQ(o[199], i & 0xff);
	}
	CHECK_CONSISTENT("cache alloc");
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	CHECK_CONSISTENT("cache free");
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("cache destroy");
}

/* The constructor runs once per object when its slab is made, never on
 * allocation: objects freed and allocated again, in slabs that never became
 * empty, are not constructed again. */
static void t_cache_ctor(void)
{
	enum { N = 4000 };
	static struct obj *objs[N];
	ks_cache_t *c = ks_cache_create("test-ctor", sizeof(struct obj), 0, 0,
	                                obj_ctor);
	size_t after_first;

	REQUIRE(c != NULL);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		CHECK_EQ(objs[i]->magic, OBJ_MAGIC);
		CHECK(objs[i]->ctor_seq >= 1 && objs[i]->ctor_seq <= ctor_calls);
	}
	after_first = ctor_calls;
	CHECK_GE(after_first, N);
	/* no object was constructed twice: the sequence numbers are
	 * distinct (a second construction would have renumbered it, and two
	 * objects cannot share one call) */
	for (size_t i = 1; i < N; i++)
		for (size_t j = i > 64 ? i - 64 : 0; j < i; j++)
			CHECK_NE(objs[i]->ctor_seq, objs[j]->ctor_seq);

	/* free every other object: every slab keeps live objects */
	for (size_t i = 0; i < N; i += 2) {
		ks_cache_free(c, objs[i]);
	}
	for (size_t i = 0; i < N; i += 2) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		CHECK_EQ(objs[i]->magic, OBJ_MAGIC);
	}
	CHECK_MSG(ctor_calls == after_first,
	          "constructor ran %zu more times re-allocating %d freed "
	          "objects from non-empty slabs (want 0)",
	          ctor_calls - after_first, N / 2);
	CHECK_CONSISTENT("ctor");
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("ctor destroy");
}

static void check_cache_alignment(const char *name, size_t size, size_t align,
                                  unsigned long flags, size_t want)
{
	enum { N = 300 };
	void *objs[N];
	ks_cache_t *c = ks_cache_create(name, size, align, flags, NULL);

	if (!CHECK_MSG(c != NULL, "ks_cache_create(%s, %zu, %zu, %#lx): %s",
	               name, size, align, flags, strerror(errno)))
		return;
	CHECK_GE(ks_cache_object_size(c), size);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		CHECK_MSG((uintptr_t)objs[i] % want == 0,
		          "cache %s (size %zu align %zu flags %#lx): object %p "
		          "not aligned to %zu", name, size, align, flags,
		          objs[i], want);
		memset(objs[i], 0x77, size);
	}
	for (size_t i = 0; i < N; i++)
		for (size_t j = i + 1; j < N && j < i + 8; j++)
			CHECK(disjoint(objs[i], size, objs[j], size));
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	CHECK_EQ(ks_cache_destroy(c), 0);
}

static void t_cache_align(void)
{
	static const size_t aligns[] = { 8, 16, 32, 64, 128, 256, 512, 1024,
	                                 2048, 4096 };
	static const size_t sizes[] = { 8, 24, 40, 100, 1000, 3000 };
	char name[32];

	for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			snprintf(name, sizeof(name), "test-al%zu-%zu", aligns[a],
			         sizes[s]);
			check_cache_alignment(name, sizes[s], aligns[a], 0,
			                      aligns[a]);
		}
	CHECK_CONSISTENT("cache align");
}

static void t_cache_hwcache_align(void)
{
	static const size_t sizes[] = { 1, 8, 24, 40, 64, 65, 100, 200, 1000 };
	char name[32];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		snprintf(name, sizeof(name), "test-hw-%zu", sizes[s]);
		check_cache_alignment(name, sizes[s], 0, KS_CACHE_HWCACHE_ALIGN,
		                      64);
	}
	CHECK_CONSISTENT("hwcache align");
}

static void t_cache_flags(void)
{
	/* every flag combination works for ordinary use */
	static const unsigned long flags[] = {
		KS_CACHE_POISON, KS_CACHE_RED_ZONE,
		KS_CACHE_POISON | KS_CACHE_RED_ZONE, KS_CACHE_NOMAGAZINE,
		KS_CACHE_PANIC, KS_CACHE_DMA32 | KS_CACHE_HWCACHE_ALIGN,
		KS_CACHE_POISON | KS_CACHE_RED_ZONE | KS_CACHE_NOMAGAZINE,
	};
	char name[32];

	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		snprintf(name, sizeof(name), "test-flags-%#lx", flags[f]);
		check_cache_alignment(name, 72, 0, flags[f], 8);
	}
	CHECK_CONSISTENT("cache flags");
}

static void t_cache_dma32(void)
{
	enum { N = 3000 };
	static void *objs[N];
	ks_cache_t *c = ks_cache_create("test-dma32", 512, 0, KS_CACHE_DMA32,
	                                NULL);

	REQUIRE(c != NULL);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		CHECK_MSG((uintptr_t)objs[i] + 512 <= GIB4,
		          "KS_CACHE_DMA32 object %p above 4 GiB", objs[i]);
		memset(objs[i], 1, 512);
	}
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("cache dma32");
}

static void t_cache_destroy_busy(void)
{
	struct harness_capture cap;
	ks_cache_t *c = ks_cache_create("test-busy-cache", 48, 0, 0, NULL);
	void *a, *b, *d;
	int r;

	REQUIRE(c != NULL);
	a = ks_cache_alloc(c, KS_GFP_KERNEL);
	b = ks_cache_alloc(c, KS_GFP_KERNEL);
	d = ks_cache_alloc(c, KS_GFP_KERNEL);
	REQUIRE(a && b && d);
	ks_cache_free(c, b);
	if (!harness_capture_begin(&cap))
		HARD_ERROR("cannot capture stderr");
	errno = 0;
	r = ks_cache_destroy(c);
	int err = errno;
	harness_capture_end(&cap);
	CHECK_EQ(r, -1);
	CHECK_EQ(err, EBUSY);
	CHECK_MSG(strstr(cap.out, "test-busy-cache") != NULL,
	          "ks_cache_destroy of a busy cache printed no line naming it; "
	          "stderr was: \"%s\"", cap.out);
	harness_note("busy destroy reported: %s", cap.out);
	/* the cache is left in place and still works */
	b = ks_cache_alloc(c, KS_GFP_KERNEL);
	REQUIRE(b != NULL);
	ks_cache_free(c, a);
	ks_cache_free(c, b);
	ks_cache_free(c, d);
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("destroy busy");
}

static void t_cache_shrink(void)
{
	enum { N = 20000 };
	static void *objs[N];
	ks_cache_t *c = ks_cache_create("test-shrink", 256, 0, 0, NULL);
	struct ks_stats before, after;

	REQUIRE(c != NULL);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
	}
	CHECK_EQ(ks_stats_get(&before), 0);     /* all N objects live */
	CHECK_GE(before.slab_bytes, (size_t)N * 256);
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	size_t released = ks_cache_shrink(c);
	CHECK_EQ(ks_stats_get(&after), 0);
	harness_note("ks_cache_shrink released %zu pages; slab_bytes %zu -> %zu",
	             released, before.slab_bytes, after.slab_bytes);
	/* the cache is empty: its slabs (at least half of the bytes the N
	 * objects took) went back to the page allocator */
	CHECK_LE(after.slab_bytes + (size_t)N * 256 / 2, before.slab_bytes);
	CHECK_CONSISTENT("shrink");
	/* shrink of an empty shrunk cache is harmless */
	CHECK_EQ(ks_cache_shrink(c), 0);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(c, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
		memset(objs[i], 3, 256);
	}
	for (size_t i = 0; i < N; i++)
		ks_cache_free(c, objs[i]);
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("shrink destroy");
}

static void t_cache_names(void)
{
	char name[64] = "test-name";
	ks_cache_t *c = ks_cache_create(name, 32, 0, 0, NULL);

	REQUIRE(c != NULL);
	strcpy(name, "overwritten");
	CHECK_STREQ(ks_cache_name(c), "test-name");     /* copied */
	CHECK_EQ(ks_cache_destroy(c), 0);

	/* a long name is kept to its first 31 characters */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	c = ks_cache_create(name, 32, 0, 0, NULL);
	REQUIRE(c != NULL);
	CHECK_EQ(strlen(ks_cache_name(c)), 31);
	CHECK(strncmp(ks_cache_name(c), name, 31) == 0);
	CHECK_EQ(ks_cache_destroy(c), 0);

	/* an alignment that is not a power of two is EINVAL */
	errno = 0;
	c = ks_cache_create("test-bad-align", 32, 24, 0, NULL);
	CHECK(c == NULL);
	CHECK_EQ(errno, EINVAL);
	if (c)
		ks_cache_destroy(c);
	CHECK_CONSISTENT("names");
}

/* ------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------ */
static void t_pages_orders(void)
{
	enum { PER = 3 };
	size_t ps = ks_page_size();
	void *blk[KS_MAX_ORDER + 1][PER];

	for (unsigned o = 0; o <= KS_MAX_ORDER; o++) {
		size_t len = ps << o;

		for (int k = 0; k < PER; k++) {
			unsigned char *p = ks_alloc_pages(KS_GFP_KERNEL, o);

			blk[o][k] = p;
			if (!CHECK_MSG(p != NULL, "ks_alloc_pages(order %u): %s", o,
			               strerror(errno)))
				continue;
			CHECK_MSG((uintptr_t)p % len == 0,
			          "ks_alloc_pages(order %u) = %p: not aligned to "
			          "%zu", o, (void *)p, len);
			memset(p, (int)(o * PER + k + 1), len);
		}
	}
	for (unsigned o = 0; o <= KS_MAX_ORDER; o++)
		for (int k = 0; k < PER; k++) {
			unsigned char *p = blk[o][k];

			if (!p)
				continue;
			CHECK_EQ(p[0], o * PER + k + 1);
			CHECK_EQ(p[(ps << o) - 1], o * PER + k + 1);
			for (unsigned o2 = 0; o2 <= KS_MAX_ORDER; o2++)
				for (int k2 = 0; k2 < PER; k2++) {
					if ((o2 == o && k2 == k) || !blk[o2][k2])
						continue;
					CHECK(disjoint(p, ps << o, blk[o2][k2],
					               ps << o2));
				}
		}
	CHECK_CONSISTENT("pages alloc");
	for (unsigned o = 0; o <= KS_MAX_ORDER; o++)
		for (int k = 0; k < PER; k++)
			if (blk[o][k])
				ks_free_pages(blk[o][k], o);
	CHECK_CONSISTENT("pages free");
	/* an order above the maximum fails cleanly */
	errno = 0;
	void *p = ks_alloc_pages(KS_GFP_KERNEL | KS_GFP_NOWARN,
	                         KS_MAX_ORDER + 1);
	if (p)
		ks_free_pages(p, KS_MAX_ORDER + 1);
	else
		CHECK(errno == ENOMEM || errno == EINVAL);
	CHECK_CONSISTENT("pages too big");
}

static void t_pages_single(void)
{
	size_t ps = ks_page_size();
	unsigned char *p[64];

	/* dirty a batch of pages and give them back, so the zeroed ones
	 * below are likely to be the same pages */
	for (int i = 0; i < 64; i++) {
		p[i] = ks_get_free_page(KS_GFP_KERNEL);
		REQUIRE(p[i] != NULL);
		CHECK_PTR_ALIGNED(p[i], ps);
		memset(p[i], 0xee, ps);
	}
	for (int i = 0; i < 64; i++)
		ks_free_page(p[i]);
	for (int i = 0; i < 64; i++) {
		p[i] = ks_get_zeroed_page(KS_GFP_KERNEL);
		REQUIRE(p[i] != NULL);
		CHECK_PTR_ALIGNED(p[i], ps);
		CHECK_MSG(all_zero(p[i], ps), "ks_get_zeroed_page = %p not zeroed",
		          (void *)p[i]);
		memset(p[i], 0xee, ps);
	}
	for (int i = 0; i < 64; i++)
		ks_free_page(p[i]);
	/* and GFP_ZERO on the order API */
	for (unsigned o = 0; o <= 4; o++) {
		unsigned char *q = ks_alloc_pages(KS_GFP_KERNEL | KS_GFP_ZERO, o);

		REQUIRE(q != NULL);
		CHECK(all_zero(q, ps << o));
		ks_free_pages(q, o);
	}
	CHECK_CONSISTENT("single pages");
}

static void t_pages_exact(void)
{
	size_t ps = ks_page_size();
	const size_t sizes[] = { 1, ps - 1, ps, ps + 1, 3 * ps, 5 * ps,
	                         5 * ps + 1, 7 * ps, 100 * ps, 513 * ps };
	void *p[10];

	for (size_t i = 0; i < 10; i++) {
		p[i] = ks_alloc_pages_exact(sizes[i], KS_GFP_KERNEL);
		if (!CHECK_MSG(p[i] != NULL, "ks_alloc_pages_exact(%zu): %s",
		               sizes[i], strerror(errno)))
			continue;
		CHECK_PTR_ALIGNED(p[i], ps);
		/* the whole rounded-up size is usable */
		memset(p[i], (int)i + 1, (sizes[i] + ps - 1) / ps * ps);
	}
	for (size_t i = 0; i < 10; i++) {
		size_t len = (sizes[i] + ps - 1) / ps * ps;

		if (!p[i])
			continue;
		CHECK_EQ(((unsigned char *)p[i])[0], i + 1);
		CHECK_EQ(((unsigned char *)p[i])[len - 1], i + 1);
		for (size_t j = 0; j < 10; j++)
			if (j != i && p[j])
				CHECK(disjoint(p[i], len, p[j],
				               (sizes[j] + ps - 1) / ps * ps));
	}
	CHECK_CONSISTENT("exact alloc");
	for (size_t i = 0; i < 10; i++)
		if (p[i])
			ks_free_pages_exact(p[i], sizes[i]);
	CHECK_CONSISTENT("exact free");

	/* the freed tail is reusable: 5-page blocks over and over, each
	 * freed tail serving the single pages that follow */
	void *five[32], *one[96];
	for (int i = 0; i < 32; i++) {
		five[i] = ks_alloc_pages_exact(5 * ps, KS_GFP_KERNEL);
		REQUIRE(five[i] != NULL);
		for (int k = 0; k < 3; k++) {
			one[i * 3 + k] = ks_get_free_page(KS_GFP_KERNEL);
			REQUIRE(one[i * 3 + k] != NULL);
		}
	}
	for (int i = 0; i < 32; i++)
		ks_free_pages_exact(five[i], 5 * ps);
	for (int i = 0; i < 96; i++)
		ks_free_page(one[i]);
	CHECK_CONSISTENT("exact tails");
}

static void t_gfp_dma32(void)
{
	size_t ps = ks_page_size();

	for (unsigned o = 0; o <= KS_MAX_ORDER; o++) {
		void *p = ks_alloc_pages(KS_GFP_DMA32, o);

		if (!CHECK_MSG(p != NULL, "ks_alloc_pages(DMA32, order %u): %s",
		               o, strerror(errno)))
			continue;
		CHECK_MSG((uintptr_t)p + (ps << o) <= GIB4,
		          "DMA32 order-%u block %p reaches above 4 GiB", o, p);
		memset(p, 1, ps << o);
		ks_free_pages(p, o);
	}
	void *z = ks_get_zeroed_page(KS_GFP_DMA32);
	REQUIRE(z != NULL);
	CHECK((uintptr_t)z + ps <= GIB4);
	CHECK(all_zero(z, ps));
	ks_free_page(z);
	void *e = ks_alloc_pages_exact(5 * ps, KS_GFP_DMA32);
	REQUIRE(e != NULL);
	CHECK((uintptr_t)e + 5 * ps <= GIB4);
	ks_free_pages_exact(e, 5 * ps);

	static const size_t ksz[] = { 8, 64, 100, 1000, 4096, 20000, 100000 };
	for (size_t i = 0; i < sizeof(ksz) / sizeof(ksz[0]); i++) {
		void *p = ks_kmalloc(ksz[i], KS_GFP_DMA32);

		if (!CHECK_MSG(p != NULL, "ks_kmalloc(%zu, DMA32) failed", ksz[i]))
			continue;
		CHECK_MSG((uintptr_t)p + ksz[i] <= GIB4,
		          "ks_kmalloc(%zu, DMA32) = %p above 4 GiB", ksz[i], p);
		memset(p, 2, ksz[i]);
		ks_kfree(p);
	}
	CHECK_CONSISTENT("dma32");
}

/* Small DMA32 requests come from dma-kmalloc caches, many to a page, and
 * free() takes them back; two threads making the same class's cache at
 * once end with one cache. */
static void *dma_first_use(void *arg)
{
	void **out = arg;

	for (int i = 0; i < 64; i++)
		out[i] = ks_kmalloc(96, KS_GFP_DMA32);
	return NULL;
}

static int count_lines(const char *text, const char *word)
{
	int n = 0;

	for (const char *s = text; (s = strstr(s, word)) != NULL; s++)
		n++;
	return n;
}

static void t_gfp_dma32_small(void)
{
	enum { N = 512 };
	size_t ps = ks_page_size();
	static void *p[N], *q[2][64];
	uintptr_t pages[N];
	int npages = 0;

	for (int i = 0; i < N; i++) {
		p[i] = ks_kmalloc(64, KS_GFP_DMA32);
		REQUIRE(p[i] != NULL);
		CHECK((uintptr_t)p[i] + 64 <= GIB4);
		memset(p[i], i & 0xff, 64);
		uintptr_t pg = (uintptr_t)p[i] & ~(ps - 1);
		int k = 0;
		while (k < npages && pages[k] != pg)
			k++;
		if (k == npages)
			pages[npages++] = pg;
	}
	/* 512 objects of 64 B are 8 pages of objects (16 to 24 with debug's
	 * red zones and metadata): a page each would be 512 */
	CHECK_MSG(npages <= 40, "512 DMA32 objects of 64 B on %d pages", npages);
	for (int i = 0; i < N; i++) {
		unsigned char *b = p[i];
		CHECK(b[0] == (i & 0xff) && b[63] == (i & 0xff));
		if (i % 2)
			free(p[i]);              /* the libc interface takes them too */
		else
			ks_kfree(p[i]);
	}
	unsigned char *z = ks_kzalloc(200, KS_GFP_DMA32);
	REQUIRE(z != NULL);
	CHECK((uintptr_t)z + 200 <= GIB4);
	CHECK(all_zero(z, 200));
	CHECK(malloc_usable_size(z) >= 200);
	z = ks_krealloc(z, 3000, KS_GFP_DMA32);
	REQUIRE(z != NULL);
	CHECK((uintptr_t)z + 3000 <= GIB4);
	CHECK(all_zero(z, 200));
	ks_kfree(z);

	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, dma_first_use, q[0]) == 0);
	dma_first_use(q[1]);
	pthread_join(th, NULL);
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < 64; i++) {
			CHECK(q[t][i] != NULL && (uintptr_t)q[t][i] + 96 <= GIB4);
			ks_kfree(q[t][i]);
		}

	char info[65536];
	FILE *f = tmpfile();
	REQUIRE(f != NULL);
	REQUIRE(ks_slabinfo(fileno(f)) == 0);
	ssize_t n = pread(fileno(f), info, sizeof(info) - 1, 0);
	fclose(f);
	REQUIRE(n > 0);
	info[n] = 0;
	CHECK_EQ(count_lines(info, "dma-kmalloc-64 "), 1);
	CHECK_EQ(count_lines(info, "dma-kmalloc-96 "), 1);
	CHECK_CONSISTENT("dma32 caches");
}

/* KS_GFP_ATOMIC outside a handler: the contract (the signal storm is
 * tests/stress/atomic_signal).  Blocks come from the thread's reserve, up
 * to 4 KiB, and every free path takes them back. */
static int atomic_ctor_calls;
static void atomic_ctor(void *p)
{
	memset(p, 0x5a, 48);
	atomic_ctor_calls++;
}

static void t_gfp_atomic(void)
{
	enum { MAX = 200 };
	static void *held[MAX];
	int n = 0;

	errno = 0;
	CHECK(ks_kmalloc(4097, KS_GFP_ATOMIC) == NULL && errno == ENOMEM);
	CHECK(ks_alloc_pages(KS_GFP_ATOMIC, 1) == NULL);
	/* take everything: 64 + 32 + 16 + 8 slots, then the next one fails */
	while (n < MAX && (held[n] = ks_kmalloc(40, KS_GFP_ATOMIC)) != NULL)
		memset(held[n++], 0x11, 40);
	CHECK_EQ(n, 120);
	CHECK_EQ(errno, ENOMEM);
	for (int i = 0; i < n; i++) {
		CHECK(((uintptr_t)held[i] & 15) == 0);
		CHECK(malloc_usable_size(held[i]) >= 40);
		for (int j = 0; j < i; j++)
			if (held[j] == held[i])
				CHECK_MSG(0, "atomic block %p handed out twice", held[i]);
	}
	for (int i = 0; i < n; i++) {
		if (i % 3 == 0)
			free(held[i]);
		else if (i % 3 == 1)
			ks_kfree(held[i]);
		else
			held[i] = realloc(held[i], 100000);   /* moves to the heap */
	}
	for (int i = 2; i < n; i += 3) {
		REQUIRE(held[i] != NULL);
		CHECK(((unsigned char *)held[i])[39] == 0x11);
		free(held[i]);
	}
	/* all back: the whole reserve again */
	for (n = 0; n < MAX && (held[n] = ks_kzalloc(64, KS_GFP_ATOMIC)) != NULL; n++)
		CHECK(all_zero(held[n], 64));
	CHECK_EQ(n, 120);
	while (n > 0)
		ks_kfree(held[--n]);

	void *pg = ks_alloc_pages(KS_GFP_ATOMIC | KS_GFP_ZERO, 0);
	REQUIRE(pg != NULL);
	CHECK(((uintptr_t)pg & (ks_page_size() - 1)) == 0 && all_zero(pg, ks_page_size()));
	ks_free_pages(pg, 0);

	ks_cache_t *c = ks_cache_create("test-atomic", 48, 128, 0, atomic_ctor);
	REQUIRE(c != NULL);
	void *o = ks_cache_alloc(c, KS_GFP_ATOMIC);
	REQUIRE(o != NULL);
	CHECK(((uintptr_t)o & 127) == 0);
	CHECK(atomic_ctor_calls >= 1 && ((unsigned char *)o)[47] == 0x5a);
	ks_cache_free(c, o);
	CHECK_EQ(ks_cache_destroy(c), 0);

	ks_pool_t *pool = ks_pool_create("test-atomic-pool", 200, 64, 256);
	REQUIRE(pool != NULL);
	void *b = ks_pool_alloc(pool, KS_GFP_ATOMIC);
	REQUIRE(b != NULL);
	CHECK(((uintptr_t)b & 63) == 0 && (uintptr_t)b / 256 == ((uintptr_t)b + 199) / 256);
	ks_pool_free(pool, b);
	CHECK_EQ(ks_pool_destroy(pool), 0);
	CHECK_CONSISTENT("atomic");
}

/* ------------------------------------------------------------------------
 * kmalloc and vmalloc
 * ------------------------------------------------------------------------ */
static void t_kmalloc(void)
{
	static const size_t sizes[] = {
		1, 8, 16, 17, 32, 48, 64, 65, 96, 128, 129, 192, 256, 500, 512,
		1000, 1024, 2048, 4000, 4096, 8192, 10000, 32768, 65536, 100000,
		1 << 20, (1 << 22) + 5,
	};
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *p[NS];

	for (size_t i = 0; i < NS; i++) {
		p[i] = ks_kmalloc(sizes[i], KS_GFP_KERNEL);
		REQUIRE(p[i] != NULL);
		size_t ks = ks_ksize(p[i]);
		CHECK_MSG(ks >= sizes[i], "ks_ksize(ks_kmalloc(%zu)) = %zu",
		          sizes[i], ks);
		memset(p[i], (int)i + 1, ks);
	}
	for (size_t i = 0; i < NS; i++) {
		size_t ks = ks_ksize(p[i]);

		CHECK_EQ(p[i][0], i + 1);
		CHECK_EQ(p[i][ks - 1], i + 1);
		ks_kfree(p[i]);
	}
	ks_kfree(NULL);
	CHECK_CONSISTENT("kmalloc");

	/* zeroing variants, on memory that was just dirtied */
	for (size_t i = 0; i < NS; i++) {
		unsigned char *d = ks_kmalloc(sizes[i], KS_GFP_KERNEL);

		REQUIRE(d != NULL);
		memset(d, 0xcc, sizes[i]);
		ks_kfree(d);
		unsigned char *z = ks_kzalloc(sizes[i], KS_GFP_KERNEL);
		REQUIRE(z != NULL);
		CHECK_MSG(all_zero(z, sizes[i]), "ks_kzalloc(%zu) not zeroed",
		          sizes[i]);
		memset(z, 0xcc, sizes[i]);
		ks_kfree(z);
		z = ks_kmalloc(sizes[i], KS_GFP_ZERO);
		REQUIRE(z != NULL);
		CHECK_MSG(all_zero(z, sizes[i]), "ks_kmalloc(%zu, ZERO) not "
		          "zeroed", sizes[i]);
		memset(z, 0xcc, sizes[i]);
		ks_kfree(z);
		z = ks_kcalloc(sizes[i], 2, KS_GFP_KERNEL);
		REQUIRE(z != NULL);
		CHECK_MSG(all_zero(z, 2 * sizes[i]), "ks_kcalloc(%zu, 2) not "
		          "zeroed", sizes[i]);
		ks_kfree(z);
	}
	errno = 0;
	void *o = ks_kcalloc(SIZE_MAX / 2, 3, KS_GFP_KERNEL | KS_GFP_NOWARN);
	CHECK(o == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_CONSISTENT("kzalloc");
}

static void t_krealloc(void)
{
	unsigned char *p = ks_krealloc(NULL, 10, KS_GFP_KERNEL);
	size_t cur = 10;

	REQUIRE(p != NULL);
	for (size_t i = 0; i < cur; i++)
		p[i] = (unsigned char)(i * 7);
	for (size_t n = 11; n < (8u << 20); n = n * 3 / 2 + 1) {
		p = ks_krealloc(p, n, KS_GFP_KERNEL);
		REQUIRE(p != NULL);
		CHECK_GE(ks_ksize(p), n);
		for (size_t i = 0; i < cur; i++)
			if (p[i] != (unsigned char)(i * 7)) {
				CHECK_MSG(0, "ks_krealloc to %zu lost byte %zu",
				          n, i);
				break;
			}
		for (size_t i = cur; i < n; i++)
			p[i] = (unsigned char)(i * 7);
		cur = n;
	}
	for (size_t n = cur; n > 10; n = n / 3) {
		p = ks_krealloc(p, n, KS_GFP_KERNEL);
		REQUIRE(p != NULL);
		for (size_t i = 0; i < n; i++)
			if (p[i] != (unsigned char)(i * 7)) {
				CHECK_MSG(0, "ks_krealloc down to %zu lost byte %zu",
				          n, i);
				break;
			}
	}
	ks_kfree(p);
	CHECK_CONSISTENT("krealloc");
}

static void t_vmalloc(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	static const size_t sizes[] = { 1, 4096, 100000, 10u << 20, 65u << 20 };
	unsigned char *p[5];

	for (size_t i = 0; i < 5; i++) {
		p[i] = ks_vmalloc(sizes[i]);
		REQUIRE(p[i] != NULL);
		CHECK_PTR_ALIGNED(p[i], pg);
		memset(p[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < 5; i++) {
		CHECK_EQ(p[i][0], i + 1);
		CHECK_EQ(p[i][sizes[i] - 1], i + 1);
		ks_vfree(p[i]);
	}
	for (size_t i = 0; i < 5; i++) {
		unsigned char *z = ks_vzalloc(sizes[i]);

		REQUIRE(z != NULL);
		CHECK(all_zero(z, sizes[i]));
		ks_vfree(z);
	}
	ks_vfree(NULL);
	CHECK_CONSISTENT("vmalloc");
}

/* ------------------------------------------------------------------------
 * Introspection
 * ------------------------------------------------------------------------ */
static void t_stats(void)
{
	enum { N = 10000, SZ = 128 };
	static void *objs[N];
	struct ks_stats a, b, c, d;
	ks_cache_t *cache;

	memset(&a, 0xff, sizeof(a));
	CHECK_EQ(ks_stats_get(&a), 0);
	CHECK_GE(a.nr_caches, 1);            /* the kmalloc caches at least */
	CHECK_GE(a.mapped, a.page_free);
	CHECK_GE(a.slab_bytes, a.slab_active);

	cache = ks_cache_create("test-stats", SZ, 0, 0, NULL);
	REQUIRE(cache != NULL);
	for (size_t i = 0; i < N; i++) {
		objs[i] = ks_cache_alloc(cache, KS_GFP_KERNEL);
		REQUIRE(objs[i] != NULL);
	}
	void *big = ks_vmalloc(32u << 20);
	REQUIRE(big != NULL);
	CHECK_EQ(ks_stats_get(&b), 0);
	/* + 1, and perhaps kmalloc caches made on first use */
	CHECK_GE(b.nr_caches, a.nr_caches + 1);
	CHECK_GE(b.slab_active, a.slab_active + (size_t)N * SZ);
	CHECK_GE(b.slab_bytes, b.slab_active);
	CHECK_GE(b.large_count, a.large_count + 1);
	CHECK_GE(b.large_bytes, a.large_bytes + (32u << 20));
	CHECK_GE(b.mapped, (size_t)N * SZ + (32u << 20));
	CHECK_GE(b.nr_threads, 1);
	CHECK(b.metadata > 0);

	ks_vfree(big);
	for (size_t i = 0; i < N; i++)
		ks_cache_free(cache, objs[i]);
	CHECK_EQ(ks_stats_get(&c), 0);
	CHECK_EQ(c.large_count, b.large_count - 1);
	CHECK_LE(c.large_bytes + (32u << 20), b.large_bytes);
	CHECK_EQ(ks_cache_destroy(cache), 0);
	CHECK_EQ(ks_stats_get(&d), 0);
	CHECK_EQ(d.nr_caches, b.nr_caches - 1);
	CHECK_LE(d.slab_active, b.slab_active - (size_t)N * SZ);
	harness_note("stats: mapped %zu page_free %zu slab_bytes %zu "
	             "slab_active %zu large %zu/%zu metadata %zu caches %zu "
	             "threads %zu", d.mapped, d.page_free, d.slab_bytes,
	             d.slab_active, d.large_bytes, d.large_count, d.metadata,
	             d.nr_caches, d.nr_threads);
	CHECK_CONSISTENT("stats");
}

/* Page-path blocks are counted by the thread that allocates or frees them:
 * a block made in one thread and freed in another, and a thread that
 * exits holding the count of blocks it made, still add up.  malloc_trim
 * empties the quarantine that KSLAB_OPTIONS=debug keeps freed blocks in,
 * and red zones may add a page to a block: the bytes are checked to the
 * page. */
static void *large_maker(void *arg)
{
	void **out = arg;
	out[0] = ks_kmalloc(300000, KS_GFP_KERNEL);
	out[1] = ks_kmalloc(200000, KS_GFP_KERNEL);
	return NULL;
}

static void t_stats_large(void)
{
	struct ks_stats a, b, c;
	void *blk[2] = { NULL, NULL };
	pthread_t th;

	malloc_trim(0);
	CHECK_EQ(ks_stats_get(&a), 0);
	REQUIRE(pthread_create(&th, NULL, large_maker, blk) == 0);
	pthread_join(th, NULL);                  /* gone, its counts kept */
	REQUIRE(blk[0] != NULL && blk[1] != NULL);
	CHECK_EQ(ks_stats_get(&b), 0);
	CHECK_EQ(b.large_count, a.large_count + 2);
	CHECK_GE(b.large_bytes, a.large_bytes + 500000);
	CHECK_LE(b.large_bytes, a.large_bytes + 500000 + 4 * 4096);
	ks_kfree(blk[0]);                        /* freed here */
	blk[1] = ks_krealloc(blk[1], 250000, KS_GFP_KERNEL);
	REQUIRE(blk[1] != NULL);
	malloc_trim(0);
	CHECK_EQ(ks_stats_get(&c), 0);
	CHECK_EQ(c.large_count, a.large_count + 1);
	CHECK_GE(c.large_bytes, a.large_bytes + 250000);
	CHECK_LE(c.large_bytes, a.large_bytes + 250000 + 2 * 4096);
	ks_kfree(blk[1]);
	malloc_trim(0);
	CHECK_EQ(ks_stats_get(&c), 0);
	CHECK_EQ(c.large_count, a.large_count);
	CHECK_EQ(c.large_bytes, a.large_bytes);
}

static void t_slabinfo(void)
{
	static char buf[1 << 18];
	ks_cache_t *c = ks_cache_create("test-slabinfo", 72, 0, 0, NULL);
	void *o, *k;
	FILE *f;
	size_t n;
	int r;

	REQUIRE(c != NULL);
	o = ks_cache_alloc(c, KS_GFP_KERNEL);
	k = ks_kmalloc(64, KS_GFP_KERNEL);
	REQUIRE(o && k);
	f = tmpfile();
	if (!f)
		HARD_ERROR("tmpfile");
	r = ks_slabinfo(fileno(f));
	CHECK_MSG(r >= 0, "ks_slabinfo returned %d", r);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CHECK_MSG(strncmp(buf, "slabinfo - version: 2.1", 23) == 0,
	          "slabinfo starts with \"%.40s\"", buf);
	CHECK_MSG(harness_has_line_prefix(buf, "kmalloc-64 "),
	          "slabinfo has no kmalloc-64 line:\n%s", buf);
	CHECK_MSG(harness_has_line_prefix(buf, "test-slabinfo "),
	          "slabinfo has no line for cache test-slabinfo:\n%s", buf);
	/* one line per cache: the header (one or two lines) + nr_caches */
	struct ks_stats st;
	CHECK_EQ(ks_stats_get(&st), 0);
	size_t lines = harness_count_lines(buf);
	CHECK_MSG(lines >= st.nr_caches + 1 && lines <= st.nr_caches + 2,
	          "slabinfo has %zu lines for %zu caches", lines, st.nr_caches);
	ks_kfree(k);
	ks_cache_free(c, o);
	CHECK_EQ(ks_cache_destroy(c), 0);
	CHECK_CONSISTENT("slabinfo");
}

/* The libc interface and the ks_ one share one heap: what malloc gives,
 * ks_ksize measures, and ks_check sees it all. */
static void t_mixed_interfaces(void)
{
	void *p = malloc(100);

	REQUIRE(p != NULL);
	memset(p, 0, 100);
	CHECK_GE(ks_ksize(p), 100);
	CHECK_EQ(ks_ksize(p), malloc_usable_size(p));
	free(p);
	void *k = ks_kmalloc(300, KS_GFP_KERNEL);
	REQUIRE(k != NULL);
	CHECK_EQ(malloc_usable_size(k), ks_ksize(k));
	ks_kfree(k);
	CHECK_CONSISTENT("mixed");
}

/* ks_vrealloc: a block grown from a page to 96 MiB and back keeps its
 * bytes; NULL is ks_vmalloc, 0 frees.  ks_cache_zalloc zeroes. */
static void t_vrealloc(void)
{
	unsigned char *p = ks_vrealloc(NULL, 4096);
	size_t have = 4096;

	REQUIRE(p != NULL);
	memset(p, 0x11, have);
	for (size_t n = 3 * 4096; n <= (96u << 20); n *= 3) {
		p = ks_vrealloc(p, n);
		REQUIRE(p != NULL);
		CHECK_EQ(p[0], 0x11);
		CHECK_EQ(p[have - 1], 0x11);
		memset(p + have, 0x11, n - have);
		have = n;
	}
	p = ks_vrealloc(p, 8192);
	REQUIRE(p != NULL);
	CHECK_EQ(p[8191], 0x11);
	CHECK(ks_vrealloc(p, 0) == NULL);
	CHECK_CONSISTENT("vrealloc");

	ks_cache_t *c = ks_cache_create("zalloc-test", 200, 0, 0, NULL);
	REQUIRE(c != NULL);
	for (int i = 0; i < 100; i++) {
		unsigned char *o = ks_cache_alloc(c, 0);
		REQUIRE(o != NULL);
		memset(o, 0xff, 200);
		ks_cache_free(c, o);
		o = ks_cache_zalloc(c, 0);   /* very likely the same object */
		REQUIRE(o != NULL);
		CHECK(all_zero(o, 200));
		ks_cache_free(c, o);
	}
	CHECK_EQ(ks_cache_destroy(c), 0);
}

/* Per-CPU data: one zeroed instance per possible CPU on lines of its own;
 * counters bumped through ks_this_cpu_ptr from several threads add up. */
static void *percpu_bump(void *pcp)
{
	for (int i = 0; i < 100000; i++)
		__atomic_add_fetch((uint64_t *)((char *)ks_this_cpu_ptr(pcp) + 8), 1,
				   __ATOMIC_RELAXED);
	return NULL;
}

static void t_percpu(void)
{
	unsigned n = ks_nr_cpu_ids();
	char *pcp = ks_alloc_percpu(24, 0);
	pthread_t th[4];

	CHECK_GE(n, 1);
	REQUIRE(pcp != NULL);
	for (unsigned cpu = 0; cpu < n; cpu++) {
		char *p = ks_per_cpu_ptr(pcp, cpu);
		REQUIRE(p != NULL);
		CHECK_PTR_ALIGNED(p, 64);
		CHECK(all_zero((unsigned char *)p, 24));
		if (cpu)
			CHECK_GE((size_t)(p - (char *)ks_per_cpu_ptr(pcp, cpu - 1)), 64);
	}
	CHECK(ks_per_cpu_ptr(pcp, n) == NULL);
	for (int i = 0; i < 4; i++)
		REQUIRE(pthread_create(&th[i], NULL, percpu_bump, pcp) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(ks_percpu_sum(pcp, 8), 400000);
	CHECK_EQ(ks_percpu_sum(pcp, 0), 0);
	ks_free_percpu(pcp);
	ks_free_percpu(NULL);
	char *big = ks_alloc_percpu(1000, 256);
	REQUIRE(big != NULL);
	CHECK_PTR_ALIGNED(ks_per_cpu_ptr(big, n - 1), 256);
	ks_free_percpu(big);
	errno = 0;
	CHECK(ks_alloc_percpu(0, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(ks_alloc_percpu(8, 3) == NULL && errno == EINVAL);
	CHECK_CONSISTENT("percpu");
}

/* Pools: every block aligned, none across a boundary, for odd sizes;
 * destroy refuses while blocks are out. */
static void t_pool(void)
{
	static const size_t spec[][3] = {       /* size, align, boundary */
		{ 100, 0, 128 }, { 24, 8, 4096 }, { 600, 64, 1024 }, { 3000, 512, 4096 },
		{ 40, 32, 0 }, { 5000, 0, 8192 }, { 16, 16, 16 },
	};
	void *blk[500];

	for (size_t s = 0; s < sizeof(spec) / sizeof(spec[0]); s++) {
		size_t size = spec[s][0], align = spec[s][1] ? spec[s][1] : 16, b = spec[s][2];
		ks_pool_t *pool = ks_pool_create("test-pool", size, spec[s][1], b);
		if (!CHECK_MSG(pool != NULL, "pool %zu/%zu/%zu", size, align, b))
			continue;
		for (int i = 0; i < 500; i++) {
			uintptr_t p = (uintptr_t)(blk[i] = ks_pool_alloc(pool, i % 2 ? KS_GFP_ZERO : 0));
			REQUIRE(blk[i] != NULL);
			CHECK_PTR_ALIGNED(blk[i], align);
			if (b)
				CHECK_MSG(p / b == (p + size - 1) / b, "block %#jx of %zu crosses %zu",
					  (uintmax_t)p, size, b);
			memset(blk[i], 0x5a, size);
		}
		errno = 0;
		CHECK_EQ(ks_pool_destroy(pool), -1);      /* blocks out: refused */
		CHECK_EQ(errno, EBUSY);
		for (int i = 0; i < 500; i++)
			ks_pool_free(pool, blk[i]);
		CHECK_EQ(ks_pool_destroy(pool), 0);
	}
	errno = 0;
	CHECK(ks_pool_create("bad", 100, 0, 64) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(ks_pool_create("bad", 100, 3, 0) == NULL && errno == EINVAL);
	CHECK_CONSISTENT("pools");
}

/* KS_GFP_NOFAIL: under an address-space limit, allocate 1 MiB blocks
 * until one fails; a thread frees some after 150 ms; an allocation with
 * NOFAIL made before that returns, and not NULL.  In a child, for the
 * limit. */
static struct { void *blk[4096]; int n; volatile int filled, freed; } nf;

static void *nofail_freer(void *arg)
{
	struct timespec ts = { 0, 150 * 1000 * 1000 }, nap = { 0, 1000 * 1000 };
	(void)arg;
	while (!__atomic_load_n(&nf.filled, __ATOMIC_ACQUIRE))
		nanosleep(&nap, NULL);
	nanosleep(&ts, NULL);
	for (int i = 0; i < 64 && nf.n > 0; i++)
		ks_kfree(nf.blk[--nf.n]);
	nf.freed = 1;
	return NULL;
}

static void nofail_child(void *arg)
{
	struct rlimit rl;
	long pages = 0, dummy;
	FILE *f = fopen("/proc/self/statm", "r");
	pthread_t th;
	void *p;

	(void)arg;
	if (!f || fscanf(f, "%ld %ld", &pages, &dummy) != 2)
		_exit(10);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (256u << 20);
	if (pthread_create(&th, NULL, nofail_freer, NULL) != 0)   /* its stack first */
		_exit(13);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		_exit(11);
	while (nf.n < 4096 && (nf.blk[nf.n] = ks_kmalloc(1u << 20, KS_GFP_NOWARN)) != NULL)
		memset(nf.blk[nf.n++], 1, 4096);
	if (nf.n == 4096 || nf.n == 0)
		_exit(12);                   /* the limit did not bite, or nothing fit */
	int full = nf.n;
	__atomic_store_n(&nf.filled, 1, __ATOMIC_RELEASE);
	p = ks_kmalloc(1u << 20, KS_GFP_NOFAIL | KS_GFP_NOWARN);
	/* it came back only once the other thread had freed some */
	int waited = __atomic_load_n(&nf.n, __ATOMIC_ACQUIRE) < full;
	pthread_join(th, NULL);
	_exit(p && waited ? 0 : 14);
}

static void t_nofail(void)
{
	struct harness_child ch;
	char how[64];

	REQUIRE(harness_run_child(nofail_child, NULL, 60, &ch));
	CHECK_MSG(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0, "NOFAIL child %s",
		  harness_child_end(&ch, how, sizeof(how)));
	/* what no memory could satisfy still fails */
	CHECK(ks_kmalloc(SIZE_MAX, KS_GFP_NOFAIL | KS_GFP_NOWARN) == NULL);
	CHECK(ks_alloc_pages(KS_GFP_NOFAIL, KS_MAX_ORDER + 1) == NULL);
}

static const struct harness_case cases[] = {
	{ "version", t_version },
	{ "nofail", t_nofail },
	{ "pool", t_pool },
	{ "percpu", t_percpu },
	{ "vrealloc", t_vrealloc },
	{ "cache_basic", t_cache_basic },
	{ "cache_ctor", t_cache_ctor },
	{ "cache_align", t_cache_align },
	{ "cache_hwcache_align", t_cache_hwcache_align },
	{ "cache_flags", t_cache_flags },
	{ "cache_dma32", t_cache_dma32 },
	{ "cache_destroy_busy", t_cache_destroy_busy },
	{ "cache_shrink", t_cache_shrink },
	{ "cache_names", t_cache_names },
	{ "pages_orders", t_pages_orders },
	{ "pages_single", t_pages_single },
	{ "pages_exact", t_pages_exact },
	{ "gfp_dma32", t_gfp_dma32 },
	{ "gfp_dma32_small", t_gfp_dma32_small },
	{ "gfp_atomic", t_gfp_atomic },
	{ "kmalloc", t_kmalloc },
	{ "krealloc", t_krealloc },
	{ "vmalloc", t_vmalloc },
	{ "stats", t_stats },
	{ "stats_large", t_stats_large },
	{ "slabinfo", t_slabinfo },
	{ "mixed_interfaces", t_mixed_interfaces },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
