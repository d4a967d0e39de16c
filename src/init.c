// SPDX-License-Identifier: BSD-2-Clause
/*
 * init.c - boot, thread attach and detach, fork.
 *
 * Boot (the kernel's mm_init with bootmem) comes in two steps.  The core
 * step reads the OS page size and KSLAB_OPTIONS, sets up the zones, the
 * magazine caches and the 68 kmalloc caches (KS_NR_CLASSES); it calls nothing that can
 * allocate (secure_getenv does not), so the first malloc of the process, which may
 * come from the dynamic loader or libc's own start-up, can run it.  The
 * static storage of the caches and zones is the bootmem: nothing is
 * allocated for them.  The second step runs once the core is up and may
 * recurse into malloc: it creates the pthread key whose destructor gives
 * an exiting thread's magazines back, and registers the fork handlers.
 *
 * Fork.  The prepare handler takes every allocator lock in the lock order
 * of internal.h (boot, threads, caches, depots, node metadata, the slab
 * cache list, slab nodes, vmalloc, zones: the order every other path takes
 * them in, so no path can hold one the handler still waits for); the
 * parent releases them; the child re-initialises them, and the magazines
 * of the threads that did not survive the fork go back to the depots, so
 * the child can allocate at once and loses nothing.  No other lock exists:
 * what is set up once (the internal caches, the cache of ks_cache) is set
 * up at boot, so that no first-use lock can be caught held.
 *
 * Exit.  Under KSLAB_OPTIONS=stats a destructor prints the statistics and
 * a slabinfo table to stderr.
 */
#include "init.h"
#include "os.h"
#include "buddy.h"
#include "page_alloc.h"
#include "slab.h"
#include "magazine.h"
#include "thread.h"
#include "kmalloc.h"
#include "vmalloc.h"
#include "options.h"
#include "stats.h"
#include "live.h"
#include "debug.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int ks__boot_state;
static ks_lock_t boot_lock = KS_LOCK_INIT(KS_LR_BOOT);
static int late_done;

static void fork_prepare(void)
{
	ks_lock(&boot_lock);
	ks__mag_lock_all();
	ks__meta_lock_all();
	ks_lock(&ks__slab_caches_lock);
	ks__slab_lock_all();
	ks__vmalloc_lock();
	ks__buddy_lock_all();
	ks__slab_quarantine_lock();
}

static void fork_release(bool child)
{
	ks__slab_quarantine_unlock(child);
	ks__buddy_unlock_all(child);
	ks__vmalloc_unlock(child);
	ks__slab_unlock_all(child);
	ks_lock_after_fork(&ks__slab_caches_lock, child);
	ks__meta_unlock_all(child);
	ks__mag_unlock_all(child);
	ks_lock_after_fork(&boot_lock, child);
}

static void fork_parent(void) { fork_release(false); }
static void fork_child(void)
{
	fork_release(true);
	ks__debug_fork_child();
	ks__pages_fork_child();
	ks__live_fork_child();
}

static void boot_core(void)
{
	ks__os_init();
	ks__options_parse(secure_getenv("KSLAB_OPTIONS"));
	ks__debug_init();
	ks__buddy_init();
	ks__slab_init_nodes(ks__opt.nodes ? (unsigned)ks__opt.nodes : ks__os_nr_cpus());
	ks__mag_init();
	ks__kmalloc_init();
}

/* What may allocate: runs after the core is up, once. */
static void boot_late(void)
{
	pthread_key_t key;

	if (__atomic_exchange_n(&late_done, 1, __ATOMIC_ACQ_REL))
		return;
	if (pthread_key_create(&key, ks__mag_thread_exit) == 0)
		ks__thread_set_key(key);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	ks__live_init();
	__atomic_store_n(&ks__boot_state, 3, __ATOMIC_RELEASE);
}

void ks__boot_slow(void)
{
	ks_lock(&boot_lock);
	if (ks__boot_state < 2) {
		boot_core();
		__atomic_store_n(&ks__boot_state, 2, __ATOMIC_RELEASE);
	}
	ks_unlock(&boot_lock);
	boot_late();
}

__attribute__((constructor)) static void ks_constructor(void)
{
	ks_boot();
	boot_late();
}

/* Where the exit report goes: stats_file with %p made the pid, opened
 * afresh (O_TRUNC), or stderr if there is none or it cannot be opened. */
static int report_fd(void)
{
	char path[KS_STATS_FILE_MAX + 16];
	size_t n = 0;
	int fd;

	if (!ks__opt.stats_file[0])
		return 2;
	for (const char *s = ks__opt.stats_file; *s && n + 12 < sizeof(path); s++) {
		if (s[0] == '%' && s[1] == 'p') {
			n += (size_t)ks__snprintf(path + n, sizeof(path) - n, "%d", (int)getpid());
			s++;
		} else {
			path[n++] = *s;
		}
	}
	path[n] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ks__dprintf(2, "kslab: stats_file %s: cannot open it (errno %d); "
			    "the report goes to stderr\n", path, errno);
		return 2;
	}
	return fd;
}

__attribute__((destructor)) static void ks_destructor(void)
{
	int fd;

	if (ks__boot_state < 2)
		return;
	ks__live_exit();
	if (!ks__opt.stats && !ks__opt.leaks)
		return;
	fd = report_fd();
	if (ks__opt.stats == KS_STATS_JSON)
		ks__stats_json(fd);
	else if (ks__opt.stats)
		ks__stats_print(fd, true);
	if (ks__opt.leaks) {
		ks__slab_leaks();
		ks__kmalloc_leaks();
		ks__debug_leak_print(fd);
	}
	if (fd != 2)
		close(fd);
}
