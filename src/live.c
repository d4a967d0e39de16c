// SPDX-License-Identifier: BSD-2-Clause
/*
 * live.c - the live view: a page any process of the same user can read to
 * see this process's caches as they are now (`kslab info PID`, `kslab top
 * PID`), as /proc/slabinfo shows the kernel's.
 *
 * The page is a memory file (memfd_create, named "kslab-live"), mapped
 * shared, made by the first malloc tick after the process has lived a
 * second: a short process (a shell utility, a test's child that lists its
 * own descriptors) never has one, and pays nothing.  Nothing stays behind in /dev/shm or anywhere
 * else: the file lives as long as the process holds its descriptor, and
 * another process finds it as a link to "/memfd:kslab-live" among
 * /proc/PID/fd and opens it through that link (which needs the same access
 * to the process as reading its memory maps: the same user).  The
 * descriptor is close-on-exec and numbered from 100 up, away from the low
 * numbers programs dup2 onto; a program that closes every descriptor it
 * does not know simply has no live view.
 *
 * The page holds a snapshot, not the counters themselves: the counters
 * stay where they are (each under the lock of what it counts), and the
 * decay pass of the malloc tick (every quarter of decay_ms, only while the
 * program allocates) writes a fresh snapshot when the last is a second
 * old, or at once when a reader has set `want` in the page.  A snapshot
 * reads each cache under its own locks, as ks_slabinfo does: about 20 us
 * for the 70-odd caches of a small program, once a second.  The writer
 * takes the page with an atomic flag, so two threads never write it at
 * once, and brackets the write with a sequence count (odd while
 * writing), so a reader keeps only a copy it saw whole.  A process that
 * stops allocating keeps its last snapshot, and the reader shows its age.
 *
 * Making the page costs five system calls (memfd_create, fcntl, close,
 * ftruncate, mmap), and its memory is touched only when written (a few
 * OS pages for the rows of a small program).
 *
 * A forked child must not write its parent's page: it unmaps it, closes
 * the descriptor it inherited, and makes its own a second later.
 * KSLAB_OPTIONS=live=0 makes none.
 */
#include "internal.h"
#include "live.h"
#include "options.h"
#include "os.h"
#include "stats.h"
#include <unistd.h>

static struct ks_live_header *page;
static int page_fd = -1;
static int writing;
static uint64_t born_ms;        /* when this process (or fork child) began */
static int making;              /* one thread makes the page */

static void live_write(void)
{
	struct ks_live_header *h = page;

	if (!h || __atomic_exchange_n(&writing, 1, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELAXED);      /* odd */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ks__stats_live(h);
	h->updated_ms = ks__clock_ms();
	h->updates++;
	__atomic_store_n(&h->want, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELEASE);      /* even */
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
}

void ks__live_init(void)
{
	born_ms = ks__clock_ms();
}

/* The page, made now (by one thread; the others go on without it). */
static void live_make(void)
{
	struct ks_live_header *h;
	int fd;

	if (__atomic_exchange_n(&making, 1, __ATOMIC_ACQUIRE))
		return;
	h = ks__os_map_memfd(KS_LIVE_NAME, KS_LIVE_SIZE, &fd);
	if (h) {
		h->magic = KS_LIVE_MAGIC;
		h->version = KS_LIVE_VERSION;
		h->row_size = sizeof(struct ks_live_row);
		h->max_rows = (uint32_t)KS_LIVE_MAX_ROWS;
		h->pid = (int32_t)getpid();
		page_fd = fd;
		__atomic_store_n(&page, h, __ATOMIC_RELEASE);
	} else {
		ks__opt.live = false;   /* no memfd here: do not try again */
	}
}

void ks__live_tick(void)
{
	struct ks_live_header *h = __atomic_load_n(&page, __ATOMIC_ACQUIRE);

	if (!h) {
		if (ks__opt.live && ks__clock_ms() - born_ms >= 1000)
			live_make();
		if (!(h = __atomic_load_n(&page, __ATOMIC_ACQUIRE)))
			return;
	}
	if (__atomic_load_n(&h->want, __ATOMIC_RELAXED) ||
	    ks__clock_ms() - h->updated_ms >= 1000)
		live_write();
}

void ks__live_exit(void)
{
	live_write();
}

void ks__live_fork_child(void)
{
	if (page)
		ks__os_unmap_memfd(page, KS_LIVE_SIZE, page_fd);
	page = NULL;
	page_fd = -1;
	writing = 0;
	making = 0;
	ks__live_init();
}
