// SPDX-License-Identifier: BSD-2-Clause
/*
 * vmalloc.c - large blocks with a mapping of their own: the kernel's
 * vmalloc and its vmap_area tree, in user space.
 *
 * A malloc block above KS_PAGE_PATH_MAX (4 MiB), or any ks_vmalloc block,
 * is an mmap of its own, rounded to whole OS pages, so every byte of it
 * can go back to the OS when it is freed (after a while: see lazy
 * unmapping), and growing it is mremap: the kernel moves page table
 * entries, not bytes, so growing a buffer to 1 GiB by doubling copies
 * nothing.  Alignments above the OS page are had by
 * mapping more and trimming (os.c).
 *
 * A block that realloc grows gets headroom (a quarter of its size, at most
 * 64 MiB) in the same mremap: the kernel can seldom grow a mapping in place
 * (top-down layout puts the previous mapping right above it) and a move
 * costs page-table work in proportion to the size, so a buffer grown by
 * small steps pays O(log n) mremaps instead of one per step.  The room is
 * address space, not memory: untouched, it costs no RSS; shrinking by more
 * than half gives the tail back.
 *
 * A block that realloc grows past 32 MiB asks for transparent huge pages
 * (where the system leaves THP to madvise, as Debian does) if the MiB in
 * the middle of what it had is resident (mincore; the end may be the
 * headroom): a buffer written through as it grows
 * then faults in 2 MiB at a time, which makes growing one to 1 GiB cost a
 * third of glibc's time.  A block that is not written through, a table
 * reserved big and filled sparsely, gets no huge pages: every 2 MiB that
 * one byte touches would be zeroed and resident (growing one to 1 GiB
 * touching a byte per 64 KiB took 20x glibc's time and all of the GiB).
 * A block allocated big at once is left to the kernel's 4 KiB faults, as
 * glibc leaves it.  This too waits for KSLAB_OPTIONS=thp: growing a
 * buffer to 1 GiB took 0.42 s without and 0.8-1.5 s with huge pages on the
 * VM we measure on (an earlier day, 0.36 s with them; the kernel's
 * huge-page faults on fresh memory are what varies).
 *
 * The blocks are found in O(1) through an open-addressing hash table keyed
 * by the block's address (linear probing, backward-shift deletion, load
 * kept at or under one half), itself mapped with os.c and grown by
 * rehashing.  No header sits in front of a block: free, realloc and
 * malloc_usable_size look the pointer up, and a pointer that is neither in
 * a section nor in this table is an invalid free.
 *
 * Lazy unmapping.  A freed block is not unmapped at once but kept, with
 * its pages resident, on a short list of lazy areas, as the kernel defers
 * vunmap (vmap_lazy_nr, purged past lazy_max_pages): a program that frees
 * a 20 MiB buffer and allocates another a moment later, as image, parser
 * and compression code do in a loop, gets the same pages back instead of
 * an munmap, an mmap and a page fault per 4 KiB.  An allocation takes the
 * smallest lazy area that fits (its tail, past a quarter more than was
 * asked, stays lazy as an area of its own), or else the largest that does
 * not and grows it with mremap, so only the new pages fault in.
 *
 * The list is bounded.  It holds KS_VM_LAZY_SLOTS areas and 64 MiB plus
 * half the live vmalloc bytes (a quarter left a loop over a few dozen
 * blocks of 5-25 MiB unmapping 80 areas a run and faulting their pages in
 * afresh: 1.6x the time, as much as glibc's), but only 8 MiB while the
 * program has made fewer than KS_VM_HOT_ALLOCS large allocations in the
 * last two decay periods: sqlite frees a few big blocks once, and keeping
 * them cost it 14 MiB of peak RSS for nothing.  It holds no area of
 * KS_THP_MIN or more, which glibc would not keep either: a block that big
 * is seldom allocated in a loop, and keeping the previous table of a
 * growing hash while the program fills the next one only adds to its
 * peak.  An area stays for decay_ms at most: every vmalloc call and the
 * malloc tick unmap the ones past their time, and malloc_trim unmaps them
 * all.  A block that must read as zero (calloc) and comes from the list is
 * cleared with memset, which costs less than the fault and the kernel's
 * clearing of a fresh page.
 *
 * Blocks from the page path.  A page-path block (up to 4 MiB, pages of a
 * section) that realloc grows past the page path becomes a block of this
 * file without a copy: ks__vmalloc_adopt moves its pages out of the
 * section with mremap, and the page allocator maps fresh pages into the
 * hole and takes them back, clean (page_alloc.c).  A buffer doubled from
 * 4 KiB to 1 GiB is then never copied above 32 KiB, as under glibc, whose
 * blocks have their own mapping from 128 KiB.
 *
 * Locking: vm_lock guards the table, the lazy list and the counters;
 * mmap/munmap/mremap run outside it except the table's own growth and an
 * adoption's mremap (so that the slot made for it is still free).
 */
