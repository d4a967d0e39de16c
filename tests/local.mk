# SPDX-License-Identifier: BSD-2-Clause
# rules for tests/ (see the top Makefile.am)
#
# tests/harness/     harness.h (CHECK macros, a case per process, expect_abort)
#                    and run-test, the LOG_COMPILER for every test
# tests/integration/ the public API, linked with libkslab.la; the libc part
#                    also as NAME-preload (glibc-linked, kslab preloaded);
#                    real programs (prog-*.sh) with and without LD_PRELOAD
# tests/stress/      threads, thread exit, fork, soak: each linked (NAME)
#                    and preloaded into a glibc-linked build (NAME-preload)
# tests/misuse/      corrupt one thing, assert the one-line report
#
# Every program is run by tests/harness/run-test under timeout(1); a test
# whose name ends in -preload runs with LD_PRELOAD of the built
# .libs/libkslab.so.  `make check TESTS=tests/stress/xfree` runs one test;
# a test program takes case names (`tests/integration/api_malloc calloc`)
# and -n to run a case without forking (for gdb).

EXTRA_DIST += tests/harness/harness.h tests/harness/run-test \
	tests/stress/stress.h tests/integration/programs.sh

TEST_EXTENSIONS = .sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/harness/run-test
SH_LOG_COMPILER = $(LOG_COMPILER)
AM_TESTS_ENVIRONMENT = \
	KSLAB_PRELOAD_LIB='$(abs_top_builddir)/.libs/libkslab.so'; \
	export KSLAB_PRELOAD_LIB;

# Tests are built with -fno-builtin, so the compiler can neither elide an
# allocation it thinks unused nor fold a call it thinks must fail.
kstest_cflags = $(AM_CFLAGS) -fno-builtin -pthread
# linked with kslab: NAME
kstest_linked_libs = libkslab.la
kstest_linked_ldflags = -no-install -pthread
# linked with glibc only, run preloaded: NAME-preload
kstest_preload_cppflags = $(AM_CPPFLAGS) -DKS_TEST_PRELOAD
kstest_preload_ldflags = -pthread

# --- integration: the public API ------------------------------------------
check_PROGRAMS += tests/integration/api_malloc tests/integration/api_align \
	tests/integration/api_realloc tests/integration/api_kslab \
	tests/integration/api_malloc-preload tests/integration/api_align-preload \
	tests/integration/api_realloc-preload

tests_integration_api_malloc_SOURCES = tests/integration/api_malloc.c
tests_integration_api_malloc_CFLAGS = $(kstest_cflags)
tests_integration_api_malloc_LDADD = $(kstest_linked_libs)
tests_integration_api_malloc_LDFLAGS = $(kstest_linked_ldflags)
tests_integration_api_malloc_preload_SOURCES = tests/integration/api_malloc.c
tests_integration_api_malloc_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_integration_api_malloc_preload_CFLAGS = $(kstest_cflags)
tests_integration_api_malloc_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_integration_api_align_SOURCES = tests/integration/api_align.c
tests_integration_api_align_CFLAGS = $(kstest_cflags)
tests_integration_api_align_LDADD = $(kstest_linked_libs)
tests_integration_api_align_LDFLAGS = $(kstest_linked_ldflags)
tests_integration_api_align_preload_SOURCES = tests/integration/api_align.c
tests_integration_api_align_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_integration_api_align_preload_CFLAGS = $(kstest_cflags)
tests_integration_api_align_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_integration_api_realloc_SOURCES = tests/integration/api_realloc.c
tests_integration_api_realloc_CFLAGS = $(kstest_cflags)
tests_integration_api_realloc_LDADD = $(kstest_linked_libs)
tests_integration_api_realloc_LDFLAGS = $(kstest_linked_ldflags)
tests_integration_api_realloc_preload_SOURCES = tests/integration/api_realloc.c
tests_integration_api_realloc_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_integration_api_realloc_preload_CFLAGS = $(kstest_cflags)
tests_integration_api_realloc_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_integration_api_kslab_SOURCES = tests/integration/api_kslab.c
tests_integration_api_kslab_CFLAGS = $(kstest_cflags)
tests_integration_api_kslab_LDADD = $(kstest_linked_libs)
tests_integration_api_kslab_LDFLAGS = $(kstest_linked_ldflags)

TESTS += tests/integration/api_malloc tests/integration/api_align \
	tests/integration/api_realloc tests/integration/api_kslab \
	tests/integration/api_malloc-preload tests/integration/api_align-preload \
	tests/integration/api_realloc-preload

# --- integration: real programs under LD_PRELOAD --------------------------
kstest_prog_scripts = tests/integration/prog-python3.sh \
	tests/integration/prog-sqlite3.sh tests/integration/prog-perl.sh \
	tests/integration/prog-bash.sh tests/integration/prog-git.sh \
	tests/integration/prog-gcc.sh
