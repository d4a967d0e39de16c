// SPDX-License-Identifier: BSD-2-Clause
/*
 * malloc.c - the libc allocation interface with glibc's semantics and
 * errno, and the __libc_* aliases some programs call directly.
 *
 * This file is the only one that defines malloc and friends, and it is not
 * part of the core library the unit tests link, so they test kslab beside
 * the process's own malloc.  Each function is a thin shell: malloc and
 * free are the inline fast paths of fastpath.h with their slow halves
 * here; everything else routes into kmalloc.c.
 *
 * glibc's behaviour, kept on purpose:
 *  - malloc(0) returns a unique pointer; free(NULL) does nothing.
 *  - realloc(p, 0) with p != NULL frees p and returns NULL;
 *    realloc(NULL, n) is malloc(n).
 *  - calloc and reallocarray overflow: NULL with ENOMEM.
 *  - memalign and aligned_alloc round a non-power-of-two alignment up (glibc
 *    2.36 does); posix_memalign returns EINVAL for an alignment that is
 *    not a power of two multiple of sizeof(void *), and leaves errno alone.
 *  - valloc aligns to the OS page, pvalloc also rounds the size up to it.
 *  - mallopt returns 1 for anything it accepts (all but a bad M_MXFAST),
 *    and ignores what it does not support.
 *  - malloc_stats writes to stderr, malloc_info XML to the FILE given.
 */
#include "internal.h"
#include "fastpath.h"
#include "init.h"
#include "api.h"
#include "kmalloc.h"
#include "magazine.h"
#include "thread.h"
#include "page_alloc.h"
#include "vmalloc.h"
#include "options.h"
#include "os.h"
#include "stats.h"
#include "live.h"
#include "debug.h"
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ks_libc ks_export __attribute__((used))

/* The slow paths note their caller for owner tracking (debug.h): malloc
 * and free jump to them, so their return address is the program's. */
static void *malloc_slow(size_t size)
{
	struct ks_tcache *tc = ks__tls_tcache;

	ks_boot();
	if (tc->tick < 0 && tc != &ks__tcache_empty) {
		tc->tick = KS_TICK_PERIOD;
		ks__thread_tick(tc);
		/* the trim reads a clock: not every tick; and only a thread's
		 * own state, not an exited thread's shared one */
		if (!(tc->ticks & 31) && ks__thread_is_own(tc))
			ks__kmalloc_trim(tc);
		if (ks__pages_decay()) {
			ks__mag_reap();
			ks__vmalloc_decay();
			ks__slab_purge_idle(false);
			ks__live_tick();
		}
		/* the housekeeping done, the block comes from the magazine as
		 * the fast path's would (through ks__kmalloc, a tick cost a
		 * hundred instructions more: 0.8 a malloc+free pair) */
		if (size <= KS_SLAB_MAX) {
			void *p = ks_cc_pop(ks_off8_cc(tc, size <= KS_SMALL_MAX ?
							tc->cc_off8[size] : ks_class_off8(size)));
			if (p)
				return p;
		}
	}
	return ks__kmalloc(size, 0);
}

void *ks__malloc_slow(size_t size)
{
	ks_note_caller();
	return malloc_slow(size);
}

void ks__free_slow(void *p)
{
	ks_note_caller();
	ks__kfree(p);
}

void ks__free_keyed(void *p)
{
	ks_note_caller();
	ks__free_check(p);                    /* reports a double free */
	*(ks_free_key_t *)p = 0;              /* live after all: free it */
	ks__kfree(p);                         /* which marks it */
}

void *ks__malloc_swap(size_t size, struct ks_cpu_cache *cc)
{
	void *p = ks__mag_pop_prev(cc);
	if (!p) {
		ks_note_caller();
		return malloc_slow(size);
	}
	*(ks_free_key_t *)p = 0;
	return p;
}

void ks__free_swap(struct ks_cpu_cache *cc, void *p)
{
	if (ks_unlikely(ks__opt.strict) && cc == ks__tls_tcache->cc) {
		/* strict: no page names its cpu cache, so every free() comes
		 * here; an object's start goes on as the fast path would */
		cc = ks__strict_cc(p);
		if (cc && ks_free_push(cc, p))
			return;
		if (!cc)
			cc = ks__tls_tcache->cc;      /* cc[0]: ks__kfree */
	}
	if (cc->base && !cc->prev->rounds) {  /* the swap will take it: mark it */
		ks_free_mark(p);
		ks__mag_push_prev(cc, p);
		return;
	}
	ks_note_caller();
	ks__kfree(p);                         /* marked by ks__kfree */
}

ks_libc void *malloc(size_t size)
{
	return ks_malloc_fast(size);
}

ks_libc void free(void *p)
{
	ks_free_fast(p);
}

/* For new.cc's sized delete; hidden, C linkage.  The size is not
 * trusted: a program that deletes a derived object through a base
 * pointer with no virtual destructor passes the base's size, and an
 * object pushed on the magazine of that smaller class would later be
 * handed out as a block too small.  The page descriptor names the class,
 * as for free(). */
void ks__free_sized(void *p, size_t size)
{
	(void)size;
	ks_free_fast(p);
}

ks_libc void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	ks_boot();
	ks_note_caller();
	p = ks__kmalloc(total, KS_GFP_ZERO);
	if (p && total <= KS_SLAB_MAX)
		memset(p, 0, total);   /* slab objects are never known clean */
	return p;
}

