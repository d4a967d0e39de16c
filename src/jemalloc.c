// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemalloc.c - jemalloc's own entry points, served by kslab.
 *
 * A program built against jemalloc (Debian's redis-server is) calls
 * mallocx, sdallocx, nallocx and mallctl as well as malloc and free.  With
 * kslab preloaded, malloc and free come here but those would still go to
 * the jemalloc the program linked, and a block one allocator gave and the
 * other freed is an invalid free (or worse).  So kslab defines them too,
 * as snmalloc does for the same reason: with the library preloaded, every
 * allocation of the program goes to kslab.
 *
 * The flags: MALLOCX_LG_ALIGN(la) and MALLOCX_ALIGN(a) are the low six bits,
 * log2 of the alignment; MALLOCX_ZERO (0x40) zeroes what is handed out;
 * MALLOCX_TCACHE(tc) and MALLOCX_ARENA(a) (bits 8 and up) are accepted and
 * ignored (kslab has one heap, and its magazines are per thread).
 * xallocx never moves a block and grows none: it returns the usable size,
 * which jemalloc documents as the way to say "could not grow in place".
 *
 * mallctl answers the names programs read: version, epoch, config.stats,
 * opt.tcache, arenas.page, arenas.quantum, arenas.narenas, stats.allocated,
 * stats.active, stats.metadata, stats.resident, stats.mapped,
 * stats.retained, thread.tcache.flush, and arena.<i>.purge and
 * arena.<i>.decay (which give memory back, as malloc_trim does); every other
 * name is ENOENT, a wrong length EINVAL and a write to a read-only name
 * EPERM, as jemalloc answers them.  malloc_stats_print writes kslab's
 * report (the one of KSLAB_OPTIONS=stats) through the caller's function.
 */
#include "internal.h"
#include "init.h"
#include "kmalloc.h"
#include "magazine.h"
#include "os.h"
#include "stats.h"
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ks_jemalloc ks_export __attribute__((used))

#define MALLOCX_LG_ALIGN_MASK 0x3f
#define MALLOCX_ZERO          0x40

static size_t flags_align(int flags)
{
	unsigned lg = (unsigned)flags & MALLOCX_LG_ALIGN_MASK;
	return lg ? (size_t)1 << lg : 0;
}

/* mallocx(SIZE, FLAGS) without the zeroing: SIZE 0 is a minimal block. */
static void *alloc_flags(size_t size, int flags)
{
	size_t align = flags_align(flags);

	if (!size)
		size = 1;
	if (align > KS_MIN_ALIGN)
		return aligned_alloc(align, size);
	return malloc(size);
}

ks_jemalloc void *mallocx(size_t size, int flags)
{
	void *p;

	if (flags & MALLOCX_ZERO) {
		if (flags_align(flags) <= KS_MIN_ALIGN)
			return calloc(1, size ? size : 1);
		if ((p = alloc_flags(size, flags)) != NULL)
			memset(p, 0, malloc_usable_size(p));
		return p;
	}
	return alloc_flags(size, flags);
}

ks_jemalloc void *rallocx(void *ptr, size_t size, int flags)
{
	size_t align = flags_align(flags), old = malloc_usable_size(ptr), now;
	void *q;

	if (!size)
		size = 1;
	if (align <= KS_MIN_ALIGN || !((uintptr_t)ptr & (align - 1))) {
		q = realloc(ptr, size);          /* realloc keeps an alignment the
						    new size's block must have too */
		if (q && align > KS_MIN_ALIGN && ((uintptr_t)q & (align - 1))) {
			void *r = alloc_flags(size, flags);
			if (r)
				memcpy(r, q, size);
			free(q);
			q = r;
		}
	} else {
		q = alloc_flags(size, flags);
		if (q) {
			memcpy(q, ptr, old < size ? old : size);
			free(ptr);
		}
	}
	if (q && (flags & MALLOCX_ZERO) && (now = malloc_usable_size(q)) > old)
		memset((char *)q + old, 0, now - old);
	return q;
}

ks_jemalloc size_t xallocx(void *ptr, size_t size, size_t extra, int flags)
{
	(void)size;
	(void)extra;
	(void)flags;
	return malloc_usable_size(ptr);
}

ks_jemalloc size_t sallocx(const void *ptr, int flags)
{
	(void)flags;
	return malloc_usable_size((void *)ptr);
}

ks_jemalloc void dallocx(void *ptr, int flags)
{
	(void)flags;
	free(ptr);
}

ks_jemalloc void sdallocx(void *ptr, size_t size, int flags)
{
	(void)size;
	(void)flags;
	free(ptr);
}

ks_jemalloc size_t nallocx(size_t size, int flags)
{
	ks_boot();
	return ks__kmalloc_size(size, flags_align(flags));
}

/* ---- mallctl ----------------------------------------------------------- */

static uint64_t epoch = 1;

/* Copy the value V of LEN bytes out as mallctl does: to OLDP if the
 * caller's *OLDLENP says it is that long. */
static int ctl_read(void *oldp, size_t *oldlenp, const void *v, size_t len)
{
	if (!oldp || !oldlenp)
		return 0;
	if (*oldlenp != len) {
		*oldlenp = len < *oldlenp ? len : *oldlenp;
		return EINVAL;
	}
	memcpy(oldp, v, len);
	return 0;
}

static int ctl_size(void *oldp, size_t *oldlenp, void *newp, size_t v)
{
	return newp ? EPERM : ctl_read(oldp, oldlenp, &v, sizeof(v));
}

enum ctl_id {
	CTL_VERSION, CTL_EPOCH, CTL_CONFIG_STATS, CTL_OPT_TCACHE, CTL_PAGE, CTL_QUANTUM,
	CTL_NARENAS, CTL_ALLOCATED, CTL_ACTIVE, CTL_METADATA, CTL_RESIDENT, CTL_MAPPED,
	CTL_RETAINED, CTL_TCACHE_FLUSH, CTL_ARENA_PURGE, CTL_NR
};

static const char *const ctl_names[CTL_NR] = {
	[CTL_VERSION] = "version", [CTL_EPOCH] = "epoch",
	[CTL_CONFIG_STATS] = "config.stats", [CTL_OPT_TCACHE] = "opt.tcache",
	[CTL_PAGE] = "arenas.page", [CTL_QUANTUM] = "arenas.quantum",
	[CTL_NARENAS] = "arenas.narenas", [CTL_ALLOCATED] = "stats.allocated",
	[CTL_ACTIVE] = "stats.active", [CTL_METADATA] = "stats.metadata",
	[CTL_RESIDENT] = "stats.resident", [CTL_MAPPED] = "stats.mapped",
	[CTL_RETAINED] = "stats.retained", [CTL_TCACHE_FLUSH] = "thread.tcache.flush",
	[CTL_ARENA_PURGE] = "arena.<i>.purge",
};

/* "arena.<digits>.purge" or ".decay": the arena number, or -1. */
static long arena_purge_name(const char *name)
{
	const char *s = name + strlen("arena.");
	char *end;
	long n;

	if (strncmp(name, "arena.", 6) || *s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return !strcmp(end, ".purge") || !strcmp(end, ".decay") ? n : -1;
}

static int ctl_lookup(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < CTL_NR; i++)
		if (i != CTL_ARENA_PURGE && !strcmp(name, ctl_names[i]))
			return i;
	return arena_purge_name(name) >= 0 ? CTL_ARENA_PURGE : -1;
}

static int ctl_do(int id, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
	static const char version[] = KSLAB_VERSION "-0-gkslab";
	const char *vp = version;
	struct ks_stats st;
	bool yes = true;

	ks_boot();
	if (id >= CTL_ALLOCATED && id <= CTL_RETAINED)
		ks_stats_get(&st);
	switch (id) {
	case CTL_VERSION:
		return newp ? EPERM : ctl_read(oldp, oldlenp, &vp, sizeof(vp));
	case CTL_EPOCH:                        /* kslab's numbers are always fresh */
		if (newp && newlen != sizeof(uint64_t))
			return EINVAL;
		if (newp)
			epoch++;
		return ctl_read(oldp, oldlenp, &epoch, sizeof(epoch));
	case CTL_CONFIG_STATS:
	case CTL_OPT_TCACHE:
		return newp ? EPERM : ctl_read(oldp, oldlenp, &yes, sizeof(yes));
	case CTL_PAGE:
		return ctl_size(oldp, oldlenp, newp, ks__os_page_size);
	case CTL_QUANTUM:
		return ctl_size(oldp, oldlenp, newp, KS_MIN_ALIGN);
	case CTL_NARENAS: {
		unsigned one = 1;
		return newp ? EPERM : ctl_read(oldp, oldlenp, &one, sizeof(one));
	}
	case CTL_ALLOCATED:
		return ctl_size(oldp, oldlenp, newp, st.slab_active + st.large_bytes);
	case CTL_ACTIVE:
		return ctl_size(oldp, oldlenp, newp, st.slab_bytes + st.large_bytes);
	case CTL_METADATA:
		return ctl_size(oldp, oldlenp, newp, st.metadata);
	case CTL_RESIDENT: {
		size_t rss = ks__os_rss();
		return ctl_size(oldp, oldlenp, newp, rss && rss < st.mapped ? rss : st.mapped);
	}
	case CTL_MAPPED:
		return ctl_size(oldp, oldlenp, newp, st.mapped);
	case CTL_RETAINED:
		return ctl_size(oldp, oldlenp, newp, 0);
	case CTL_TCACHE_FLUSH:
		if (oldp || newp)
			return EPERM;
		ks__mag_drain_thread();
		return 0;
	case CTL_ARENA_PURGE:
		if (oldp || newp)
			return EPERM;
		malloc_trim(0);
		return 0;
	}
	return ENOENT;
}

ks_jemalloc int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
			size_t newlen)
{
	int id = ctl_lookup(name);
	return id < 0 ? ENOENT : ctl_do(id, oldp, oldlenp, newp, newlen);
}

