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
#include "reserve.h"
#include "kmalloc.h"
#include "os.h"
#include "options.h"
#include "live.h"
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* ---- statistics --------------------------------------------------------- */

struct cache_row {
	char name[KS_CACHE_NAME_MAX];
	size_t active, total, size, per_slab, pages_per_slab, slabs, active_slabs;
	size_t run_pages;             /* kept for its next slabs */
	size_t depot_full, magsize;
	size_t in_use, cached, peak;  /* objects: the program's, in magazines,
	                                 most ever out of the slabs */
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
	r->run_pages = t.run_pages;
	r->depot_full = c ? ks__mag_depot_full(c, &magsize) : 0;
	r->magsize = magsize;
	r->grown = t.nr_grow;
	r->shrunk = t.nr_shrink;
	r->slab_allocs = t.nr_slab_allocs;
	r->slab_frees = t.nr_slab_frees;
	r->depot_swaps = c ? ks__mag_depot_swaps(c) : 0;
	r->cached = c ? ks__mag_cached(c) : 0;
	if (r->cached > r->active)     /* unlocked reads may cross */
		r->cached = r->active;
	r->in_use = r->active - r->cached;
	r->peak = t.peak_objs;
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
	st->slab_bytes += (r->slabs * r->pages_per_slab + r->run_pages) * KS_PAGE_SIZE;
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

struct slabinfo_arg {
	int fd;
	bool all;
	size_t hidden;
};

static void slabinfo_row(struct cache_row *r, void *arg)
{
	struct slabinfo_arg *a = arg;

	if (!a->all && r->slabs == 0) {
		a->hidden++;
		return;
	}
	ks__dprintf(a->fd, "%-24s %8zu %8zu %6zu %4zu %4zu : tunables %4zu %4zu %4u"
		    " : slabdata %6zu %6zu %6zu\n",
		    r->name, r->active, r->total, r->size, r->per_slab,
		    r->pages_per_slab, r->magsize, r->magsize / 2, 0u,
		    r->active_slabs, r->slabs, r->depot_full);
}

/* The slabinfo table: every cache (ALL, as /proc/slabinfo shows them), or
 * those with slabs, and a line for the others. */
static void slabinfo(int fd, bool all)
{
	struct slabinfo_arg a = { fd, all, 0 };

	ks__dprintf(fd, "slabinfo - version: 2.1\n");
	ks__dprintf(fd, "# name                   <active_objs> <num_objs> <objsize>"
		    " <objperslab> <pagesperslab> : tunables <limit> <batchcount>"
		    " <sharedfactor> : slabdata <active_slabs> <num_slabs>"
		    " <depot_magazines>\n");
	for_each_cache(slabinfo_row, &a);
	if (a.hidden)
		ks__dprintf(fd, "# %zu caches without slabs not shown\n", a.hidden);
}

ks_export int ks_slabinfo(int fd)
{
	slabinfo(fd, true);
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
	ks__dprintf(fd, "  %-22s %9zu %9zu %9zu %7lu %7lu %11lu %11lu %8lu\n", r->name,
		    r->in_use, r->cached, r->peak, (unsigned long)r->grown,
		    (unsigned long)r->shrunk, (unsigned long)r->slab_allocs,
		    (unsigned long)r->slab_frees, (unsigned long)r->depot_swaps);
}

/* Objects: in use by the program, cached in magazines (the depots' and
 * the reporting thread's), the peak out of the slabs; then the traffic. */
static void activity_table(int fd)
{
	ks__dprintf(fd, "  caches, in objects%s\n  %-22s %9s %9s %9s %7s %7s %11s %11s %8s\n",
		    ks_config_stats ? "" : " (built with --disable-stats: no allocs, frees, swaps)",
		    "cache", "in use", "cached", "peak", "grown", "shrunk", "slab allocs",
		    "slab frees", "swaps");
	for_each_cache(activity_row, &fd);
}

/* The summary malloc_stats and KSLAB_OPTIONS=stats print. */
void ks__stats_print(int fd, bool with_slabinfo)
{
	struct ks_reserve_stats rs;
	struct ks_stats st;
	char opts[640];

	ks_stats_get(&st);
	ks__options_format(opts, sizeof(opts));
	ks__dprintf(fd, "kslab %s statistics (pid %d)\n", KSLAB_VERSION, (int)getpid());
	ks__dprintf(fd, "  options       %s\n", opts);
	ks__dprintf(fd, "  mapped        %12zu bytes (%zu sections), at most %lu\n", st.mapped,
		    ks__arena_nr_sections(),
		    (unsigned long)__atomic_load_n(&ks__os_counts.mapped_peak, __ATOMIC_RELAXED));
	{
		size_t carved, win = ks__arena_window(&carved);
		if (win)
			ks__dprintf(fd, "  heap window   %12zu bytes of address space, %zu carved "
				    "(no memory: see kslab(7))\n", win, carved);
		else
			ks__dprintf(fd, "  heap window   none (sections are found by the map)\n");
	}
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
	ks__dprintf(fd, "  caches %zu, threads with magazines %zu, slab nodes %u; "
		    "free-key checks %lu\n", st.nr_caches, st.nr_threads, ks__nr_nodes,
		    (unsigned long)__atomic_load_n(&ks__free_checks, __ATOMIC_RELAXED));
	ks__reserve_stats(&rs);
	if (rs.reserves)
		ks__dprintf(fd, "  atomic        %12zu bytes in %zu blocks of %zu reserves; "
			    "%lu taken, %lu refused (KS_GFP_ATOMIC)\n", rs.bytes_in_use,
			    rs.in_use, rs.reserves, (unsigned long)rs.allocs,
			    (unsigned long)rs.fails);
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		ks__dprintf(fd, "  zone %-7s managed %8zu pages, free %8zu, "
			    "wmark min/low/high %zu/%zu/%zu\n",
			    ks__zones[z].name, ks__zones[z].managed_pages,
			    ks__zones[z].free_pages, ks__zones[z].wmark[KS_WMARK_MIN],
			    ks__zones[z].wmark[KS_WMARK_LOW], ks__zones[z].wmark[KS_WMARK_HIGH]);
	ks__buddyinfo(fd);
	activity_table(fd);
	if (with_slabinfo)
		slabinfo(fd, false);
}

/* ---- malloc_info: glibc's XML ---------------------------------------------
 *
 * glibc writes one <heap> per arena: its free chunks by bin (<sizes>), the
 * fastbin and other free totals, the memory it has from the system now and
 * at most, and its address space; then the same totals for the process,
 * with the mmap'd chunks.  Tools that parse it (and people who read it)
 * find the same elements here, filled with kslab's analogs: one heap; a
 * <size> per kmalloc class holding free objects (in its slabs, and in
 * its depot's magazines, as many as those hold when full); "fast" the
 * objects in the depots (glibc's fastbins and tcache are its caches in
 * front of the bins); "rest" the free objects in slabs and the free pages
 * of the buddy allocator; "mmap" the blocks on the vmalloc path; "system"
 * the bytes mapped, now and at most. */

struct info_totals {
	size_t fast_count, fast_bytes, rest_count, rest_bytes;
};

static void info_sizes(void (*emit)(const char *, void *), void *arg, struct info_totals *t)
{
	char line[160];
	size_t from = 1;

	emit("<sizes>\n", arg);
	for (unsigned i = 0; i < KS_NR_CLASSES; i++) {
		struct cache_row r;
		size_t free_objs, cached;

		read_cache(&ks__kmalloc_caches[i].sc, &r);
		cached = r.depot_full * r.magsize;
		free_objs = r.total > r.active ? r.total - r.active : 0;
		t->fast_count += cached;
		t->fast_bytes += cached * r.size;
		t->rest_count += free_objs;
		t->rest_bytes += free_objs * r.size;
		if (free_objs + cached) {
			ks__snprintf(line, sizeof(line), "  <size from=\"%zu\" to=\"%zu\" "
				     "total=\"%zu\" count=\"%zu\"/>\n", from, r.size,
				     (free_objs + cached) * r.size, free_objs + cached);
			emit(line, arg);
		}
		from = r.size + 1;
	}
	emit("</sizes>\n", arg);
}

/* The totals, the system and the address-space lines of a heap or of
 * the whole process (WITH_MMAP). */
static void info_totals(void (*emit)(const char *, void *), void *arg,
			const struct info_totals *t, bool with_mmap)
{
	uint64_t mapped = __atomic_load_n(&ks__os_counts.mapped, __ATOMIC_RELAXED);
	uint64_t peak = __atomic_load_n(&ks__os_counts.mapped_peak, __ATOMIC_RELAXED);
	size_t heap = ks__arena_mapped();
	char line[512];

	ks__snprintf(line, sizeof(line),
		     "<total type=\"fast\" count=\"%zu\" size=\"%zu\"/>\n"
		     "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n",
		     t->fast_count, t->fast_bytes, t->rest_count, t->rest_bytes);
	emit(line, arg);
	if (with_mmap) {
		ks__snprintf(line, sizeof(line),
			     "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n",
			     ks__vmalloc_count(), ks__vmalloc_mapped());
		emit(line, arg);
	}
	ks__snprintf(line, sizeof(line),
		     "<system type=\"current\" size=\"%lu\"/>\n"
		     "<system type=\"max\" size=\"%lu\"/>\n"
		     "<aspace type=\"total\" size=\"%lu\"/>\n"
		     "<aspace type=\"mprotect\" size=\"%lu\"/>\n",
		     (unsigned long)(with_mmap ? mapped : heap),
		     (unsigned long)(with_mmap ? peak : heap),
		     (unsigned long)(with_mmap ? mapped : heap),
		     (unsigned long)(with_mmap ? mapped : heap));
	emit(line, arg);
}

void ks__malloc_info(void (*emit)(const char *line, void *arg), void *arg)
{
	struct info_totals t = { 0 };
	size_t n[KS_NR_ORDERS] = { 0 };

	emit("<malloc version=\"1\">\n<heap nr=\"0\">\n", arg);
	info_sizes(emit, arg, &t);
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {  /* free page blocks */
		ks_lock(&ks__zones[z].lock);
		for (unsigned o = 0; o < KS_NR_ORDERS; o++)
			n[o] += ks__zones[z].nr_free[o];
		ks_unlock(&ks__zones[z].lock);
	}
	for (unsigned o = 0; o < KS_NR_ORDERS; o++)
		t.rest_count += n[o];
	t.rest_bytes += ks__buddy_free_bytes();
	info_totals(emit, arg, &t, false);
	emit("</heap>\n", arg);
	info_totals(emit, arg, &t, true);
	emit("</malloc>\n", arg);
}

/* ---- the report as JSON (KSLAB_OPTIONS=stats=json) ------------------------
 *
 * One object: the version, the pid, the options, the totals in bytes, the
 * kernel calls, the zones and every cache that has slabs (cache names are
 * kslab's own or a program's ks_cache_create name; a quote or backslash in
 * one is replaced, so the text stays valid JSON). */

static void json_string(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		out[n++] = (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) ? '_' : *s;
	out[n] = '\0';
}

struct json_arg {
	int fd;
	bool first;
};

static void json_cache(struct cache_row *r, void *arg)
{
	struct json_arg *a = arg;
	char name[KS_CACHE_NAME_MAX];

	if (r->slabs == 0 && r->grown == 0)
		return;
	json_string(name, sizeof(name), r->name);
	ks__dprintf(a->fd, "%s\n    {\"name\": \"%s\", \"object_size\": %zu, "
		    "\"active_objs\": %zu, \"num_objs\": %zu, \"objs_per_slab\": %zu, "
		    "\"pages_per_slab\": %zu, \"slabs\": %zu, \"active_slabs\": %zu, "
		    "\"in_use\": %zu, \"cached\": %zu, \"peak\": %zu, "
		    "\"depot_magazines\": %zu, \"magazine_size\": %zu, \"grown\": %lu, "
		    "\"shrunk\": %lu, \"slab_allocs\": %lu, \"slab_frees\": %lu, "
		    "\"depot_swaps\": %lu}", a->first ? "" : ",", name, r->size, r->active,
		    r->total, r->per_slab, r->pages_per_slab, r->slabs, r->active_slabs,
		    r->in_use, r->cached, r->peak, r->depot_full, r->magsize, (unsigned long)r->grown, (unsigned long)r->shrunk,
		    (unsigned long)r->slab_allocs, (unsigned long)r->slab_frees,
		    (unsigned long)r->depot_swaps);
	a->first = false;
}

void ks__stats_json(int fd)
{
	struct json_arg a = { fd, true };
	struct ks_reserve_stats rs;
	struct ks_stats st;
	char opts[640], jopts[640];

	ks_stats_get(&st);
	ks__options_format(opts, sizeof(opts));
	json_string(jopts, sizeof(jopts), opts);
	ks__dprintf(fd, "{\n  \"kslab\": \"%s\", \"pid\": %d, \"options\": \"%s\",\n",
		    KSLAB_VERSION, (int)getpid(), jopts);
	ks__dprintf(fd, "  \"bytes\": {\"mapped\": %zu, \"mapped_peak\": %lu, "
		    "\"resident\": %zu, \"buddy_free\": %zu, \"slabs\": %zu, "
		    "\"slab_objects\": %zu, \"large\": %zu, \"metadata\": %zu, "
		    "\"lazy_areas\": %zu},\n", st.mapped,
		    (unsigned long)__atomic_load_n(&ks__os_counts.mapped_peak, __ATOMIC_RELAXED),
		    ks__os_rss(), st.page_free, st.slab_bytes, st.slab_active, st.large_bytes,
		    st.metadata, ks__vmalloc_lazy());
	ks__dprintf(fd, "  \"large_blocks\": %zu, \"caches\": %zu, \"threads\": %zu, "
		    "\"slab_nodes\": %u,\n", st.large_count, st.nr_caches, st.nr_threads,
		    ks__nr_nodes);
	{
		size_t carved, win = ks__arena_window(&carved);
		ks__dprintf(fd, "  \"heap_window\": {\"reserved\": %zu, \"carved\": %zu},\n",
			    win, carved);
	}
	ks__dprintf(fd, "  \"kernel\": {\"mmap\": %lu, \"munmap\": %lu, \"mremap\": %lu, "
		    "\"madvise\": %lu, \"purged_bytes\": %lu, \"minor_faults\": %ld},\n",
		    (unsigned long)ks__os_counts.mmap, (unsigned long)ks__os_counts.munmap,
		    (unsigned long)ks__os_counts.mremap, (unsigned long)ks__os_counts.madvise,
		    (unsigned long)ks__os_counts.purged_bytes, ks__os_minflt());
	ks__reserve_stats(&rs);
	ks__dprintf(fd, "  \"atomic\": {\"reserves\": %zu, \"blocks\": %zu, \"bytes\": %zu, "
		    "\"taken\": %lu, \"refused\": %lu},\n", rs.reserves, rs.in_use,
		    rs.bytes_in_use, (unsigned long)rs.allocs, (unsigned long)rs.fails);
	ks__dprintf(fd, "  \"zones\": [");
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		ks__dprintf(fd, "%s{\"name\": \"%s\", \"managed_pages\": %zu, "
			    "\"free_pages\": %zu}", z ? ", " : "", ks__zones[z].name,
			    ks__zones[z].managed_pages, ks__zones[z].free_pages);
	ks__dprintf(fd, "],\n  \"slab_caches\": [");
	for_each_cache(json_cache, &a);
	ks__dprintf(fd, "\n  ]\n}\n");
}

/* ---- the live view's snapshot (live.c publishes it) ------------------------ */

_Static_assert(KS_LIVE_ORDERS == KS_NR_ORDERS && KS_LIVE_ZONES == KS_NR_ZONES,
	       "live.h's sizes");

static void live_row(struct cache_row *r, void *arg)
{
	struct ks_live_header *h = arg;
	struct ks_live_row *o;

	if (h->nr_rows >= h->max_rows)
		return;
	o = &ks_live_rows(h)[h->nr_rows++];
	ks__snprintf(o->name, sizeof(o->name), "%s", r->name);
	o->object_size = r->size;
	o->active = r->active;
	o->total = r->total;
	o->in_use = r->in_use;
	o->cached = r->cached;
	o->peak = r->peak;
	o->objs_per_slab = r->per_slab;
	o->pages_per_slab = r->pages_per_slab;
	o->slabs = r->slabs;
	o->active_slabs = r->active_slabs;
	o->depot_magazines = r->depot_full;
	o->grown = r->grown;
	o->shrunk = r->shrunk;
	o->slab_allocs = r->slab_allocs;
	o->slab_frees = r->slab_frees;
	o->depot_swaps = r->depot_swaps;
}

void ks__stats_live(struct ks_live_header *h)
{
	struct ks_stats st;

	ks_stats_get(&st);
	ks__snprintf(h->version_str, sizeof(h->version_str), "%s", KSLAB_VERSION);
	ks__options_format(h->options, sizeof(h->options));
	h->mapped = st.mapped;
	h->mapped_peak = __atomic_load_n(&ks__os_counts.mapped_peak, __ATOMIC_RELAXED);
	h->resident = ks__os_rss();
	h->buddy_free = st.page_free;
	h->slab_bytes = st.slab_bytes;
	h->slab_active = st.slab_active;
	h->large_bytes = st.large_bytes;
	h->large_count = st.large_count;
	h->metadata = st.metadata;
	h->lazy = ks__vmalloc_lazy();
	h->nr_caches = st.nr_caches;
	h->nr_threads = st.nr_threads;
	h->nr_nodes = ks__nr_nodes;
	h->mmap = ks__os_counts.mmap;
	h->munmap = ks__os_counts.munmap;
	h->mremap = ks__os_counts.mremap;
	h->madvise = ks__os_counts.madvise;
	h->purged_bytes = ks__os_counts.purged_bytes;
	h->minor_faults = (uint64_t)ks__os_minflt();
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {
		struct ks_zone *zone = &ks__zones[z];
		ks__snprintf(h->zone_name[z], sizeof(h->zone_name[z]), "%s", zone->name);
		ks_lock(&zone->lock);
		h->zone_managed[z] = zone->managed_pages;
		h->zone_free[z] = zone->free_pages;
		for (unsigned o = 0; o < KS_NR_ORDERS; o++)
			h->buddyinfo[z][o] = zone->nr_free[o];
		h->buddyinfo[z][KS_MAX_ORDER] += zone->deferred_pages >> KS_MAX_ORDER;
		ks_unlock(&zone->lock);
	}
	h->nr_rows = 0;
	for_each_cache(live_row, h);
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
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {   /* the large blocks' free runs */
		size_t nr, pages;
		ks_lock(&ks__zones[z].lock);
		nr = ks__zones[z].nr_spans;
		pages = ks__zones[z].span_pages;
		ks_unlock(&ks__zones[z].lock);
		ks__dprintf(fd, "  spans     zone %-7s %6zu spans of %zu pages\n",
			    ks__zones[z].name, nr, pages);
	}
}
