/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h - the whole test harness of kslab, in one header.
 *
 * Exit codes follow automake's test protocol: 0 pass, 77 skip, 99 hard
 * error (the test could not run: fork failed, a file could not be opened),
 * anything else (1) a failure.
 *
 *   CHECK(cond)            count a failure and print file:line and the
 *                          expression if COND is false; go on
 *   CHECK_EQ(a, b)         the same for a == b, printing both values
 *                          (integers, as signed and hex)
 *   CHECK_PTR_ALIGNED(p,a) P is a multiple of A
 *   REQUIRE(cond)          CHECK, and end the case at once if it failed
 *   SKIP(fmt, ...)         end the case as skipped (77)
 *   HARD_ERROR(fmt, ...)   end the case as an error (99)
 *
 * A test program lists its cases in a table and hands it to harness_main():
 *
 *     static const struct harness_case cases[] = {
 *             { "malloc_basic", t_malloc_basic },
 *             ...
 *     };
 *     int main(int argc, char **argv)
 *     { return harness_main(argc, argv, cases, HARNESS_NCASES(cases)); }
 *
 * harness_main() runs every case in its own child process (fork) with an
 * alarm, so a crash, an abort or a hang in one case is reported as that
 * case's failure and cannot disturb the next.  `prog CASE...` runs only the
 * named cases; `prog -n CASE` runs one case in the process itself (no fork),
 * which is what you want under gdb or valgrind.
 *
 * expect_abort() runs a function in a child with its stderr captured and
 * reports whether the child died by SIGABRT; the caller then checks the
 * captured text (misuse tests, ks_cache_destroy reports).
 *
 * Everything is static: each test is one .c file including this header.
 * The harness itself calls malloc only through stdio; it never relies on the
 * allocator under test being healthy after a failure (children die alone).
 */
#ifndef KSLAB_TEST_HARNESS_H
#define KSLAB_TEST_HARNESS_H

#ifdef HAVE_CONFIG_H
#include "config.h"     /* _GNU_SOURCE, as kslab's own headers need */
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HARNESS_PASS  0
#define HARNESS_FAIL  1
#define HARNESS_SKIP  77
#define HARNESS_ERROR 99

/* Seconds a single case may run before its child is killed (a hang fails).
 * run-test puts an overall limit on the whole program as well. */
#ifndef HARNESS_CASE_TIMEOUT
#define HARNESS_CASE_TIMEOUT 240
#endif

#define HARNESS_UNUSED __attribute__((unused))

/* Failures printed per case; the rest are only counted. */
#ifndef HARNESS_MAX_SHOWN
#define HARNESS_MAX_SHOWN 25
#endif

static int harness_failures;

static HARNESS_UNUSED void harness_fail_at(const char *file, int line,
                                           const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static HARNESS_UNUSED void harness_fail_at(const char *file, int line,
                                           const char *fmt, ...)
{
	va_list ap;

	/* count every failure, show the first HARNESS_MAX_SHOWN of a case */
	if (++harness_failures > HARNESS_MAX_SHOWN) {
		if (harness_failures == HARNESS_MAX_SHOWN + 1)
			fprintf(stderr, "(further failures not shown)\n");
		return;
	}
	fprintf(stderr, "%s:%d: FAILED: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Print to stderr, flushed, so the log interleaves right with children. */
static HARNESS_UNUSED void harness_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static HARNESS_UNUSED void harness_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

#define CHECK(cond)                                                          \
	__extension__({                                                      \
		bool hok_ = (cond);                                          \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond); \
		hok_;                                                        \
	})

#define CHECK_MSG(cond, ...)                                                 \
	__extension__({                                                      \
		bool hok_ = (cond);                                          \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__, __VA_ARGS__);    \
		hok_;                                                        \
	})

/* Both sides are evaluated once and compared as integers. */
#define CHECK_EQ(a, b)                                                       \
	__extension__({                                                      \
		intmax_t ha_ = (intmax_t)(a), hb_ = (intmax_t)(b);           \
		bool hok_ = ha_ == hb_;                                      \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__,                  \
			    "CHECK_EQ(%s, %s): %jd (0x%jx) != %jd (0x%jx)",  \
			    #a, #b, ha_, (uintmax_t)ha_, hb_,                \
			    (uintmax_t)hb_);                                 \
		hok_;                                                        \
	})

