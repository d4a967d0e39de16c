// SPDX-License-Identifier: BSD-2-Clause
/*
 * mixed-heap - the heaps real programs build, where sizes mix, blocks grow
 * by realloc and the size band in use shifts over time.  Three modes:
 *
 *   -m churn  N live slots (default 4000).  Each step picks a slot and does
 *             one of: free it and malloc anew (50%), realloc it to a new
 *             size (25%), calloc (10%), posix_memalign (10%) or
 *             aligned_alloc (5%) with an alignment of 16 B to 4 KiB.  Sizes:
 *             60% 16-256 B, 25% to 4 KiB, 10% to 64 KiB, 4% to 512 KiB, 1%
 *             to 4 MiB, each skewed to its small end, as a program that
 *             mixes strings, arrays and buffers allocates.  Every block's
 *             first and last words are tagged and one word per 4 KiB is
 *             written, so the pages a block takes are touched; a calloc'd
 *             block is checked to read zero where it is touched.
 *   -m large  mimalloc-bench's malloc-large pattern: L live blocks (default
 *             20) of 5-25 MiB, each step frees one and allocates another
 *             of a new size, writing one word per 4 KiB page of it.
 *   -m bands  a heap whose size band changes every round: allocate about
 *             B bytes (default 100 MiB) of blocks from one band, free 95%
 *             of them at random, keep 5%, move to the next band (16-64 B,
 *             64-256 B, 256 B-1 KiB, 1-4 KiB, 4-16 KiB, 16-64 KiB, and
 *             round again).  Reports the RSS it keeps against the bytes
 *             still live:
 *               METRIC bands.rss_mb       RSS at the end, MiB
 *               METRIC bands.live_mb      bytes live at the end, MiB
 *               METRIC bands.rss_per_live RSS growth / live bytes
 *
 * Every block is checked before it is freed or resized; a wrong word exits
 * 1.  usage: mixed-heap [-m churn|large|bands] [-n ops] [-w live slots]
 *                       [-b band bytes] [-r rounds] [-s seed]
 */
#include "wl.h"

#define PG 4096u
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct slot {
	char *p;
	size_t size;
	uint64_t id;
};

static size_t churn_size(wl_rng *r)
{
	unsigned pick = (unsigned)(wl_rand(r) % 100);

	if (pick < 60)
		return wl_skewed(r, 16, 256);
	if (pick < 85)
		return wl_skewed(r, 257, 4096);
	if (pick < 95)
		return wl_skewed(r, 4097, 64u << 10);
	if (pick < 99)
		return wl_skewed(r, (64u << 10) + 1, 512u << 10);
	return wl_skewed(r, (512u << 10) + 1, 4u << 20);
}

/* Tag the ends of a block and write one word into each of its pages from
 * the page that held the old end tag on (a realloc'd block keeps what it
 * had below FROM, its old size). */
static void fill(struct slot *s, size_t from)
{
	for (size_t off = from >= 16 ? (from - 16) / PG * PG : 0; off + 8 <= s->size;
	     off += PG)
		memcpy(s->p + off, &s->id, 8);
	wl_tag(s->p, s->size, s->id);
}

static void check(const struct slot *s, size_t upto)
{
	size_t n = upto < s->size ? upto : s->size;
	for (size_t off = PG; off + 8 <= n && off + 8 < s->size - 8; off += PG) {
		uint64_t w;
		memcpy(&w, s->p + off, 8);
		if (w != s->id)
			wl_fail("mixed-heap: block %p (size %zu) lost page %zu",
				(void *)s->p, s->size, off / PG);
	}
}

static void release(struct slot *s)
{
	if (!s->p)
		return;
	wl_check_tag(s->p, s->size, s->id, "mixed-heap");
	check(s, s->size);
	free(s->p);
	s->p = NULL;
}

static void *aligned_block(wl_rng *r, size_t size, int use_posix)
{
	size_t align = (size_t)16 << (wl_rand(r) % 9);   /* 16 B .. 4 KiB */
	void *p = NULL;

	if (use_posix) {
		if (posix_memalign(&p, align, size))
			wl_fail("posix_memalign(%zu, %zu) failed", align, size);
	} else {
		p = aligned_alloc(align, (size + align - 1) & ~(align - 1));
		if (!p)
			wl_fail("aligned_alloc(%zu, %zu) returned NULL", align, size);
	}
	if ((uintptr_t)p & (align - 1))
		wl_fail("%p is not aligned to %zu", p, align);
	return p;
}

static void churn_step(wl_rng *r, struct slot *s, uint64_t id)
{
	unsigned op = (unsigned)(wl_rand(r) % 100);
	size_t size = churn_size(r);

	if (op < 25 && s->p) {                     /* realloc, keeping the head */
		size_t keep = s->size < size ? s->size : size;
		char *q;
		wl_check_tag(s->p, s->size, s->id, "mixed-heap realloc");
		q = realloc(s->p, size);
		if (!q)
			wl_fail("realloc(%zu) returned NULL", size);
		s->p = q;
		s->size = size;
		check(s, keep - 8);        /* the old end tag sits at keep - 8 */
		fill(s, keep);
		return;
	}
	release(s);
	s->id = id;
	s->size = size;
	if (op < 75) {
		s->p = wl_xmalloc(size);
	} else if (op < 85) {
		s->p = wl_xcalloc(1, size);
		for (size_t off = 0; off < size; off += PG)
			if (s->p[off] || s->p[size - 1])
				wl_fail("calloc(%zu) block %p is not zero", size, (void *)s->p);
	} else {
		s->p = aligned_block(r, size, op < 95);
	}
	fill(s, 0);
}