TESTS += $(kstest_prog_scripts)
EXTRA_DIST += $(kstest_prog_scripts)

# api_realloc's grow-from-empty cases under each KSLAB_OPTIONS debug mode;
# the exit report as JSON and text, in a stats_file
TESTS += tests/integration/debug-options.sh tests/integration/stats-report.sh
EXTRA_DIST += tests/integration/debug-options.sh tests/integration/stats-report.sh

# owner tracking, the allocation log and the leak report (a glibc-linked
# program, kslab preloaded)
check_PROGRAMS += tests/integration/track_target
tests_integration_track_target_SOURCES = tests/integration/track_target.c
tests_integration_track_target_CFLAGS = $(kstest_cflags)
TESTS += tests/integration/track.sh
EXTRA_DIST += tests/integration/track.sh

# valgrind's memcheck sees kslab's blocks (client requests)
check_PROGRAMS += tests/integration/memcheck_target
tests_integration_memcheck_target_SOURCES = tests/integration/memcheck_target.c
tests_integration_memcheck_target_CFLAGS = $(kstest_cflags)
tests_integration_memcheck_target_LDADD = $(kstest_linked_libs)
tests_integration_memcheck_target_LDFLAGS = $(kstest_linked_ldflags)
TESTS += tests/integration/memcheck.sh
EXTRA_DIST += tests/integration/memcheck.sh

# make install DESTDIR=..., then a program built with pkg-config against
# the installed copy, and kslab run from the installed tree
TESTS += tests/integration/install.sh
EXTRA_DIST += tests/integration/install.sh

# jemalloc's entry points (jemalloc.c)
check_PROGRAMS += tests/integration/api_jemalloc
tests_integration_api_jemalloc_SOURCES = tests/integration/api_jemalloc.c
tests_integration_api_jemalloc_CFLAGS = $(kstest_cflags)
tests_integration_api_jemalloc_LDADD = $(kstest_linked_libs)
tests_integration_api_jemalloc_LDFLAGS = $(kstest_linked_ldflags)
TESTS += tests/integration/api_jemalloc
# a program linked with -ljemalloc, kslab preloaded
TESTS += tests/integration/jemalloc-preload.sh
EXTRA_DIST += tests/integration/jemalloc-preload.sh

# the kslab command: info and top on a running process and its fork child,
# and run
check_PROGRAMS += tests/integration/live_target
tests_integration_live_target_SOURCES = tests/integration/live_target.c
tests_integration_live_target_CFLAGS = $(kstest_cflags)
tests_integration_live_target_LDADD = $(kstest_linked_libs)
tests_integration_live_target_LDFLAGS = $(kstest_linked_ldflags)
TESTS += tests/integration/live-view.sh
EXTRA_DIST += tests/integration/live-view.sh

# --- stress: each linked and preloaded --------------------------------------
check_PROGRAMS += tests/stress/xfree tests/stress/xfree-preload \
	tests/stress/thread_churn tests/stress/thread_churn-preload \
	tests/stress/fork_threads tests/stress/fork_threads-preload \
	tests/stress/soak tests/stress/soak-preload \
	tests/stress/atomic_signal tests/stress/atomic_signal-preload \
	tests/stress/hostile tests/stress/hostile-preload

tests_stress_hostile_SOURCES = tests/stress/hostile.c
tests_stress_hostile_CFLAGS = $(kstest_cflags)
tests_stress_hostile_LDADD = $(kstest_linked_libs)
tests_stress_hostile_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_hostile_preload_SOURCES = tests/stress/hostile.c
tests_stress_hostile_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_hostile_preload_CFLAGS = $(kstest_cflags)
tests_stress_hostile_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_stress_xfree_SOURCES = tests/stress/xfree.c
tests_stress_xfree_CFLAGS = $(kstest_cflags)
tests_stress_xfree_LDADD = $(kstest_linked_libs)
tests_stress_xfree_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_xfree_preload_SOURCES = tests/stress/xfree.c
tests_stress_xfree_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_xfree_preload_CFLAGS = $(kstest_cflags)
tests_stress_xfree_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_stress_atomic_signal_SOURCES = tests/stress/atomic_signal.c
tests_stress_atomic_signal_CFLAGS = $(kstest_cflags)
tests_stress_atomic_signal_LDADD = $(kstest_linked_libs)
tests_stress_atomic_signal_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_atomic_signal_preload_SOURCES = tests/stress/atomic_signal.c
tests_stress_atomic_signal_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_atomic_signal_preload_CFLAGS = $(kstest_cflags)
tests_stress_atomic_signal_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_stress_thread_churn_SOURCES = tests/stress/thread_churn.c
tests_stress_thread_churn_CFLAGS = $(kstest_cflags)
tests_stress_thread_churn_LDADD = $(kstest_linked_libs)
tests_stress_thread_churn_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_thread_churn_preload_SOURCES = tests/stress/thread_churn.c
tests_stress_thread_churn_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_thread_churn_preload_CFLAGS = $(kstest_cflags)
tests_stress_thread_churn_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_stress_fork_threads_SOURCES = tests/stress/fork_threads.c
tests_stress_fork_threads_CFLAGS = $(kstest_cflags)
tests_stress_fork_threads_LDADD = $(kstest_linked_libs)
tests_stress_fork_threads_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_fork_threads_preload_SOURCES = tests/stress/fork_threads.c
tests_stress_fork_threads_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_fork_threads_preload_CFLAGS = $(kstest_cflags)
tests_stress_fork_threads_preload_LDFLAGS = $(kstest_preload_ldflags)