static void *realloc_noted(void *p, size_t size)
{
	if (p && size == 0) {
		ks__kfree(p);
		return NULL;
	}
	ks_boot();
	return ks__krealloc(p, size, 0);
}

ks_libc void *realloc(void *p, size_t size)
{
	ks_note_caller();
	return realloc_noted(p, size);
}

ks_libc void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	ks_note_caller();
	return realloc_noted(p, total);
}

static void *aligned(size_t align, size_t size)
{
	if (!ks_is_pow2(align))
		align = align > (SIZE_MAX >> 1) ? 0 : 1ul << ks_log2_ceil(align);
	if (align == 0 || size > SIZE_MAX - align) {
		errno = ENOMEM;
		return NULL;
	}
	ks_boot();
	return ks__kmalloc_aligned(align, size, 0);
}

static void *memalign_noted(size_t align, size_t size)
{
	if (align > (SIZE_MAX >> 1) + 1) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align, size);
}

ks_libc void *memalign(size_t align, size_t size)
{
	ks_note_caller();
	return memalign_noted(align, size);
}

ks_libc void *aligned_alloc(size_t align, size_t size)
{
	ks_note_caller();
	return memalign_noted(align, size);
}

ks_libc int posix_memalign(void **out, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (align % sizeof(void *) || !ks_is_pow2(align))
		return EINVAL;
	ks_note_caller();
	p = aligned(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

ks_libc void *valloc(size_t size)
{
	ks_boot();
	ks_note_caller();
	return aligned(ks__os_page_size, size);
}

ks_libc void *pvalloc(size_t size)
{
	size_t rounded;

	ks_boot();
	rounded = ks_align_up(size ? size : 1, ks__os_page_size);
	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	ks_note_caller();
	return aligned(ks__os_page_size, rounded);
}

ks_libc size_t malloc_usable_size(void *p)
{
	return ks__ksize(p);
}

ks_libc void free_sized(void *p, size_t size)
{
	(void)size;
	ks_free_fast(p);
}

ks_libc void free_aligned_sized(void *p, size_t align, size_t size)
{
	(void)align;
	(void)size;
	ks_free_fast(p);
}

ks_libc int malloc_trim(size_t pad)
{
	(void)pad;
	ks_boot();
	return ks__trim() != 0;
}

ks_libc void malloc_stats(void)
{
	ks_boot();
	ks__stats_print(2, false);
}

ks_libc struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi;
	struct ks_stats st;

	ks_boot();
	memset(&mi, 0, sizeof(mi));
	ks_stats_get(&st);
	mi.arena = st.mapped - ks__vmalloc_mapped();
	mi.hblks = ks__vmalloc_count();
	mi.hblkhd = ks__vmalloc_mapped();
	mi.uordblks = st.slab_active + st.large_bytes - ks__vmalloc_mapped();
	mi.fordblks = st.page_free + (st.slab_bytes - st.slab_active);
	mi.ordblks = 1;
	return mi;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
ks_libc struct mallinfo mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi;

	mi.arena = (int)m2.arena;
	mi.ordblks = (int)m2.ordblks;
	mi.smblks = (int)m2.smblks;
	mi.hblks = (int)m2.hblks;
	mi.hblkhd = (int)m2.hblkhd;
	mi.usmblks = (int)m2.usmblks;
	mi.fsmblks = (int)m2.fsmblks;
	mi.uordblks = (int)m2.uordblks;
	mi.fordblks = (int)m2.fordblks;
	mi.keepcost = (int)m2.keepcost;
	return mi;
}
#pragma GCC diagnostic pop

ks_libc int mallopt(int param, int value)
{
	if (param == M_MXFAST && (value < 0 || (size_t)value > 80 * sizeof(size_t) / 4))
		return 0;
	return 1;
}

static void emit_line(const char *line, void *fp)
{
	if (fputs(line, fp) < 0)
		errno = EIO;               /* noted; malloc_info returns -1 below */
}

ks_libc int malloc_info(int options, FILE *fp)
{
	int saved = errno;

	if (options != 0)
		return EINVAL;             /* glibc returns it, errno untouched */
	ks_boot();
	errno = 0;
	ks__malloc_info(emit_line, fp);
	if (errno == EIO)
		return -1;
	errno = saved;
	return 0;
}

/* The names glibc exports for programs that call its allocator directly.
 * (glibc's prototypes carry attributes such as nothrow that an alias
 * cannot repeat; the aliases are the same code, so the warning is moot.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#endif
#define KS_ALIAS(name, target) \
	extern __typeof(target) name __attribute__((alias(#target), visibility("default")))
KS_ALIAS(__libc_malloc, malloc);
KS_ALIAS(__libc_free, free);
KS_ALIAS(__libc_calloc, calloc);
KS_ALIAS(__libc_realloc, realloc);
KS_ALIAS(__libc_memalign, memalign);
KS_ALIAS(__libc_valloc, valloc);
KS_ALIAS(__libc_pvalloc, pvalloc);
KS_ALIAS(__libc_mallinfo, mallinfo);
KS_ALIAS(__libc_mallopt, mallopt);
KS_ALIAS(cfree, free);
#pragma GCC diagnostic pop