#define CHECK_NE(a, b)                                                       \
	__extension__({                                                      \
		intmax_t ha_ = (intmax_t)(a), hb_ = (intmax_t)(b);           \
		bool hok_ = ha_ != hb_;                                      \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__,                  \
			    "CHECK_NE(%s, %s): both %jd (0x%jx)",            \
			    #a, #b, ha_, (uintmax_t)ha_);                    \
		hok_;                                                        \
	})

/* Unsigned comparisons: a <= b, a >= b, a < b. */
#define HARNESS_CMP_(a, op, b)                                               \
	__extension__({                                                      \
		uintmax_t ha_ = (uintmax_t)(a), hb_ = (uintmax_t)(b);        \
		bool hok_ = ha_ op hb_;                                      \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__,                  \
			    "CHECK(%s %s %s): %ju (0x%jx) vs %ju (0x%jx)",   \
			    #a, #op, #b, ha_, ha_, hb_, hb_);                \
		hok_;                                                        \
	})
#define CHECK_LE(a, b) HARNESS_CMP_(a, <=, b)
#define CHECK_GE(a, b) HARNESS_CMP_(a, >=, b)
#define CHECK_LT(a, b) HARNESS_CMP_(a, <, b)

#define CHECK_STREQ(a, b)                                                    \
	__extension__({                                                      \
		const char *hsa_ = (a), *hsb_ = (b);                         \
		bool hok_ = hsa_ && hsb_ && strcmp(hsa_, hsb_) == 0;         \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__,                  \
			    "CHECK_STREQ(%s, %s): \"%s\" != \"%s\"", #a, #b, \
			    hsa_ ? hsa_ : "(null)", hsb_ ? hsb_ : "(null)"); \
		hok_;                                                        \
	})

#define CHECK_PTR_ALIGNED(p, align)                                          \
	__extension__({                                                      \
		uintptr_t hp_ = (uintptr_t)(p);                              \
		uintmax_t hal_ = (uintmax_t)(align);                         \
		bool hok_ = hal_ != 0 && hp_ % hal_ == 0;                    \
		if (!hok_)                                                   \
			harness_fail_at(__FILE__, __LINE__,                  \
			    "%s = %p is not aligned to %s = %ju", #p,        \
			    (void *)hp_, #align, hal_);                      \
		hok_;                                                        \
	})

/* End the current case (or program) at once. */
#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!CHECK(cond))                                            \
			harness_exit(HARNESS_FAIL);                          \
	} while (0)

#define SKIP(...)                                                            \
	do {                                                                 \
		fprintf(stderr, "SKIP: " __VA_ARGS__);                       \
		fputc('\n', stderr);                                         \
		harness_exit(HARNESS_SKIP);                                  \
	} while (0)

#define HARD_ERROR(...)                                                      \
	do {                                                                 \
		fprintf(stderr, "%s:%d: ERROR: ", __FILE__, __LINE__);       \
		fprintf(stderr, __VA_ARGS__);                                \
		fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno)); \
		harness_exit(HARNESS_ERROR);                                 \
	} while (0)

static HARNESS_UNUSED __attribute__((noreturn)) void harness_exit(int code)
{
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

/* The result of a case or a program: failures counted by CHECK. */
static HARNESS_UNUSED int harness_result(void)
{
	return harness_failures ? HARNESS_FAIL : HARNESS_PASS;
}

/* ------------------------------------------------------------------------
 * Cases, each in its own process
 * ------------------------------------------------------------------------ */
struct harness_case {
	const char *name;
	void (*fn)(void);
};

#define HARNESS_NCASES(table) (sizeof(table) / sizeof((table)[0]))

static HARNESS_UNUSED void harness_no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

/* Run one case in a child; return its status as an automake code. */
static HARNESS_UNUSED int harness_run_case(const struct harness_case *c)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ERROR: fork for case %s: %s\n", c->name,
		        strerror(errno));
		return HARNESS_ERROR;
	}
	if (pid == 0) {
		harness_no_core_dumps();
		alarm(HARNESS_CASE_TIMEOUT);
		c->fn();
		harness_exit(harness_result());
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "ERROR: waitpid: %s\n", strerror(errno));
			return HARNESS_ERROR;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		fprintf(stderr, "case %s: killed by signal %d (%s)%s\n",
		        c->name, sig, strsignal(sig),
		        sig == SIGALRM ? ": timed out" : "");
	}
	return HARNESS_FAIL;
}

static HARNESS_UNUSED const char *harness_code_name(int code)
{
	switch (code) {
	case HARNESS_PASS:  return "PASS";
	case HARNESS_SKIP:  return "SKIP";
	case HARNESS_ERROR: return "ERROR";
	default:            return "FAIL";
	}
}

