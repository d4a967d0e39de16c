// SPDX-License-Identifier: BSD-2-Clause
/*
 * realloc-growth - a buffer grown by realloc, the pattern of a string
 * builder or a vector (the realloc cases of mimalloc-bench's "glibc-simple"
 * and of the glibc malloc benchtests, bench-malloc-*; Firefox and Chrome
 * grow JSON and log buffers this way).
 *
 * Two modes, each repeated R times:
 *   -m double  a buffer starts at 16 bytes and doubles up to the limit
 *              (default 1 GiB): an allocator that moves large blocks with
 *              mremap copies nothing, one that copies moves ~limit bytes;
 *   -m step    a buffer grows by a fixed step (default 4 KiB) up to the
 *              limit (default 64 MiB): thousands of reallocs of a large
 *              block, each of which should extend it in place.
 * The program writes one word into every new 4 KiB page of the buffer, as a
 * writer appending would (or, with -t, one word every STRIDE bytes: a
 * buffer reserved big and filled sparsely, such as a hash table's or an
 * arena's, where the copy an allocator makes is all of the cost), and checks the words already written after each
 * realloc (all of them when doubling; the first and the last 16 pages when
 * stepping) and all of them at the end.
 *
 * usage: realloc-growth [-m double|step] [-l limit] [-i step] [-r repeats]
 *                       [-t touch stride]
 */
#include "wl.h"

static size_t PG = 4096;           /* bytes between the words written */

static inline uint64_t word_for(size_t page, unsigned rep)
{
	return (uint64_t)page * 0x9E3779B97F4A7C15ull ^ rep;
}

static void check_pages(const char *buf, size_t from, size_t to, unsigned rep)
{
	for (size_t pg = from; pg < to; pg++) {
		uint64_t w;
		memcpy(&w, buf + pg * PG, 8);
		if (w != word_for(pg, rep))
			wl_fail("realloc-growth: page %zu of the buffer at %p lost its contents",
				pg, (const void *)buf);
	}
}

int main(int argc, char **argv)
{
	const char *mode = "double";
	size_t limit = 0, step = PG;
	unsigned repeats = 1;
	int opt;
	while ((opt = getopt(argc, argv, "m:l:i:r:t:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'l': limit = wl_num(optarg); break;
		case 'i': step = wl_num(optarg); break;
		case 'r': repeats = (unsigned)wl_num(optarg); break;
		case 't': PG = wl_num(optarg); break;
		default:
			wl_usage("realloc-growth [-m double|step] [-l limit] [-i step] [-r repeats] "
				 "[-t touch stride]");
		}
	}
	int dbl = !strcmp(mode, "double");
	if (!dbl && strcmp(mode, "step"))
		wl_usage("realloc-growth: mode is double or step");
	if (!limit)
		limit = dbl ? (size_t)1 << 30 : (size_t)64 << 20;
	if (!step || PG < 8 || limit < PG)
		wl_usage("realloc-growth: need step >= 1, stride >= 8 and limit >= stride");

	size_t nreallocs = 0;
	double t0 = wl_now();
	for (unsigned rep = 0; rep < repeats; rep++) {
		size_t cap = dbl ? 16 : step, pages = 0;
		char *buf = wl_xmalloc(cap);
		for (;;) {
			size_t full = cap / PG;
			for (; pages < full; pages++) {
				uint64_t w = word_for(pages, rep);
				memcpy(buf + pages * PG, &w, 8);
			}
			if (cap >= limit)
				break;
			size_t ncap = dbl ? cap * 2 : cap + step;
			if (ncap > limit)
				ncap = limit;
			char *nb = realloc(buf, ncap);
			if (!nb)
				wl_fail("realloc(%zu) returned NULL", ncap);
			buf = nb;
			cap = ncap;
			nreallocs++;
			if (dbl) {
				check_pages(buf, 0, pages, rep);
			} else {
				check_pages(buf, 0, pages < 16 ? pages : 16, rep);
				check_pages(buf, pages < 16 ? 0 : pages - 16, pages, rep);
			}
		}
		check_pages(buf, 0, pages, rep);
		free(buf);
	}
	double dt = wl_now() - t0;
	printf("realloc-growth: %s to %zu MiB x %u: %zu reallocs, %.3f s\n",
	       mode, limit >> 20, repeats, nreallocs, dt);
	wl_metric(dbl ? "realloc-double.ms" : "realloc-step.ms", dt * 1e3 / repeats, "ms/growth");
	return 0;
}