#include "vmalloc.h"
#include "page_alloc.h"
#include "os.h"
#include "options.h"
#include "debug.h"
#include <errno.h>
#include <string.h>

#define KS_THP_MIN (32ul << 20)   /* blocks this large may get huge pages */
#define KS_DENSE_PROBE (1ul << 20) /* how much of a block mincore reads */

struct vm_area {
	uintptr_t addr;            /* 0: empty slot */
	size_t len;                /* mapped bytes, OS-page rounded */
	size_t usable;             /* what the block may use: the request
	                              rounded to OS pages, even in a larger
	                              lazy area reused (nallocx's answer) */
	const void *caller;        /* who mapped it (owner tracking, debug.h) */
};

#define BOOT_SLOTS 1024
static ks_lock_t vm_lock = KS_LOCK_INIT(KS_LR_VMALLOC);
/* The first table is static (bootmem): a mapping of its own, made when the
 * first block is, would land right next to that block and stop mremap
 * from growing it in place. */
static struct vm_area boot_table[BOOT_SLOTS];
static struct vm_area *table = boot_table;
static size_t table_size = BOOT_SLOTS;   /* slots, a power of two */
static size_t nr_areas, mapped_bytes;

static size_t slot_of(uintptr_t addr, size_t mask)
{
	return (size_t)((addr >> 12) * 0x9E3779B97F4A7C15ull >> 20) & mask;
}

static struct vm_area *lookup_locked(uintptr_t addr)
{
	size_t mask = table_size - 1;
	for (size_t i = slot_of(addr, mask);; i = (i + 1) & mask) {
		if (table[i].addr == addr)
			return &table[i];
		if (table[i].addr == 0)
			return NULL;
	}
}

static void place(struct vm_area *t, size_t size, struct vm_area a)
{
	size_t i = slot_of(a.addr, size - 1);
	while (t[i].addr)
		i = (i + 1) & (size - 1);
	t[i] = a;
}

static bool grow_table_locked(void)
{
	size_t size = table_size * 2;
	struct vm_area *t = ks__os_map(size * sizeof(*t), 0, false);

	if (!t)
		return false;
	for (size_t i = 0; i < table_size; i++)
		if (table[i].addr)
			place(t, size, table[i]);
	if (table != boot_table)
		ks__os_unmap(table, table_size * sizeof(*table));
	table = t;
	table_size = size;
	return true;
}