/*
 * Run this program again with NAME=VALUE in its environment unless NAME is
 * set already (tests that need, say, several slab nodes on any machine:
 * KSLAB_OPTIONS is read once, at load).  Returns only if NAME was set.
 */
static HARNESS_UNUSED void harness_reexec_with_env(char **argv, const char *name,
                                                   const char *value)
{
	if (getenv(name))
		return;
	setenv(name, value, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "harness: cannot re-run %s: %s\n", argv[0], strerror(errno));
	exit(99);
}

/*
 * Run the cases named on the command line, or all of them, each in a child.
 * The program's result: 99 if any case had an error, else 1 if any failed,
 * else 77 if every case was skipped, else 0.
 */
static HARNESS_UNUSED int harness_main(int argc, char **argv,
                                       const struct harness_case *cases,
                                       size_t ncases)
{
	int npass = 0, nfail = 0, nskip = 0, nerror = 0;
	bool inproc = false;
	int first = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		inproc = true;
		first = 2;
	}
	for (size_t i = 0; i < ncases; i++) {
		int code;

		if (argc > first) {
			bool wanted = false;

			for (int a = first; a < argc; a++)
				wanted |= strcmp(argv[a], cases[i].name) == 0;
			if (!wanted)
				continue;
		}
		if (inproc) {
			cases[i].fn();
			code = harness_result();
		} else {
			code = harness_run_case(&cases[i]);
		}
		printf("%s: %s\n", harness_code_name(code), cases[i].name);
		switch (code) {
		case HARNESS_PASS:  npass++;  break;
		case HARNESS_SKIP:  nskip++;  break;
		case HARNESS_ERROR: nerror++; break;
		default:            nfail++;  break;
		}
	}
	printf("# %d passed, %d failed, %d skipped, %d errors\n", npass, nfail,
	       nskip, nerror);
	fflush(stdout);
	if (nerror)
		return HARNESS_ERROR;
	if (nfail)
		return HARNESS_FAIL;
	if (npass == 0 && nskip == 0) {
		fprintf(stderr, "ERROR: no case matched\n");
		return HARNESS_ERROR;
	}
	return npass ? HARNESS_PASS : HARNESS_SKIP;
}

/* ------------------------------------------------------------------------
 * Children that must abort, and captured stderr
 * ------------------------------------------------------------------------ */
struct harness_child {
	int status;        /* from waitpid */
	bool aborted;      /* died by SIGABRT */
	char out[8192];    /* its stderr, NUL-terminated (truncated if long) */
	size_t len;
};

/*
 * Run FN(ARG) in a child whose stderr goes into CH->out; the child exits 0
 * if FN returns.  Returns false (and says why) only if the child could not
 * be run.  The child has no core dumps and an alarm of TIMEOUT seconds.
 */
static HARNESS_UNUSED bool harness_run_child(void (*fn)(void *), void *arg,
                                             unsigned timeout,
                                             struct harness_child *ch)
{
	int fds[2];
	pid_t pid;

	memset(ch, 0, sizeof(*ch));
	if (pipe(fds) < 0) {
		perror("pipe");
		return false;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		harness_no_core_dumps();
		/* abort() must really kill: restore the default action. */
		signal(SIGABRT, SIG_DFL);
		alarm(timeout);
		fn(arg);
		harness_exit(0);
	}
	close(fds[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ch->len + 1 < sizeof(ch->out)) {
			size_t room = sizeof(ch->out) - 1 - ch->len;
			size_t take = (size_t)n < room ? (size_t)n : room;

			memcpy(ch->out + ch->len, buf, take);
			ch->len += take;
		}
	}
	close(fds[0]);
	ch->out[ch->len] = '\0';
	while (waitpid(pid, &ch->status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			return false;
		}
	}
	ch->aborted = WIFSIGNALED(ch->status) && WTERMSIG(ch->status) == SIGABRT;
	return true;
}

