// SPDX-License-Identifier: BSD-2-Clause
/*
 * frag - fragmentation: a large heap of small objects mostly freed, with a
 * scattered few kept alive for long.  The pattern of the fragmentation
 * studies of Johnstone and Wilson ("The Memory Fragmentation Problem:
 * Solved?", ISMM 1998) and of the "frag" cases of the glibc malloc and
 * mimalloc-bench suites (e.g. a cache that evicts most entries).
 *
 * Builds a heap of M bytes of objects of mixed sizes in [min, max], frees a
 * random 1 - 1/K of them (95% by default) so the survivors are scattered
 * over the whole heap, and reports the RSS that the allocator keeps for the
 * live bytes that are left:
 *   METRIC frag.rss_over_live  (RSS after the free - RSS before the heap)
 *                              / live bytes
 * An allocator that cannot give back the pages or slabs between survivors
 * keeps about the whole heap; the floor for one that does, without moving
 * objects, is the pages that hold a survivor:
 *   METRIC frag.pages_over_live  4 KiB pages holding survivors / live bytes  Then it allocates a second, smaller heap of
 * other sizes (a program moving to its next phase) to see the freed memory
 * reused.  Every object is tagged and checked before it is freed.
 *
 * usage: frag [-m heap bytes] [-s min] [-S max] [-k keep one in K]
 *             [-z seed]
 */
#include "wl.h"

static int cmp_uintptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t heap = 300u << 20, min = 16, max = 512;
	uint64_t keep = 20, seed = 1;
	int opt;
	while ((opt = getopt(argc, argv, "m:s:S:k:z:")) != -1) {
		switch (opt) {
		case 'm': heap = wl_num(optarg); break;
		case 's': min = wl_num(optarg); break;
		case 'S': max = wl_num(optarg); break;
		case 'k': keep = wl_num(optarg); break;
		case 'z': seed = wl_num(optarg); break;
		default:
			wl_usage("frag [-m heap bytes] [-s min] [-S max] [-k keep one in K] [-z seed]");
		}
	}
	if (!min || min > max || max > 65535 || keep < 1)
		wl_usage("frag: need 1 <= min <= max <= 65535 and K >= 1");

	/* The object table, sized for the expected count with room to spare,
	 * and touched now so its pages are in the "before" RSS. */
	size_t cap = heap / ((min + max) / 2) * 5 / 4 + 1024;
	void **ptr = wl_xcalloc(cap, sizeof *ptr);
	uint16_t *size = wl_xcalloc(cap, sizeof *size);
	memset(ptr, 0, cap * sizeof *ptr);
	memset(size, 0, cap * sizeof *size);
	wl_rng rng;
	wl_rng_seed(&rng, seed);
	size_t rss0 = wl_rss();
	double t0 = wl_now();

	size_t n = 0, total = 0;
	while (total < heap && n < cap) {
		size_t sz = wl_range(&rng, min, max);
		ptr[n] = wl_xmalloc(sz);
		size[n] = (uint16_t)sz;
		wl_tag(ptr[n], sz, n);
		total += sz;
		n++;
	}
	size_t rss_full = wl_rss();

	size_t live = 0, nlive = 0;
	for (size_t i = 0; i < n; i++) {
		if (wl_rand(&rng) % keep == 0) {
			live += size[i];
			nlive++;
			continue;
		}
		wl_check_tag(ptr[i], size[i], i, "frag");
		free(ptr[i]);
		ptr[i] = NULL;
	}
	size_t rss_kept = wl_rss();

	/* The floor for an allocator that cannot move objects: the 4 KiB pages
	 * that hold a byte of a survivor, wherever this allocator put them. */
	uintptr_t *pg = wl_xcalloc(2 * nlive + 1, sizeof *pg);
	size_t npg = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ptr[i])
			continue;
		uintptr_t a = (uintptr_t)ptr[i] >> 12, b = ((uintptr_t)ptr[i] + size[i] - 1) >> 12;
		pg[npg++] = a;
		if (b != a)
			pg[npg++] = b;
	}
	qsort(pg, npg, sizeof *pg, cmp_uintptr);
	size_t touched = 0;
	for (size_t i = 0; i < npg; i++)
		if (i == 0 || pg[i] != pg[i - 1])
			touched++;
	free(pg);

	/* Phase two: a heap a fifth the size, of larger objects. */
	size_t n2 = 0, total2 = 0, cap2 = heap / 5 / 1024 + 1;
	void **p2 = wl_xcalloc(cap2, sizeof *p2);
	size_t *s2 = wl_xcalloc(cap2, sizeof *s2);
	while (total2 < heap / 5 && n2 < cap2) {
		size_t sz = wl_range(&rng, 1024, 4096);
		p2[n2] = wl_xmalloc(sz);
		s2[n2] = sz;
		wl_tag(p2[n2], sz, ~(uint64_t)n2);
		total2 += sz;
		n2++;
	}
	size_t rss_phase2 = wl_rss();
	for (size_t i = 0; i < n2; i++) {
		wl_check_tag(p2[i], s2[i], ~(uint64_t)i, "frag phase 2");
		free(p2[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (ptr[i]) {
			wl_check_tag(ptr[i], size[i], i, "frag survivor");
			free(ptr[i]);
		}
	}
	double dt = wl_now() - t0;
	size_t rss_end = wl_rss();
	free(p2);
	free(s2);
	free(ptr);
	free(size);

	printf("frag: %zu objects, %.1f MiB of %zu..%zu B; kept %zu (%.1f MiB live)\n",
	       n, total / 1048576.0, min, max, nlive, live / 1048576.0);
	printf("frag: RSS start %.1f MiB, full %.1f MiB, after free %.1f MiB, "
	       "phase 2 (+%.1f MiB) %.1f MiB, end %.1f MiB; %.3f s\n",
	       rss0 / 1048576.0, rss_full / 1048576.0, rss_kept / 1048576.0,
	       total2 / 1048576.0, rss_phase2 / 1048576.0, rss_end / 1048576.0, dt);
	double kept = rss_kept > rss0 ? (double)(rss_kept - rss0) : 0.0;
	wl_metric("frag.rss_over_live", kept / (double)(live ? live : 1), "x");
	wl_metric("frag.pages_over_live", touched * 4096.0 / (double)(live ? live : 1), "x");
	wl_metric("frag.rss_after_free", rss_kept / 1048576.0, "MiB");
	wl_metric("frag.rss_phase2", rss_phase2 / 1048576.0, "MiB");
	return 0;
}
