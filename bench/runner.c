// SPDX-License-Identifier: BSD-2-Clause
/*
 * runner - run one benchmark case and say how it went, for bench/compare.sh.
 *
 *   runner [-p preload.so] [-t timeout_s] [-o stdout_file] -- cmd [args...]
 *
 * Forks, puts the child in its own process group, sets LD_PRELOAD in the
 * child only (so the runner itself keeps libc's malloc), execs CMD, and
 * waits for it with wait4(), which gives the child's peak RSS (ru_maxrss:
 * the largest of the process and its waited-for descendants, as GNU time
 * reports it).  On timeout it kills the whole process group.  The child's
 * stdout goes to the file given with -o (stderr stays stderr).  Prints one
 * line on stdout:
 *
 *   status=ok|exit|signal|timeout code=N wall=SECONDS maxrss_kb=KB cpu=SECONDS minflt=N
 *
 * cpu is user + system time and minflt the minor page faults, both of the
 * child and its waited-for descendants (a script's programs).
 * and exits 0 when the case ran to exit status 0, 1 otherwise.  A version
 * of /usr/bin/time -f that also enforces a timeout and cleans up servers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (child > 0) {
		kill(-child, SIGTERM);
		kill(-child, SIGKILL);
	}
}

static void on_term(int sig)
{
	if (child > 0)
		kill(-child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	const char *preload = NULL, *out = NULL;
	unsigned timeout = 300;
	int opt;
	while ((opt = getopt(argc, argv, "+p:t:o:")) != -1) {
		switch (opt) {
		case 'p': preload = optarg; break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: runner [-p preload.so] [-t timeout_s] [-o stdout_file] -- cmd [args...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "runner: no command\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		perror("runner: fork");
		return 2;
	}
	if (child == 0) {
		setpgid(0, 0);
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0) {
				perror("runner: stdout file");
				_exit(127);
			}
		}
		if (preload && *preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "runner: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	setpgid(child, child);
	signal(SIGALRM, on_alarm);
	signal(SIGINT, on_term);
	signal(SIGTERM, on_term);
	signal(SIGHUP, on_term);
	alarm(timeout);

	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(child, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("runner: wait4");
			return 2;
		}
	}
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Whatever the case left behind in its group (a server) goes too. */
	kill(-child, SIGKILL);

	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	const char *st;
	int code;
	if (timed_out) {
		st = "timeout";
		code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		st = "signal";
		code = WTERMSIG(status);
	} else {
		code = WEXITSTATUS(status);
		st = code ? "exit" : "ok";
	}
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
	printf("status=%s code=%d wall=%.4f maxrss_kb=%ld cpu=%.4f minflt=%ld\n", st, code, wall,
	       ru.ru_maxrss, cpu, ru.ru_minflt);
	return strcmp(st, "ok") ? 1 : 0;
}