tests_stress_soak_SOURCES = tests/stress/soak.c
tests_stress_soak_CFLAGS = $(kstest_cflags)
tests_stress_soak_LDADD = $(kstest_linked_libs)
tests_stress_soak_LDFLAGS = $(kstest_linked_ldflags)
tests_stress_soak_preload_SOURCES = tests/stress/soak.c
tests_stress_soak_preload_CPPFLAGS = $(kstest_preload_cppflags)
tests_stress_soak_preload_CFLAGS = $(kstest_cflags)
tests_stress_soak_preload_LDFLAGS = $(kstest_preload_ldflags)

TESTS += tests/stress/xfree tests/stress/xfree-preload \
	tests/stress/thread_churn tests/stress/thread_churn-preload \
	tests/stress/fork_threads tests/stress/fork_threads-preload \
	tests/stress/soak tests/stress/soak-preload \
	tests/stress/atomic_signal tests/stress/atomic_signal-preload \
	tests/stress/hostile tests/stress/hostile-preload

# --- misuse: the one-line reports -------------------------------------------
check_PROGRAMS += tests/misuse/misuse tests/misuse/misuse-nodebug tests/misuse/misuse-strict

tests_misuse_misuse_SOURCES = tests/misuse/misuse.c
tests_misuse_misuse_CFLAGS = $(kstest_cflags)
tests_misuse_misuse_LDADD = $(kstest_linked_libs)
tests_misuse_misuse_LDFLAGS = $(kstest_linked_ldflags)
tests_misuse_misuse_nodebug_SOURCES = tests/misuse/misuse.c
tests_misuse_misuse_nodebug_CPPFLAGS = $(AM_CPPFLAGS) -DMISUSE_NODEBUG
tests_misuse_misuse_nodebug_CFLAGS = $(kstest_cflags)
tests_misuse_misuse_nodebug_LDADD = $(kstest_linked_libs)
tests_misuse_misuse_nodebug_LDFLAGS = $(kstest_linked_ldflags)
tests_misuse_misuse_strict_SOURCES = tests/misuse/misuse.c
tests_misuse_misuse_strict_CPPFLAGS = $(AM_CPPFLAGS) -DMISUSE_STRICT
tests_misuse_misuse_strict_CFLAGS = $(kstest_cflags)
tests_misuse_misuse_strict_LDADD = $(kstest_linked_libs)
tests_misuse_misuse_strict_LDFLAGS = $(kstest_linked_ldflags)

TESTS += tests/misuse/misuse tests/misuse/misuse-nodebug tests/misuse/misuse-strict

# --- unit: one per layer (rules in their own fragment) ----------------------
# other people's test suites and programs with and without kslab:
# make check runs a slice, make check-compat the whole
TESTS += tests/compat/fast.sh
EXTRA_DIST += tests/compat/fast.sh tests/compat/run.sh
check-compat: all
	bash $(srcdir)/tests/compat/run.sh --builddir .
.PHONY: check-compat

# the core and the unit tests under ASan+UBSan and TSan (sanitize/)
TESTS += tests/sanitizers.sh
EXTRA_DIST += tests/sanitizers.sh
clean-local: clean-sanitize
clean-sanitize:
	rm -rf sanitize
.PHONY: clean-sanitize

include tests/unit/local.mk
include tests/fuzz/local.mk

# --- C++ operator new/delete (issue 4) --------------------------------------
if KS_CXX
check_PROGRAMS += tests/integration/cxx_new
TESTS += tests/integration/cxx_new
tests_integration_cxx_new_SOURCES = tests/integration/cxx_new.cc
tests_integration_cxx_new_CXXFLAGS = $(AM_CXXFLAGS) -std=gnu++17 -fsized-deallocation -fno-builtin
tests_integration_cxx_new_LDADD = libkslab.la
tests_integration_cxx_new_LDFLAGS = -no-install
endif

# --- memory back to the OS, running out (issue 5) ---------------------------
check_PROGRAMS += tests/integration/memory_back
TESTS += tests/integration/memory_back
tests_integration_memory_back_SOURCES = tests/integration/memory_back.c
tests_integration_memory_back_CFLAGS = $(kstest_cflags)
tests_integration_memory_back_LDADD = $(kstest_linked_libs)
tests_integration_memory_back_LDFLAGS = $(kstest_linked_ldflags)
