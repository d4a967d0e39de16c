// SPDX-License-Identifier: BSD-2-Clause
/*
 * rss-decay - does memory go back to the system after a peak, with no
 * malloc_trim?  The pattern of a server between bursts, as in the "RSS
 * after a spike" measurements of jemalloc's decay work (dirty_decay_ms) and
 * of mimalloc-bench's rptest/"redis" memory plots.
 *
 * Allocates T bytes (default 1 GiB) in blocks of mixed sizes from 64 B to
 * 1 MiB, half the bytes in blocks under 4 KiB and half above (each half
 * skewed to its small end), writes a word into every 4 KiB of each, frees
 * everything in random order, then for D milliseconds (default 2500) does
 * light work every 10 ms: allocates and frees a few small blocks, as a
 * server between requests does.  It reads RSS from /proc/self/statm at
 * the start, at the peak, just after the free, every 500 ms and at the
 * end, and reports
 *   METRIC rss-decay.retained_pct  (end - start) / (peak - start) * 100
 * Blocks are tagged and checked before they are freed.
 *
 * usage: rss-decay [-m total bytes] [-s min] [-S max] [-d ms of light work]
 */
#include "wl.h"

int main(int argc, char **argv)
{
	size_t total = (size_t)1 << 30, min = 64, max = (size_t)1 << 20;
	unsigned ms = 2500;
	int opt;
	while ((opt = getopt(argc, argv, "m:s:S:d:")) != -1) {
		switch (opt) {
		case 'm': total = wl_num(optarg); break;
		case 's': min = wl_num(optarg); break;
		case 'S': max = wl_num(optarg); break;
		case 'd': ms = (unsigned)wl_num(optarg); break;
		default:
			wl_usage("rss-decay [-m total bytes] [-s min] [-S max] [-d ms of light work]");
		}
	}
	if (min < 16 || min > max)
		wl_usage("rss-decay: need 16 <= min <= max");

	/* Half the bytes in small blocks (min..4 KiB), half in large ones
	 * (4 KiB..max), interleaved: the slab path and the page/mmap path both
	 * have to give memory back.  The block table grows by doubling and is
	 * freed before the light work, so it is not counted as kept. */
	size_t split = 4096 < max ? 4096 : max;
	size_t cap = 1024, n = 0, sum = 0, small = 0, large = 0;
	size_t rss_start = wl_rss();
	void **ptr = wl_xmalloc(cap * sizeof *ptr);
	size_t *size = wl_xmalloc(cap * sizeof *size);
	wl_rng rng;
	wl_rng_seed(&rng, 5);
	double t0 = wl_now();

	while (sum < total) {
		if (n == cap) {
			cap *= 2;
			ptr = realloc(ptr, cap * sizeof *ptr);
			size = realloc(size, cap * sizeof *size);
			if (!ptr || !size)
				wl_fail("realloc of the block table returned NULL");
		}
		size_t sz = small <= large || split == max ?
			wl_skewed(&rng, min, split > min ? split - 1 : min) :
			wl_skewed(&rng, split, max);
		char *p = wl_xmalloc(sz);
		for (size_t off = 4096; off + 8 <= sz; off += 4096)
			memcpy(p + off, &off, 8);
		wl_tag(p, sz, n);
		ptr[n] = p;
		size[n] = sz;
		sum += sz;
		if (sz < split)
			small += sz;
		else
			large += sz;
		n++;
	}
	size_t rss_peak = wl_rss();
	double t_alloc = wl_now() - t0;

	/* Free in random order: a Fisher-Yates shuffle of the indices. */
	uint32_t *order = wl_xcalloc(n, sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(wl_rand(&rng) % i);
		uint32_t x = order[j];
		order[j] = order[i - 1];
		order[i - 1] = x;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = order[i];
		wl_check_tag(ptr[k], size[k], k, "rss-decay");
		free(ptr[k]);
	}
	free(order);
	free(ptr);
	free(size);
	size_t rss_after_free = wl_rss();
	printf("rss-decay: %zu blocks, %.1f MiB of %zu..%zu B (%.1f MiB below %zu B) in %.3f s\n",
	       n, sum / 1048576.0, min, max, small / 1048576.0, split, t_alloc);
	printf("rss-decay: RSS start %.1f MiB, peak %.1f MiB, just after free %.1f MiB\n",
	       rss_start / 1048576.0, rss_peak / 1048576.0, rss_after_free / 1048576.0);

	/* Light work every 10 ms: a few small blocks allocated and freed. */
	double tw = wl_now(), next_print = 0.5;
	void *keep[16] = { 0 };
	size_t keepsz[16] = { 0 };
	for (unsigned tick = 0; (wl_now() - tw) * 1e3 < ms; tick++) {
		for (unsigned i = 0; i < 16; i++) {
			unsigned k = (tick + i) % 16;
			if (keep[k]) {
				wl_check_tag(keep[k], keepsz[k], ((uint64_t)tick << 8) | k, "rss-decay light");
				free(keep[k]);
				keep[k] = NULL;
			}
			if (i < 8) {
				keepsz[k] = wl_range(&rng, 16, 512);
				keep[k] = wl_xmalloc(keepsz[k]);
				wl_tag(keep[k], keepsz[k], ((uint64_t)(tick + 1) << 8) | k);
			}
		}
		/* What is still kept was tagged for the next tick: retag. */
		for (unsigned k = 0; k < 16; k++)
			if (keep[k])
				wl_tag(keep[k], keepsz[k], ((uint64_t)(tick + 1) << 8) | k);
		if (wl_now() - tw >= next_print) {
			printf("rss-decay: after %.1f s of light work RSS %.1f MiB\n",
			       next_print, wl_rss() / 1048576.0);
			next_print += 0.5;
		}
		wl_sleep_ms(10);
	}
	size_t rss_end = wl_rss();
	for (unsigned k = 0; k < 16; k++)
		free(keep[k]);

	double added = rss_peak > rss_start ? (double)(rss_peak - rss_start) : 1.0;
	double kept = rss_end > rss_start ? (double)(rss_end - rss_start) : 0.0;
	printf("rss-decay: RSS start %.1f MiB, peak %.1f MiB, end %.1f MiB: "
	       "%.1f%% of the peak's addition retained after %u ms\n",
	       rss_start / 1048576.0, rss_peak / 1048576.0, rss_end / 1048576.0,
	       kept / added * 100, ms);
	wl_metric("rss-decay.retained_pct", kept / added * 100, "%");
	wl_metric("rss-decay.end_mib", rss_end / 1048576.0, "MiB");
	return 0;
}