/* A MIB is the name's id and, for arena.<i>.purge, the arena: {id, i, 0}. */
ks_jemalloc int mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp)
{
	int id = ctl_lookup(name);
	size_t len = id == CTL_ARENA_PURGE ? 3 : 1;

	if (id < 0)
		return ENOENT;
	if (!mibp || !miblenp || *miblenp < len)
		return EINVAL;
	mibp[0] = (size_t)id;
	if (id == CTL_ARENA_PURGE) {
		mibp[1] = (size_t)arena_purge_name(name);
		mibp[2] = 0;
	}
	*miblenp = len;
	return 0;
}

ks_jemalloc int mallctlbymib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
			     void *newp, size_t newlen)
{
	if (!mib || miblen < 1 || mib[0] >= CTL_NR ||
	    miblen != (mib[0] == CTL_ARENA_PURGE ? 3u : 1u))
		return ENOENT;
	return ctl_do((int)mib[0], oldp, oldlenp, newp, newlen);
}

/* ---- malloc_stats_print ----------------------------------------------- */

ks_jemalloc void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
				    const char *opts)
{
	char buf[4096];
	ssize_t n;
	int fd;

	(void)opts;
	ks_boot();
	if (!write_cb) {
		ks__stats_print(2, true);
		return;
	}
	/* the report is written to a descriptor: a memory file, read back */
	fd = memfd_create("kslab-stats", MFD_CLOEXEC);
	if (fd < 0) {
		write_cb(cbopaque, "kslab: malloc_stats_print: no memfd for the report\n");
		return;
	}
	ks__stats_print(fd, true);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		write_cb(cbopaque, buf);
	}
	close(fd);
}
