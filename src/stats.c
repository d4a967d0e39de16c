// SPDX-License-Identifier: BSD-2-Clause
/*
 * stats.c - statistics and reports: ks_stats_get, ks_slabinfo (the
 * /proc/slabinfo of any process), and the text behind malloc_stats and
 * malloc_info.
 *
 * Counters live beside what they count, under the lock that already
 * guards it (a cache's counters under its slab lock, a zone's under the
 * zone lock); nothing here adds work to the fast path.  Reading merges
 * them, taking each lock in turn, so a report is a consistent view of each
 * cache, not of the whole allocator at one instant.  Objects sitting in
 * magazines count as active in the slab layer's view, as they do in
 * /proc/slabinfo for the kernel's per-CPU arrays; the depot's share is
 * shown in its own columns.
 *
 * Output never goes through stdio, which may allocate: the rows are
 * formatted by format.c into buffers on the stack and written with
 * write(2).
 */
#include "internal.h"
#include "stats.h"
#include "arena.h"
#include "buddy.h"
#include "slab.h"
#include "magazine.h"
#include "thread.h"
#include "vmalloc.h"
#include "os.h"
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* ---- statistics --------------------------------------------------------- */

struct cache_row {
	char name[KS_CACHE_NAME_MAX];
	size_t active, total, size, per_slab, pages_per_slab, slabs, active_slabs;
	size_t depot_full, magsize;
	uint64_t grown, shrunk, slab_allocs, slab_frees, depot_swaps;
};

static void read_cache(struct ks_slab_cache *sc, struct cache_row *r)
{
	struct ks_cache *c = ks__mag_cache_of(sc);
	struct ks_slab_totals t;
	unsigned magsize = 0;

	ks__slab_totals(sc, &t);
	memcpy(r->name, sc->name, sizeof(r->name));
	r->active = t.active_objs;
	r->slabs = t.nr_full + t.nr_partial + t.nr_empty;
	r->active_slabs = t.nr_full + t.nr_partial;
	r->total = r->slabs * sc->objs_per_slab;
	r->size = sc->size;
	r->per_slab = sc->objs_per_slab;
	r->pages_per_slab = 1ul << sc->order;
	r->depot_full = c ? ks__mag_depot_full(c, &magsize) : 0;
	r->magsize = magsize;
	r->grown = t.nr_grow;
	r->shrunk = t.nr_shrink;
	r->slab_allocs = t.nr_slab_allocs;
	r->slab_frees = t.nr_slab_frees;
	r->depot_swaps = c ? ks__mag_depot_swaps(c) : 0;
}

/* Call FN on a snapshot of each cache (the list lock is not held while FN
 * runs, so FN may write). */
static void for_each_cache(void (*fn)(struct cache_row *, void *), void *arg)
{
	struct ks_list *pos;
	size_t i = 0;

	for (;;) {
		struct cache_row row;
		bool found = false;
		size_t k = 0;
		ks_lock(&ks__slab_caches_lock);
		ks_list_for_each(pos, &ks__slab_caches) {
			if (k++ == i) {
				read_cache(ks_list_entry(pos, struct ks_slab_cache, link), &row);
				found = true;
				break;
			}
		}
		ks_unlock(&ks__slab_caches_lock);
		if (!found)
			return;
		fn(&row, arg);
		i++;
	}
}

static void sum_row(struct cache_row *r, void *arg)
{
	struct ks_stats *st = arg;
	st->slab_bytes += r->slabs * r->pages_per_slab * KS_PAGE_SIZE;
	st->slab_active += r->active * r->size;
	st->nr_caches++;
}

ks_export int ks_stats_get(struct ks_stats *st)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	for_each_cache(sum_row, st);
	st->mapped = ks__arena_mapped() + ks__vmalloc_mapped() + ks__vmalloc_lazy();
	st->page_free = ks__buddy_free_bytes();
	ks__large_stats(&st->large_bytes, &st->large_count);
	st->large_bytes += ks__vmalloc_mapped();
	st->large_count += ks__vmalloc_count();
	st->metadata = ks__arena_nr_sections() * KS_SECTION_RESERVED * KS_PAGE_SIZE;
	st->nr_threads = ks__thread_count();
	return 0;
}

static void slabinfo_row(struct cache_row *r, void *arg)
{
	int fd = *(int *)arg;
	ks__dprintf(fd, "%-24s %8zu %8zu %6zu %4zu %4zu : tunables %4zu %4zu %4u"
		    " : slabdata %6zu %6zu %6zu\n",
		    r->name, r->active, r->total, r->size, r->per_slab,
		    r->pages_per_slab, r->magsize, r->magsize / 2, 0u,
		    r->active_slabs, r->slabs, r->depot_full);
}

