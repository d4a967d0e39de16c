/*
 * vmalloc.c - large blocks with a mapping of their own: the kernel's
 * vmalloc and its vmap_area tree, in user space.
 *
 * A malloc block above KS_PAGE_PATH_MAX (4 MiB), or any ks_vmalloc block,
 * is an mmap of its own, rounded to whole OS pages, so freeing it gives
 * every byte back to the OS at once and growing it is mremap: the kernel
 * moves page table entries, not bytes, so growing a buffer to 1 GiB by
 * doubling copies nothing.  Alignments above the OS page are had by
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
 * Blocks of 32 MiB and more ask for transparent huge pages (where the
 * system leaves THP to madvise, as Debian does): a buffer that big is
 * almost always written through, and faulting it in 2 MiB at a time is
 * what makes growing one to 1 GiB cost a third of glibc's time.
 * KSLAB_OPTIONS=thp=0 turns it off.
 *
 * The blocks are found in O(1) through an open-addressing hash table keyed
 * by the block's address (linear probing, backward-shift deletion, load
 * kept at or under one half), itself mapped with os.c and grown by
 * rehashing.  No header sits in front of a block: free, realloc and
 * malloc_usable_size look the pointer up, and a pointer that is neither in
 * a section nor in this table is an invalid free.
 *
 * Locking: vm_lock guards the table and counters; mmap/munmap/mremap run
 * outside it except the table's own growth.
 */
#include "vmalloc.h"
#include "os.h"
#include "options.h"
#include <errno.h>
#include <string.h>

#define KS_THP_MIN (32ul << 20)   /* blocks this large ask for huge pages */

struct vm_area {
	uintptr_t addr;            /* 0: empty slot */
	size_t len;                /* mapped bytes, OS-page rounded */
};

#define BOOT_SLOTS 1024
static ks_lock_t vm_lock = KS_LOCK_INIT;
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

static bool insert_locked(uintptr_t addr, size_t len)
{
	if ((nr_areas + 1) * 2 > table_size && !grow_table_locked())
		return false;
	place(table, table_size, (struct vm_area){ addr, len });
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
	table[i].addr = 0;
	table[i].len = 0;
}

void *ks__vmalloc_alloc(size_t size, size_t align)
{
	size_t len = ks_align_up(size, ks_os_page_size);
	void *p;
	bool ok;

	if (size == 0 || len < size) {
		errno = ENOMEM;
		return NULL;
	}
	p = ks__os_map(len, align, false);
	if (!p)
		return NULL;
	ks_lock(&vm_lock);
	ok = insert_locked((uintptr_t)p, len);
	ks_unlock(&vm_lock);
	if (!ok) {
		ks__os_unmap(p, len);
		errno = ENOMEM;
		return NULL;
	}
	if (len >= KS_THP_MIN && ks_opt.thp)
		ks__os_hugepage(p, len);
	return p;
}

bool ks__vmalloc_free(void *p)
{
	struct vm_area *a;
	size_t len;

	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	if (!a) {
		ks_unlock(&vm_lock);
		return false;
	}
	len = a->len;
	remove_locked(a);
	ks_unlock(&vm_lock);
	ks__os_unmap(p, len);
	return true;
}

size_t ks__vmalloc_usable(const void *p)
{
	struct vm_area *a;
	size_t len;

	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	len = a ? a->len : 0;
	ks_unlock(&vm_lock);
	return len;
}

/* Headroom a growing block gets: a quarter more, at most 64 MiB. */
static size_t with_room(size_t len)
{
	size_t room = len / 4 < (64u << 20) ? len / 4 : (64u << 20);
	return ks_align_up(len + room, ks_os_page_size);
}

void *ks__vmalloc_realloc(void *p, size_t size)
{
	size_t len = ks_align_up(size, ks_os_page_size), old;
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
	if (len <= old && len >= old / 2) {      /* fits, and not much smaller */
		ks_unlock(&vm_lock);
		return p;
	}
	remove_locked(a);          /* off the table while it may move */
	ks_unlock(&vm_lock);
	if (len > old && (q = ks__os_remap(p, old, with_room(len), true)) != NULL)
		len = with_room(len);
	if (!q)
		q = ks__os_remap(p, old, len, true);
	ks_lock(&vm_lock);
	if (!q) {
		insert_locked((uintptr_t)p, old);   /* the slot was just freed */
		ks_unlock(&vm_lock);
		errno = ENOMEM;
		return NULL;
	}
	if (!insert_locked((uintptr_t)q, len))
		KS_BUG_ON(1);
	ks_unlock(&vm_lock);
	if (len >= KS_THP_MIN && ks_opt.thp)
		ks__os_hugepage(q, len);
	return q;
}

size_t ks__vmalloc_mapped(void)
{
	return __atomic_load_n(&mapped_bytes, __ATOMIC_RELAXED);
}

size_t ks__vmalloc_count(void)
{
	return __atomic_load_n(&nr_areas, __ATOMIC_RELAXED);
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
		    table[i].addr & (ks_os_page_size - 1))
			broken++;
	}
	if (n != nr_areas || bytes != mapped_bytes)
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
	if (child)
		ks_lock_reinit(&vm_lock);
	else
		ks_unlock(&vm_lock);
}