/* Describe how a child ended, for failure messages. */
static HARNESS_UNUSED const char *harness_child_end(const struct harness_child *ch,
                                                    char *buf, size_t len)
{
	if (WIFEXITED(ch->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(ch->status));
	else if (WIFSIGNALED(ch->status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(ch->status),
		         strsignal(WTERMSIG(ch->status)));
	else
		snprintf(buf, len, "ended with status 0x%x", ch->status);
	return buf;
}

/* Number of lines in S (a last line without '\n' counts). */
static HARNESS_UNUSED size_t harness_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n' || s[1] == '\0')
			n++;
	return n;
}

/* Does S contain a line that starts with PREFIX? */
static HARNESS_UNUSED bool harness_has_line_prefix(const char *s,
                                                   const char *prefix)
{
	size_t n = strlen(prefix);

	while (s && *s) {
		if (strncmp(s, prefix, n) == 0)
			return true;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return false;
}

/*
 * Run FN(ARG) in a child and check that it died by SIGABRT and that its
 * stderr contains EXPECTED (a substring, typically a whole line).  Counts
 * a failure (and prints the child's stderr) if not.  CH, if not NULL,
 * receives the child for further checks.
 */
static HARNESS_UNUSED bool expect_abort(void (*fn)(void *), void *arg,
                                        const char *expected,
                                        struct harness_child *ch)
{
	struct harness_child local;
	char how[64];
	bool ok = true;

	if (!ch)
		ch = &local;
	if (!harness_run_child(fn, arg, 60, ch)) {
		harness_fail_at(__FILE__, __LINE__, "could not run the child");
		return false;
	}
	if (!ch->aborted) {
		harness_fail_at(__FILE__, __LINE__,
		                "child was expected to die by SIGABRT but %s",
		                harness_child_end(ch, how, sizeof(how)));
		ok = false;
	}
	if (expected && !strstr(ch->out, expected)) {
		harness_fail_at(__FILE__, __LINE__,
		                "child's stderr lacks \"%s\"", expected);
		ok = false;
	}
	if (!ok)
		fprintf(stderr, "--- child's stderr ---\n%s%s--- end ---\n",
		        ch->out, ch->len && ch->out[ch->len - 1] != '\n' ? "\n" : "");
	return ok;
}

/* ------------------------------------------------------------------------
 * Capturing this process's own stderr (fd 2) around a call
 * ------------------------------------------------------------------------ */
struct harness_capture {
	int saved_fd;
	FILE *tmp;
	char out[8192];
	size_t len;
};

static HARNESS_UNUSED bool harness_capture_begin(struct harness_capture *c)
{
	memset(c, 0, sizeof(*c));
	fflush(stderr);
	c->tmp = tmpfile();
	if (!c->tmp)
		return false;
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->tmp), STDERR_FILENO) < 0) {
		fclose(c->tmp);
		return false;
	}
	return true;
}

static HARNESS_UNUSED void harness_capture_end(struct harness_capture *c)
{
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->tmp);
	c->len = fread(c->out, 1, sizeof(c->out) - 1, c->tmp);
	c->out[c->len] = '\0';
	fclose(c->tmp);
}

/* ------------------------------------------------------------------------
 * kslab's introspection, when kslab is there
 *
 * Tests of the libc interface also run on glibc (built by hand, or as the
 * glibc-linked half of a -preload pair).  They reach kslab's own functions
 * through weak references: NULL under glibc, kslab's when the program is
 * linked with it or it is preloaded.  Include kslab.h before this header to
 * use them.
 * ------------------------------------------------------------------------ */
#ifdef KSLAB_H
extern __typeof__(ks_check) ks_check __attribute__((weak));
extern __typeof__(ks_stats_get) ks_stats_get __attribute__((weak));
extern __typeof__(ks_version) ks_version __attribute__((weak));

static HARNESS_UNUSED bool harness_have_kslab(void)
{
	return ks_check != NULL;
}

/* ks_check() == 0 when kslab is present; PHASE names the moment. */
#define CHECK_KSLAB_CONSISTENT(phase)                                        \
	do {                                                                 \
		if (ks_check) {                                              \
			int hbroken_ = ks_check();                           \
			CHECK_MSG(hbroken_ == 0,                             \
			          "ks_check() after %s: %d broken invariants", \
			          (phase), hbroken_);                          \
		}                                                            \
	} while (0)

/*
 * A program built for the -preload half (KS_TEST_PRELOAD) must find kslab
 * preloaded: otherwise the test would silently test glibc.
 */
static HARNESS_UNUSED void harness_require_preloaded(void)
{
#ifdef KS_TEST_PRELOAD
	if (!harness_have_kslab()) {
		fprintf(stderr, "ERROR: built for LD_PRELOAD of libkslab.so, "
		        "but kslab is not loaded (LD_PRELOAD=%s)\n",
		        getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
		harness_exit(HARNESS_ERROR);
	}
#endif
}
#endif /* KSLAB_H */

#endif /* KSLAB_TEST_HARNESS_H */