ks_export int ks_slabinfo(int fd)
{
	ks__dprintf(fd, "slabinfo - version: 2.1\n");
	ks__dprintf(fd, "# name                   <active_objs> <num_objs> <objsize>"
		    " <objperslab> <pagesperslab> : tunables <limit> <batchcount>"
		    " <sharedfactor> : slabdata <active_slabs> <num_slabs>"
		    " <depot_magazines>\n");
	for_each_cache(slabinfo_row, &fd);
	return 0;
}

/* The traffic of a cache that saw any (slabs made and given back, objects
 * moved between the slabs and the magazines, magazines traded with the
 * depot); the last three are counted unless built with --disable-stats. */
static void activity_row(struct cache_row *r, void *arg)
{
	int fd = *(int *)arg;
	if (!r->grown && !r->slab_allocs && !r->depot_swaps)
		return;
	ks__dprintf(fd, "  %-24s %8lu %8lu %12lu %12lu %10lu\n", r->name,
		    (unsigned long)r->grown, (unsigned long)r->shrunk,
		    (unsigned long)r->slab_allocs, (unsigned long)r->slab_frees,
		    (unsigned long)r->depot_swaps);
}

static void activity_table(int fd)
{
	ks__dprintf(fd, "  cache activity%s\n  %-24s %8s %8s %12s %12s %10s\n",
		    ks_config_stats ? "" : " (built with --disable-stats: slabs only)",
		    "cache", "grown", "shrunk", "slab allocs", "slab frees", "depot swaps");
	for_each_cache(activity_row, &fd);
}

/* The summary malloc_stats and KSLAB_OPTIONS=stats print. */
void ks__stats_print(int fd, bool with_slabinfo)
{
	struct ks_stats st;

	ks_stats_get(&st);
	ks__dprintf(fd, "kslab %s statistics (pid %d)\n", KSLAB_VERSION, (int)getpid());
	ks__dprintf(fd, "  mapped        %12zu bytes (%zu sections)\n", st.mapped,
		    ks__arena_nr_sections());
	ks__dprintf(fd, "  resident      %12zu bytes\n", ks__os_rss());
	ks__dprintf(fd, "  buddy free    %12zu bytes\n", st.page_free);
	ks__dprintf(fd, "  slabs         %12zu bytes, %zu in objects\n", st.slab_bytes,
		    st.slab_active);
	ks__dprintf(fd, "  large blocks  %12zu bytes in %zu blocks\n", st.large_bytes,
		    st.large_count);
	ks__dprintf(fd, "  metadata      %12zu bytes (page descriptors, reserved)\n",
		    st.metadata);
	ks__dprintf(fd, "  lazy areas    %12zu bytes (freed large blocks kept for reuse)\n",
		    ks__vmalloc_lazy());
	ks__dprintf(fd, "  kernel calls  mmap %lu, munmap %lu, mremap %lu, madvise %lu "
		    "(%lu bytes purged); minor faults %ld\n",
		    (unsigned long)ks__os_counts.mmap, (unsigned long)ks__os_counts.munmap,
		    (unsigned long)ks__os_counts.mremap, (unsigned long)ks__os_counts.madvise,
		    (unsigned long)ks__os_counts.purged_bytes, ks__os_minflt());
	ks__dprintf(fd, "  caches %zu, threads with magazines %zu, slab nodes %u\n",
		    st.nr_caches, st.nr_threads, ks__nr_nodes);
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		ks__dprintf(fd, "  zone %-7s managed %8zu pages, free %8zu, "
			    "wmark min/low/high %zu/%zu/%zu\n",
			    ks__zones[z].name, ks__zones[z].managed_pages,
			    ks__zones[z].free_pages, ks__zones[z].wmark[KS_WMARK_MIN],
			    ks__zones[z].wmark[KS_WMARK_LOW], ks__zones[z].wmark[KS_WMARK_HIGH]);
	ks__buddyinfo(fd);
	activity_table(fd);
	if (with_slabinfo)
		ks_slabinfo(fd);
}

/* /proc/buddyinfo: free blocks of each order, per zone. */
void ks__buddyinfo(int fd)
{
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {
		char line[256];
		size_t n[KS_NR_ORDERS];
		int len;
		ks_lock(&ks__zones[z].lock);
		memcpy(n, ks__zones[z].nr_free, sizeof(n));   /* both groups */
		/* blocks not yet on a list are free max-order blocks too */
		n[KS_MAX_ORDER] += ks__zones[z].deferred_pages >> KS_MAX_ORDER;
		ks_unlock(&ks__zones[z].lock);
		len = ks__snprintf(line, sizeof(line), "  buddyinfo zone %-7s", ks__zones[z].name);
		for (unsigned o = 0; o < KS_NR_ORDERS && len < (int)sizeof(line) - 10; o++)
			len += ks__snprintf(line + len, sizeof(line) - (size_t)len, " %6zu", n[o]);
		ks__dprintf(fd, "%s\n", line);
	}
}