static void run_churn(uint64_t ops, size_t live, uint64_t seed)
{
	struct slot *slots = wl_xcalloc(live, sizeof *slots);
	wl_rng r;

	wl_rng_seed(&r, seed);
	for (uint64_t i = 0; i < ops; i++)
		churn_step(&r, &slots[wl_rand(&r) % live], i + 1);
	size_t bytes = 0;
	for (size_t i = 0; i < live; i++)
		bytes += slots[i].size;
	wl_metric("churn.live_mb", (double)bytes / 1048576.0, "MiB");
	wl_metric("churn.rss_mb", (double)wl_rss() / 1048576.0, "MiB");
	for (size_t i = 0; i < live; i++)
		release(&slots[i]);
	free(slots);
}

static void run_large(uint64_t ops, size_t live, uint64_t seed)
{
	struct slot *slots = wl_xcalloc(live, sizeof *slots);
	wl_rng r;

	wl_rng_seed(&r, seed);
	for (uint64_t i = 0; i < ops; i++) {
		struct slot *s = &slots[wl_rand(&r) % live];
		release(s);
		s->id = i + 1;
		s->size = wl_range(&r, 5u << 20, 25u << 20);
		s->p = wl_xmalloc(s->size);
		fill(s, 0);
	}
	for (size_t i = 0; i < live; i++)
		release(&slots[i]);
	free(slots);
}

static void run_bands(size_t band_bytes, unsigned rounds, uint64_t seed)
{
	static const size_t band[][2] = {
		{ 16, 64 }, { 64, 256 }, { 256, 1024 }, { 1024, 4096 },
		{ 4096, 16384 }, { 16384, 65536 },
	};
	size_t cap = 1 << 16, n = 0, live = 0, rss0 = wl_rss();
	struct slot *kept = wl_xmalloc(cap * sizeof *kept);
	wl_rng r;

	wl_rng_seed(&r, seed);
	for (unsigned round = 0; round < rounds; round++) {
		const size_t *b = band[round % ARRAY_LEN(band)];
		size_t avg = (b[0] + b[1]) / 2, m = band_bytes / avg, first = n;
		for (size_t i = 0; i < m; i++) {
			if (n == cap) {
				cap *= 2;
				kept = realloc(kept, cap * sizeof *kept);
				if (!kept)
					wl_fail("realloc of the block table returned NULL");
			}
			struct slot *s = &kept[n++];
			s->size = wl_range(&r, b[0], b[1]);
			s->id = ((uint64_t)round << 40) | i;
			s->p = wl_xmalloc(s->size);
			fill(s, 0);
		}
		/* free 95% of this round's blocks at random, keep the rest */
		size_t w = first;
		for (size_t i = first; i < n; i++) {
			if (wl_rand(&r) % 100 < 95)
				release(&kept[i]);
			else
				kept[w++] = kept[i];
		}
		n = w;
	}
	for (size_t i = 0; i < n; i++)
		live += kept[i].size;
	size_t rss = wl_rss();
	wl_metric("bands.rss_mb", (double)rss / 1048576.0, "MiB");
	wl_metric("bands.live_mb", (double)live / 1048576.0, "MiB");
	wl_metric("bands.rss_per_live", (double)(rss > rss0 ? rss - rss0 : 0) / (double)live,
		  "x");
	for (size_t i = 0; i < n; i++)
		release(&kept[i]);
	free(kept);
}

int main(int argc, char **argv)
{
	const char *mode = "churn";
	uint64_t ops = 0, seed = 1;
	size_t live = 0, band_bytes = 100u << 20;
	unsigned rounds = 12;
	int opt;

	while ((opt = getopt(argc, argv, "m:n:w:b:r:s:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'n': ops = wl_num(optarg); break;
		case 'w': live = wl_num(optarg); break;
		case 'b': band_bytes = wl_num(optarg); break;
		case 'r': rounds = (unsigned)wl_num(optarg); break;
		case 's': seed = wl_num(optarg); break;
		default:
			wl_usage("mixed-heap [-m churn|large|bands] [-n ops] [-w live slots] "
				 "[-b band bytes] [-r rounds] [-s seed]");
		}
	}
	double t0 = wl_now();
	if (!strcmp(mode, "churn"))
		run_churn(ops ? ops : 2000000, live ? live : 4000, seed);
	else if (!strcmp(mode, "large"))
		run_large(ops ? ops : 2000, live ? live : 20, seed);
	else if (!strcmp(mode, "bands"))
		run_bands(band_bytes, rounds, seed);
	else
		wl_usage("mixed-heap: mode is churn, large or bands");
	wl_metric("mixed-heap.seconds", wl_now() - t0, "s");
	return 0;
}
