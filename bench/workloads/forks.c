// SPDX-License-Identifier: BSD-2-Clause
/*
 * forks - a process that forks a child per task, as a shell runs the
 * commands of a script, make runs its recipes' shells, or a pre-fork
 * server starts its workers.
 *
 * The parent first builds a heap of H live blocks of random sizes (so the
 * allocator's caches, locks and per-thread state are all in use, as in a
 * real program), then forks N children one after the other and waits for
 * each.  A child checks a few of the inherited blocks, allocates and frees
 * K blocks of its own, and exits (or, with -e PATH, execs PATH, which must
 * exit 0).  Every fork copies the parent's page tables and every page the
 * allocator's fork handlers write afterwards is copied again, in the
 * parent and in the child: the cost is page faults and system time.
 * Between forks the parent replaces a few blocks, as a program does between
 * the commands it runs.  A child that exits non-zero fails the run.
 *
 * usage: forks [-n forks] [-H heap blocks] [-k child blocks] [-e path]
 */
#include "wl.h"
#include <sys/wait.h>

static size_t heap_n = 2000, child_n = 100;

static int child(void **blk, size_t *size, uint64_t *id, unsigned round)
{
	wl_rng r;
	void *mine[256];

	wl_rng_seed(&r, round);
	for (int i = 0; i < 8; i++) {
		size_t j = wl_range(&r, 0, heap_n - 1);
		if (!wl_tag_ok(blk[j], size[j], id[j]))
			return 2;
	}
	for (size_t i = 0; i < child_n; i++) {
		size_t s = wl_range(&r, 16, 512);
		void **p = &mine[i % 256];
		if (i >= 256)
			free(*p);
		if (!(*p = malloc(s)))
			return 3;
		memset(*p, 0x5a, s);
	}
	for (size_t i = 0; i < (child_n < 256 ? child_n : 256); i++)
		free(mine[i]);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned forks = 1000;
	const char *exe = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:H:k:e:")) != -1) {
		switch (opt) {
		case 'n': forks = (unsigned)wl_num(optarg); break;
		case 'H': heap_n = wl_num(optarg); break;
		case 'k': child_n = wl_num(optarg); break;
		case 'e': exe = optarg; break;
		default:
			wl_usage("forks [-n forks] [-H heap blocks] [-k child blocks] [-e path]");
		}
	}
	if (heap_n < 1)
		wl_usage("forks: the heap needs at least one block");
	void **blk = wl_xcalloc(heap_n, sizeof *blk);
	size_t *size = wl_xcalloc(heap_n, sizeof *size);
	uint64_t *id = wl_xcalloc(heap_n, sizeof *id);
	wl_rng r;
	uint64_t next_id = 1;

	wl_rng_seed(&r, 42);
	for (size_t i = 0; i < heap_n; i++) {
		size[i] = wl_skewed(&r, 16, 8192);
		blk[i] = wl_xmalloc(size[i]);
		id[i] = next_id++;
		wl_tag(blk[i], size[i], id[i]);
	}
	double t0 = wl_now();
	for (unsigned f = 0; f < forks; f++) {
		for (int i = 0; i < 16; i++) {           /* the parent's own work */
			size_t j = wl_range(&r, 0, heap_n - 1);
			wl_check_tag(blk[j], size[j], id[j], "forks parent");
			free(blk[j]);
			size[j] = wl_skewed(&r, 16, 8192);
			blk[j] = wl_xmalloc(size[j]);
			id[j] = next_id++;
			wl_tag(blk[j], size[j], id[j]);
		}
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			wl_fail("fork failed");
		if (pid == 0) {
			int rc = child(blk, size, id, f);
			if (rc == 0 && exe) {
				execl(exe, exe, (char *)NULL);
				rc = 4;
			}
			_exit(rc);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				wl_fail("waitpid failed");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "forks: child %u ended with status %#x\n", f, status);
			return 1;
		}
	}
	double dt = wl_now() - t0;
	for (size_t i = 0; i < heap_n; i++) {
		wl_check_tag(blk[i], size[i], id[i], "forks final");
		free(blk[i]);
	}
	free(blk);
	free(size);
	free(id);
	printf("forks: %u forks, %zu heap blocks: %.3f s\n", forks, heap_n, dt);
	wl_metric("forks.kforks", forks / dt / 1e3, "kforks/s");
	return 0;
}
