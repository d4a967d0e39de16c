// SPDX-License-Identifier: BSD-2-Clause
/*
 * kslab-cmd.c - the kslab command: run a program on kslab, and look inside
 * a running kslab process from outside.
 *
 *   kslab run [--stats[=json]] [--options=S] PROG [ARGS...]
 *   kslab info PID         the caches, once, in /proc/slabinfo's format
 *   kslab top [-d SECS] [-n COUNT] [-s KEY] PID
 *                          the caches, refreshed, biggest first (slabtop)
 *   kslab --version | help
 *
 * `run` puts the library in front of LD_PRELOAD (KSLAB_LIB, else the one
 * installed beside this command: under the same root as this command, if
 * the tree was staged with DESTDIR or moved, else in the configured
 * libdir) and KSLAB_OPTIONS in the environment, and executes the
 * program, as jemalloc ships jemalloc.sh.
 *
 * `info` and `top` read the page a kslab process publishes (live.c): they
 * find the link to "/memfd:kslab-live" among /proc/PID/fd, open it through
 * /proc, map it, ask for a fresh snapshot (the process writes one at its
 * next malloc tick) and copy the page under its sequence count.  They
 * need the access to the process that reading its memory maps needs: the
 * same user, or root.  This program is not part of the allocator: it uses
 * stdio and malloc freely.
 */
#include "config.h"
#include "live.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef KSLAB_LIBDIR
#define KSLAB_LIBDIR "/usr/local/lib"
#endif
#ifndef KSLAB_BINDIR
#define KSLAB_BINDIR "/usr/local/bin"
#endif

/* The library installed with this command: if this command is ROOT +
 * KSLAB_BINDIR + "/kslab" (a tree staged with DESTDIR, or moved) and
 * ROOT + KSLAB_LIBDIR holds the library, that one; else KSLAB_LIBDIR's. */
