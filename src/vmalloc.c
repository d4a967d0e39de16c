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
#include <errno.h>
#include <string.h>

struct vm_area {
	uintptr_t addr;            /* 0: empty slot */
	size_t len;                /* mapped bytes, OS-page rounded */
};

static ks_lock_t vm_lock = KS_LOCK_INIT;
static struct vm_area *table;
static size_t table_size;          /* slots, a power of two */
static size_t nr_areas, mapped_bytes;

static size_t slot_of(uintptr_t addr, size_t mask)
{
	return (size_t)((addr >> 12) * 0x9E3779B97F4A7C15ull >> 20) & mask;
}

static struct vm_area *lookup_locked(uintptr_t addr)
{
	size_t mask = table_size - 1;
	if (!table)
		return NULL;
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
	size_t size = table_size ? table_size * 2 : 512;
	struct vm_area *t = ks__os_map(size * sizeof(*t), 0, false);

	if (!t)
		return false;
	for (size_t i = 0; i < table_size; i++)
		if (table[i].addr)
			place(t, size, table[i]);
	if (table)
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

void *ks__vmalloc_realloc(void *p, size_t size)
{
	size_t len = ks_align_up(size, ks_os_page_size), old;
	struct vm_area *a;
	void *q;

	if (len < size) {
		errno = ENOMEM;
		return NULL;
	}
	ks_lock(&vm_lock);
	a = lookup_locked((uintptr_t)p);
	KS_BUG_ON(!a);
	old = a->len;
	remove_locked(a);          /* off the table while it may move */
	ks_unlock(&vm_lock);
	q = len == old ? p : ks__os_remap(p, old, len, true);
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