static bool insert_locked(uintptr_t addr, size_t len, size_t usable)
{
	if ((nr_areas + 1) * 2 > table_size && !grow_table_locked())
		return false;
	place(table, table_size, (struct vm_area){ addr, len, usable, ks__tls_caller });
	nr_areas++;
	mapped_bytes += len;
	return true;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void remove_locked(struct vm_area *a)
{
	size_t mask = table_size - 1, i = (size_t)(a - table), j = i;

	nr_areas--;
	mapped_bytes -= a->len;
	for (;;) {
		j = (j + 1) & mask;
		if (!table[j].addr)
			break;
		size_t home = slot_of(table[j].addr, mask);
		/* move j back to i if its home is not within (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			table[i] = table[j];
			i = j;
		}
	}
	table[i] = (struct vm_area){ 0, 0, 0, NULL };
}

/* ---- lazy areas ---------------------------------------------------------- */

#define KS_VM_LAZY_SLOTS 16
#define KS_VM_LAZY_MIN   (64ul << 20)

struct vm_lazy {
	uintptr_t addr;
	size_t len;
	uint64_t stamp;            /* when it was freed, ks__clock_ms() */
};

static struct vm_lazy lazy[KS_VM_LAZY_SLOTS];
static unsigned nr_lazy;
static size_t lazy_bytes;

/* Areas to unmap once vm_lock is dropped. */
struct vm_doomed {
	unsigned n;
	struct vm_lazy a[KS_VM_LAZY_SLOTS + 1];
};

static void lazy_take_locked(unsigned i, struct vm_lazy *out)
{
	*out = lazy[i];
	lazy_bytes -= lazy[i].len;
	lazy[i] = lazy[--nr_lazy];
}

static void unmap_doomed(struct vm_doomed *d)
{
	for (unsigned i = 0; i < d->n; i++)
		ks__os_unmap((void *)d->a[i].addr, d->a[i].len);
	d->n = 0;
}

/* Move to D every lazy area freed before CUTOFF. */
static void lazy_expire_locked(uint64_t cutoff, struct vm_doomed *d)
{
	for (unsigned i = 0; i < nr_lazy;) {
		if (lazy[i].stamp < cutoff)
			lazy_take_locked(i, &d->a[d->n++]);
		else
			i++;
	}
}

/* Demand: large allocations in the current and the previous decay
 * period.  A program that allocates large blocks now and then (sqlite's
 * sorter, a dict that grew once) would only add the areas it freed to its
 * peak RSS; one that allocates them in a loop reuses them. */
#define KS_VM_LAZY_COLD  (8ul << 20)  /* the cap while demand is low */
#define KS_VM_HOT_ALLOCS 8            /* allocations that make it high */
static unsigned demand_now, demand_prev;
static uint64_t demand_since;

static size_t lazy_cap(void)
{
	if (demand_now + demand_prev < KS_VM_HOT_ALLOCS)
		return KS_VM_LAZY_COLD;
	return KS_VM_LAZY_MIN + mapped_bytes / 2;
}

/* Keep [ADDR, ADDR + LEN) as a lazy area, merged with the lazy areas
 * next to it (a block split from one, freed again) while the sum stays
 * below KS_THP_MIN, making room by
 * dropping the oldest ones into D; false (and nothing kept) if it is too
 * large.  A merged area may span two kernel mappings (made by two
 * mmap calls), which mremap refuses to move: the callers fall back to a
 * fresh mapping or a copy. */
static void lazy_put_locked(uintptr_t addr, size_t len, uint64_t now,
			    struct vm_doomed *d)
{
	size_t cap = lazy_cap();

	for (unsigned i = 0; i < nr_lazy;) {     /* merge with its neighbours */
		if ((lazy[i].addr + lazy[i].len == addr || addr + len == lazy[i].addr) &&
		    len + lazy[i].len < KS_THP_MIN) {
			struct vm_lazy n;
			lazy_take_locked(i, &n);
			addr = n.addr < addr ? n.addr : addr;
			len += n.len;
			continue;
		}
		i++;
	}
	if (len > cap || len >= KS_THP_MIN) {
		d->a[d->n++] = (struct vm_lazy){ addr, len, 0 };
		return;
	}
	while (nr_lazy && (nr_lazy == KS_VM_LAZY_SLOTS || lazy_bytes + len > cap)) {
		unsigned old = 0;
		for (unsigned i = 1; i < nr_lazy; i++)
			if (lazy[i].stamp < lazy[old].stamp)
				old = i;
		lazy_take_locked(old, &d->a[d->n++]);
	}
	lazy[nr_lazy++] = (struct vm_lazy){ addr, len, now };
	lazy_bytes += len;
}

/* The lazy area to serve LEN bytes from: the smallest that holds them,
 * else the largest (to grow); false if there is none. */
static bool lazy_get_locked(size_t len, struct vm_lazy *out)
{
	int fit = -1, big = -1;

	for (unsigned i = 0; i < nr_lazy; i++) {
		if (lazy[i].len >= len && (fit < 0 || lazy[i].len < lazy[fit].len))
			fit = (int)i;
		if (big < 0 || lazy[i].len > lazy[big].len)
			big = (int)i;
	}
	if (fit < 0)
		fit = big;
	if (fit < 0)
		return false;
	lazy_take_locked((unsigned)fit, out);
	return true;
}

static void decay_locked(uint64_t now, struct vm_doomed *d)
{
	if (now > ks__opt.decay_ms)
		lazy_expire_locked(now - ks__opt.decay_ms, d);
	if (now - demand_since >= ks__opt.decay_ms) {
		demand_prev = now - demand_since < 2 * ks__opt.decay_ms ? demand_now : 0;
		demand_now = 0;
		demand_since = now;
	}
}

void ks__vmalloc_decay(void)
{
	struct vm_doomed d = { 0 };

	if (!__atomic_load_n(&nr_lazy, __ATOMIC_RELAXED))
		return;
	ks_lock(&vm_lock);
	decay_locked(ks__clock_ms(), &d);
	ks_unlock(&vm_lock);
	unmap_doomed(&d);
}

size_t ks__vmalloc_trim(void)
{
	struct vm_doomed d = { 0 };
	size_t bytes = 0;

	ks_lock(&vm_lock);
	lazy_expire_locked(UINT64_MAX, &d);
	ks_unlock(&vm_lock);
	for (unsigned i = 0; i < d.n; i++)
		bytes += d.a[i].len;
	unmap_doomed(&d);
	return bytes;
}

/* At least *LEN bytes made from a lazy area (*LEN set to what the block
 * maps), or NULL if there is none or mremap refused.  The tail of an area
 * much larger than *LEN stays lazy. */
static void *lazy_reuse(size_t *len, bool zero)
{
	struct vm_doomed d = { 0 };
	size_t want = *len;
	struct vm_lazy a;
	void *p;

	ks_lock(&vm_lock);
	decay_locked(ks__clock_ms(), &d);
	if (!lazy_get_locked(want, &a)) {
		ks_unlock(&vm_lock);
		unmap_doomed(&d);
		return NULL;
	}
	if (a.len > want + want / 4) {            /* split: the tail stays */
		lazy_put_locked(a.addr + want, a.len - want, a.stamp, &d);
		a.len = want;
	}
	ks_unlock(&vm_lock);
	unmap_doomed(&d);
	p = (void *)a.addr;
	if (a.len < want && !(p = ks__os_remap(p, a.len, want, true))) {
		ks__os_unmap((void *)a.addr, a.len);
		return NULL;
	}
	ks_vg_addressable(p, a.len > want ? a.len : want);
	if (zero)                          /* the part that was there before */
		memset(p, 0, a.len < want ? a.len : want);
	*len = a.len > want ? a.len : want;
	return p;
}

void *ks__vmalloc_alloc(size_t size, size_t align, bool zero)
{
	size_t len = ks_align_up(size, ks__os_page_size), usable = len;
	void *p = NULL;
	bool ok;

	if (size == 0 || len < size) {
		errno = ENOMEM;
		return NULL;
	}
	if (align <= ks__os_page_size && __atomic_load_n(&nr_lazy, __ATOMIC_RELAXED))
		p = lazy_reuse(&len, zero);
	if (!p && !(p = ks__os_map(len, align, false)) &&
	    !(ks__pages_space_short() && (p = ks__os_map(len, align, false))))
		return NULL;
	ks_lock(&vm_lock);
	ok = insert_locked((uintptr_t)p, len, usable);
	demand_now++;
	ks_unlock(&vm_lock);
	if (!ok) {
		ks__os_unmap(p, len);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

bool ks__vmalloc_free(void *p)
{
	struct vm_doomed d = { 0 };
	struct vm_area *a;
	uint64_t now = ks__clock_ms();
	size_t len;

	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	if (!a) {
		ks_unlock(&vm_lock);
		return false;
	}
	len = a->len;
	remove_locked(a);
	decay_locked(now, &d);
	lazy_put_locked((uintptr_t)p, len, now, &d);
	ks_unlock(&vm_lock);
	unmap_doomed(&d);
	return true;
}

size_t ks__vmalloc_usable(const void *p)
{
	struct vm_area *a;
	size_t len;

	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	len = a ? a->usable : 0;
	ks_unlock(&vm_lock);
	return len;
}

/* Headroom a growing block gets: a quarter more, at most 64 MiB. */
static size_t with_room(size_t len)
{
	size_t room = len / 4 < (64u << 20) ? len / 4 : (64u << 20);
	return ks_align_up(len + room, ks__os_page_size);
}

/* Move or grow the OLD bytes at P to *LEN (> OLD) with headroom, or
 * without if the kernel refuses it; *LEN becomes what was mapped.  NULL if
 * neither works (P intact). */
static void *remap_grow(void *p, size_t old, size_t *len)
{
	void *q = ks__os_remap(p, old, with_room(*len), true);

	if (q) {
		*len = with_room(*len);
		return q;
	}
	return ks__os_remap(p, old, *len, true);
}

void *ks__vmalloc_realloc(void *p, size_t size)
{
	size_t len = ks_align_up(size, ks__os_page_size), old, old_usable;
	struct vm_area *a;
	void *q = NULL;

	if (len < size) {
		errno = ENOMEM;
		return NULL;
	}
	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	KS_BUG_ON(!a);
	old = a->len;
	old_usable = a->usable;
	if (len <= old && len >= old / 2) {      /* fits, and not much smaller */
		a->usable = len;
		ks_unlock(&vm_lock);
		return p;
	}
	remove_locked(a);          /* off the table while it may move */
	ks_unlock(&vm_lock);
	q = len > old ? remap_grow(p, old, &len) : ks__os_remap(p, old, len, true);
	ks_lock(&vm_lock);
	if (!q) {
		insert_locked((uintptr_t)p, old, old_usable);   /* its slot was just freed */
		ks_unlock(&vm_lock);
		errno = ENOMEM;
		return NULL;
	}
	if (!insert_locked((uintptr_t)q, len, len))
		KS_BUG_ON(1);
	ks_unlock(&vm_lock);
	/* a buffer grown while it is written through: huge pages from here */
	if (len >= KS_THP_MIN && len > old && ks__opt.thp &&
	    ks__os_mostly_resident((char *)q + old / 2, KS_DENSE_PROBE))
		ks__os_hugepage(q, len);
	return q;
}

void *ks__vmalloc_adopt(void *p, size_t old_len, size_t size)
{
	size_t len = ks_align_up(size, ks__os_page_size);
	void *q = NULL;

	if (len < size || len <= old_len)
		return NULL;
	/* under the lock, so that the slot made for it is still there (one
	 * mremap of a few MiB: page tables move, no bytes) */
	ks_lock(&vm_lock);
	if ((nr_areas + 1) * 2 <= table_size || grow_table_locked()) {
		q = remap_grow(p, old_len, &len);
		if (q && !insert_locked((uintptr_t)q, len, len))
			KS_BUG_ON(1);      /* there was room */
		demand_now += q != NULL;
	}
	ks_unlock(&vm_lock);
	return q;
}

size_t ks__vmalloc_mapped(void)
{
	return __atomic_load_n(&mapped_bytes, __ATOMIC_RELAXED);
}

size_t ks__vmalloc_lazy(void)
{
	return __atomic_load_n(&lazy_bytes, __ATOMIC_RELAXED);
}

size_t ks__vmalloc_count(void)
{
	return __atomic_load_n(&nr_areas, __ATOMIC_RELAXED);
}

void ks__vmalloc_leaks(void)
{
	ks_lock(&vm_lock);
	for (size_t i = 0; i < table_size; i++)
		if (table[i].addr)
			ks__debug_leak_note_block(table[i].caller, table[i].usable);
	ks_unlock(&vm_lock);
}

int ks__vmalloc_check(void)
{
	int broken = 0;
	size_t n = 0, bytes = 0;

	ks_lock(&vm_lock);
	for (size_t i = 0; i < table_size; i++) {
		if (!table[i].addr)
			continue;
		n++;
		bytes += table[i].len;
		if (lookup_locked(table[i].addr) != &table[i] ||
		    table[i].addr & (ks__os_page_size - 1))
			broken++;
	}
	if (n != nr_areas || bytes != mapped_bytes)
		broken++;
	bytes = 0;
	for (unsigned i = 0; i < nr_lazy; i++) {   /* lazy areas: not live too */
		bytes += lazy[i].len;
		if (lookup_locked(lazy[i].addr) || lazy[i].addr & (ks__os_page_size - 1))
			broken++;
	}
	if (bytes != lazy_bytes || nr_lazy > KS_VM_LAZY_SLOTS)
		broken++;
	ks_unlock(&vm_lock);
	return broken;
}

void ks__vmalloc_lock(void)
{
	ks_lock(&vm_lock);
}

void ks__vmalloc_unlock(bool child)
{
	ks_lock_after_fork(&vm_lock, child);
}