static void installed_lib(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t tail = strlen(KSLAB_BINDIR "/kslab");

	if (n > 0 && (size_t)n > tail) {
		self[n] = '\0';
		if (!strcmp(self + n - tail, KSLAB_BINDIR "/kslab")) {
			self[n - tail] = '\0';
			snprintf(out, len, "%s%s/libkslab.so", self, KSLAB_LIBDIR);
			if (access(out, R_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "%s/libkslab.so", KSLAB_LIBDIR);
}

static const char usage_text[] =
	"usage: kslab run [--stats[=json]] [--options=S] PROG [ARGS...]\n"
	"       kslab info PID\n"
	"       kslab top [-d SECS] [-n COUNT] [-s KEY] PID\n"
	"       kslab --version | help\n"
	"\n"
	"  run    run PROG with libkslab preloaded (KSLAB_LIB, else " KSLAB_LIBDIR
	"/libkslab.so);\n"
	"         --stats prints kslab's report at exit, --options adds KSLAB_OPTIONS\n"
	"  info   a running kslab process's caches, once, as /proc/slabinfo shows them,\n"
	"         with its totals and buddyinfo\n"
	"  top    the same, refreshed every SECS seconds (default 2), COUNT times\n"
	"         (default: until interrupted), sorted by KEY: c cache size (default),\n"
	"         a active objects, o objects, s object size, n name\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- run ------------------------------------------------------------------ */

static int cmd_run(int argc, char **argv)
{
	const char *lib = getenv("KSLAB_LIB"), *stats = NULL, *opts = NULL;
	char libpath[PATH_MAX], env[8192];
	int i = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--stats"))
			stats = "stats";
		else if (!strcmp(argv[i], "--stats=json"))
			stats = "stats=json";
		else if (!strncmp(argv[i], "--options=", 10))
			opts = argv[i] + 10;
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "kslab run: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!lib) {
		installed_lib(libpath, sizeof(libpath));
		lib = libpath;
	}
	if (access(lib, R_OK) != 0) {
		fprintf(stderr, "kslab run: %s: %s (set KSLAB_LIB to the library)\n", lib,
			strerror(errno));
		return 127;
	}
	const char *pre = getenv("LD_PRELOAD");
	snprintf(env, sizeof(env), "%s%s%s", lib, pre && *pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", env, 1);
	if (stats || opts) {
		const char *old = getenv("KSLAB_OPTIONS");
		snprintf(env, sizeof(env), "%s%s%s%s%s", old ? old : "",
			 old && *old ? "," : "", stats ? stats : "",
			 stats && opts ? "," : "", opts ? opts : "");
		setenv("KSLAB_OPTIONS", env, 1);
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "kslab run: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---- reading a process's page ---------------------------------------------- */

struct live {
	struct ks_live_header *page;   /* the shared page, read-only or not */
	struct ks_live_header *copy;   /* the last whole snapshot */
	bool writable;
};

/* Map PID's page; false with a message if it has none or we may not. */
static bool live_open(pid_t pid, struct live *lv)
{
	char dir[64], path[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	int fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "kslab: process %d: %s\n", (int)pid, strerror(errno));
		return false;
	}
	while ((e = readdir(d)) && fd < 0) {
		ssize_t n;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:" KS_LIVE_NAME, strlen("/memfd:" KS_LIVE_NAME)))
			continue;
		lv->writable = true;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			lv->writable = false;
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	closedir(d);
	if (fd < 0) {
		fprintf(stderr, "kslab: process %d shows no kslab live page (not running on "
			"kslab, started with KSLAB_OPTIONS=live=0, or it closed the "
			"descriptor)\n", (int)pid);
		return false;
	}
	lv->page = mmap(NULL, KS_LIVE_SIZE, PROT_READ | (lv->writable ? PROT_WRITE : 0),
			MAP_SHARED, fd, 0);
	close(fd);
	lv->copy = malloc(KS_LIVE_SIZE);
	if (lv->page == MAP_FAILED || !lv->copy) {
		fprintf(stderr, "kslab: cannot map the live page of %d\n", (int)pid);
		return false;
	}
	if (lv->page->magic != KS_LIVE_MAGIC || lv->page->version != KS_LIVE_VERSION ||
	    lv->page->row_size != sizeof(struct ks_live_row)) {
		fprintf(stderr, "kslab: process %d runs another kslab version (page "
			"version %u)\n", (int)pid, lv->page->version);
		return false;
	}
	return true;
}

/* Ask for a fresh snapshot and wait up to WAIT_MS for it (a process that
 * does not allocate writes none); then copy the page whole. */
static bool live_read(struct live *lv, unsigned wait_ms)
{
	uint64_t before = __atomic_load_n(&lv->page->updates, __ATOMIC_ACQUIRE);
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	if (lv->writable)
		__atomic_store_n(&lv->page->want, 1, __ATOMIC_RELAXED);
	for (unsigned t = 0; t < wait_ms / 10 &&
	     __atomic_load_n(&lv->page->updates, __ATOMIC_ACQUIRE) == before; t++)
		nanosleep(&nap, NULL);
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t s1 = __atomic_load_n(&lv->page->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			nanosleep(&nap, NULL);
			continue;
		}
		memcpy(lv->copy, lv->page, KS_LIVE_SIZE);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&lv->page->seq, __ATOMIC_RELAXED) != s1)
			continue;
		if (lv->copy->updates == 0) {
			fprintf(stderr, "kslab: process %d has published no snapshot yet (it "
				"writes one at its first malloc tick after start-up, and "
				"when asked, while it allocates)\n", (int)lv->copy->pid);
			return false;
		}
		return lv->copy->nr_rows <= lv->copy->max_rows;
	}
	fprintf(stderr, "kslab: the page kept changing under the reader\n");
	return false;
}

/* ---- info and top ----------------------------------------------------------- */

static void print_totals(const struct ks_live_header *h)
{
	uint64_t age = now_ms() - h->updated_ms;

	printf("kslab %s, pid %d, snapshot %llu.%llu s old; options %s\n", h->version_str,
	       (int)h->pid, (unsigned long long)(age / 1000),
	       (unsigned long long)(age % 1000 / 100), h->options);
	printf("mapped %.1f MiB (at most %.1f), resident %.1f MiB, slabs %.1f MiB "
	       "(%.1f in objects), large blocks %.1f MiB in %llu, buddy free %.1f MiB\n",
	       h->mapped / 1048576.0, h->mapped_peak / 1048576.0, h->resident / 1048576.0,
	       h->slab_bytes / 1048576.0, h->slab_active / 1048576.0,
	       h->large_bytes / 1048576.0, (unsigned long long)h->large_count,
	       h->buddy_free / 1048576.0);
	printf("caches %llu, threads %llu, nodes %llu; mmap %llu, munmap %llu, mremap %llu, "
	       "madvise %llu; minor faults %llu\n", (unsigned long long)h->nr_caches,
	       (unsigned long long)h->nr_threads, (unsigned long long)h->nr_nodes,
	       (unsigned long long)h->mmap, (unsigned long long)h->munmap,
	       (unsigned long long)h->mremap, (unsigned long long)h->madvise,
	       (unsigned long long)h->minor_faults);
}

static int cmd_info(pid_t pid)
{
	struct live lv = { 0 };

	if (!live_open(pid, &lv) || !live_read(&lv, 1500))
		return 1;
	const struct ks_live_header *h = lv.copy;
	print_totals(h);
	printf("slabinfo - version: 2.1\n");
	printf("# name                   <active_objs> <num_objs> <objsize> <objperslab> "
	       "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
	       "<active_slabs> <num_slabs> <depot_magazines> : kslab <in_use> <cached> "
	       "<peak>\n");
	for (uint32_t i = 0; i < h->nr_rows; i++) {
		const struct ks_live_row *r = &ks_live_rows(lv.copy)[i];
		printf("%-24s %8llu %8llu %6llu %4llu %4llu : tunables %4u %4u %4u : slabdata "
		       "%6llu %6llu %6llu : kslab %8llu %8llu %8llu\n", r->name,
		       (unsigned long long)r->active, (unsigned long long)r->total,
		       (unsigned long long)r->object_size, (unsigned long long)r->objs_per_slab,
		       (unsigned long long)r->pages_per_slab, 0u, 0u, 0u,
		       (unsigned long long)r->active_slabs, (unsigned long long)r->slabs,
		       (unsigned long long)r->depot_magazines, (unsigned long long)r->in_use,
		       (unsigned long long)r->cached, (unsigned long long)r->peak);
	}
	for (unsigned z = 0; z < KS_LIVE_ZONES; z++) {
		printf("buddyinfo zone %-7s", h->zone_name[z]);
		for (unsigned o = 0; o < KS_LIVE_ORDERS; o++)
			printf(" %6llu", (unsigned long long)h->buddyinfo[z][o]);
		printf("\n");
	}
	return 0;
}

static char sort_key = 'c';

static uint64_t row_bytes(const struct ks_live_row *r)
{
	return r->slabs * r->pages_per_slab * 4096;
}

static int by_key(const void *a, const void *b)
{
	const struct ks_live_row *x = a, *y = b;
	uint64_t u, v;

	switch (sort_key) {
	case 'n': return strcmp(x->name, y->name);
	case 'a': u = x->active; v = y->active; break;
	case 'o': u = x->total; v = y->total; break;
	case 's': u = x->object_size; v = y->object_size; break;
	default: u = row_bytes(x); v = row_bytes(y); break;
	}
	return u < v ? 1 : u > v ? -1 : strcmp(x->name, y->name);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int cmd_top(int argc, char **argv)
{
	double delay = 2;
	long count = -1;
	struct live lv = { 0 };
	int c;

	while ((c = getopt(argc, argv, "d:n:s:")) != -1) {
		switch (c) {
		case 'd': delay = atof(optarg); break;
		case 'n': count = atol(optarg); break;
		case 's': sort_key = optarg[0]; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || delay <= 0 || !strchr("canos", sort_key)) {
		usage(stderr);
		return 2;
	}
	if (!live_open((pid_t)atoi(argv[optind]), &lv))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	bool tty = isatty(1);
	for (long n = 0; !stop && (count < 0 || n < count); n++) {
		if (n) {
			struct timespec ts = { (time_t)delay, (long)((delay - (time_t)delay) * 1e9) };
			nanosleep(&ts, NULL);
		}
		if (kill(lv.page->pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "kslab top: process %d has exited\n", (int)lv.page->pid);
			return 0;
		}
		if (!live_read(&lv, 1000))
			return 1;
		struct ks_live_header *h = lv.copy;
		qsort(ks_live_rows(h), h->nr_rows, sizeof(struct ks_live_row), by_key);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		print_totals(h);
		printf("\n%9s %9s %4s %8s %7s %9s %9s %9s %10s %s\n", "OBJS", "ACTIVE", "USE",
		       "OBJ SIZE", "SLABS", "OBJ/SLAB", "IN USE", "CACHED", "CACHE SIZE", "NAME");
		for (uint32_t i = 0; i < h->nr_rows; i++) {
			const struct ks_live_row *r = &ks_live_rows(h)[i];
			if (!r->slabs)
				continue;
			printf("%9llu %9llu %3llu%% %7.2fK %7llu %9llu %9llu %9llu %9lluK %s\n",
			       (unsigned long long)r->total, (unsigned long long)r->active,
			       (unsigned long long)(r->total ? r->active * 100 / r->total : 0),
			       r->object_size / 1024.0, (unsigned long long)r->slabs,
			       (unsigned long long)r->objs_per_slab,
			       (unsigned long long)r->in_use, (unsigned long long)r->cached,
			       (unsigned long long)(row_bytes(r) / 1024), r->name);
		}
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kslab %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "info") && argc == 3)
		return cmd_info((pid_t)atoi(argv[2]));
	if (!strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
