/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live.h - the live view's shared page: what a kslab process publishes
 * (live.c) and `kslab info` and `kslab top` read (tools/kslab.c).  It
 * includes nothing of kslab's, so that the tool can use it as it is.
 */
#ifndef KS_LIVE_H
#define KS_LIVE_H
#include <stdint.h>

#define KS_LIVE_MAGIC    0x3156494c42414c53ull   /* "SLABLIV1", little-endian */
#define KS_LIVE_VERSION  1
#define KS_LIVE_NAME     "kslab-live"            /* the memfd's name */
#define KS_LIVE_SIZE     (256u << 10)            /* bytes of the mapping */
#define KS_LIVE_ORDERS   11                      /* buddy orders 0..10 */
#define KS_LIVE_ZONES    2

/* One slab cache. */
struct ks_live_row {
	char name[32];
	uint64_t object_size, active, total, in_use, cached, peak;
	uint64_t objs_per_slab, pages_per_slab, slabs, active_slabs, depot_magazines;
	uint64_t grown, shrunk, slab_allocs, slab_frees, depot_swaps;
};

/* The page's head; the rows follow it.  seq is a sequence lock: odd while
 * the process writes, so a reader copies the page and keeps the copy if
 * seq was even and unchanged across it. */
struct ks_live_header {
	uint64_t magic;
	uint32_t version, row_size;
	uint64_t seq;
	uint64_t updated_ms;       /* CLOCK_MONOTONIC_COARSE, in ms */
	uint64_t updates;          /* snapshots written so far */
	uint32_t want;             /* set by a reader: write one soon */
	int32_t pid;
	uint32_t nr_rows, max_rows;
	char version_str[16];
	char options[400];         /* KSLAB_OPTIONS in effect */
	/* bytes */
	uint64_t mapped, mapped_peak, resident, buddy_free, slab_bytes, slab_active;
	uint64_t large_bytes, metadata, lazy;
	/* counts */
	uint64_t large_count, nr_caches, nr_threads, nr_nodes;
	uint64_t mmap, munmap, mremap, madvise, purged_bytes, minor_faults;
	char zone_name[KS_LIVE_ZONES][8];
	uint64_t zone_managed[KS_LIVE_ZONES], zone_free[KS_LIVE_ZONES];
	uint64_t buddyinfo[KS_LIVE_ZONES][KS_LIVE_ORDERS];
};

#define KS_LIVE_MAX_ROWS \
	((KS_LIVE_SIZE - sizeof(struct ks_live_header)) / sizeof(struct ks_live_row))

static inline struct ks_live_row *ks_live_rows(struct ks_live_header *h)
{
	return (struct ks_live_row *)(h + 1);
}

/* The publishing side (live.c); none of it is for the tool. */
void ks__live_init(void);
/* The decay pass: a fresh snapshot if a reader wants one or the last is a
 * second old. */
void ks__live_tick(void);
void ks__live_exit(void);
void ks__live_fork_child(void);
#endif
