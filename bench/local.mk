# SPDX-License-Identifier: BSD-2-Clause
# rules for bench/ (see the top Makefile.am)
#
# Nothing here is built by `make`, `make check` or `make distcheck`: every
# bench program is an EXTRA_PROGRAM, built on demand by
#
#   make bench           workloads, the callgrind loop, the runner, and the
#                        Google Benchmark microbenchmarks when
#                        libbenchmark-dev is installed (tested here, in the
#                        recipe, so its absence breaks nothing else)
#   make bench-compare   make bench, then bench/compare.sh: every workload
#                        under kslab, glibc, jemalloc, mimalloc, tcmalloc;
#                        writes bench/results/ and bench/RESULTS.md
#   make bench-callgrind instructions per malloc+free pair (bench/callgrind.sh)
#   make bench-scaling   the thread patterns, 1 and 2 threads and 2
#                        processes, interleaved rounds (bench/scaling.sh)

BENCH_WORKLOADS = \
	bench/workloads/larson \
	bench/workloads/xmalloc-test \
	bench/workloads/false-sharing \
	bench/workloads/alloc-test \
	bench/workloads/frag \
	bench/workloads/thread-churn \
	bench/workloads/forks \
	bench/workloads/realloc-growth \
	bench/workloads/rss-decay \
	bench/workloads/mixed-heap \
	bench/workloads/threads
BENCH_TOOLS = bench/runner bench/micro/pairs
BENCH_GBENCH = bench/gbench/micro
BENCH_GBENCH_KSLAB = bench/gbench/micro-kslab

EXTRA_PROGRAMS += $(BENCH_WORKLOADS) $(BENCH_TOOLS) $(BENCH_GBENCH) $(BENCH_GBENCH_KSLAB)
CLEANFILES += $(BENCH_WORKLOADS) $(BENCH_TOOLS) $(BENCH_GBENCH) $(BENCH_GBENCH_KSLAB)

BENCH_WL_H = bench/workloads/wl.h
bench_workloads_larson_SOURCES = bench/workloads/larson.c $(BENCH_WL_H)
bench_workloads_xmalloc_test_SOURCES = bench/workloads/xmalloc-test.c $(BENCH_WL_H)
bench_workloads_false_sharing_SOURCES = bench/workloads/false-sharing.c $(BENCH_WL_H)
bench_workloads_alloc_test_SOURCES = bench/workloads/alloc-test.c $(BENCH_WL_H)
bench_workloads_frag_SOURCES = bench/workloads/frag.c $(BENCH_WL_H)
bench_workloads_thread_churn_SOURCES = bench/workloads/thread-churn.c $(BENCH_WL_H)
bench_workloads_forks_SOURCES = bench/workloads/forks.c $(BENCH_WL_H)
bench_workloads_realloc_growth_SOURCES = bench/workloads/realloc-growth.c $(BENCH_WL_H)
bench_workloads_rss_decay_SOURCES = bench/workloads/rss-decay.c $(BENCH_WL_H)
bench_workloads_mixed_heap_SOURCES = bench/workloads/mixed-heap.c $(BENCH_WL_H)
bench_workloads_threads_SOURCES = bench/workloads/threads.c $(BENCH_WL_H)

# The timing wrapper the driver runs every case under: wall time, peak RSS,
# exit status, a timeout; and the loop callgrind counts.
bench_runner_SOURCES = bench/runner.c
bench_micro_pairs_SOURCES = bench/micro/pairs.c
bench_micro_pairs_CFLAGS = $(AM_CFLAGS) -fno-builtin-malloc -fno-builtin-free

# Google Benchmark microbenchmarks through our C shim (bench/gbench/ksb.h).
# micro uses whatever malloc the process has (libc, or a preloaded one);
# micro-kslab is linked with libkslab and adds the ks_cache_* cases.
BENCH_GBENCH_SRC = bench/gbench/ksb.h bench/gbench/ksb.cc bench/gbench/micro.c
bench_gbench_micro_SOURCES = $(BENCH_GBENCH_SRC)
bench_gbench_micro_LDADD = -lbenchmark -lpthread
bench_gbench_micro_kslab_SOURCES = $(BENCH_GBENCH_SRC)
bench_gbench_micro_kslab_CPPFLAGS = $(AM_CPPFLAGS) -DKSB_WITH_KSLAB
bench_gbench_micro_kslab_LDADD = libkslab.la -lbenchmark -lpthread

EXTRA_DIST += bench/misuse/matrix.sh bench/misuse/misuse-cases.c
EXTRA_DIST += bench/compare.sh bench/callgrind.sh bench/scaling.sh bench/lib.sh bench/report.py \
	bench/glibc-malloc.c bench/README.md \
	bench/real/python-workload.py bench/real/python-growth.py bench/real/programs.sh \
	bench/real/sqlite.sh bench/real/redis.sh bench/RESULTS.md

# Does this machine have Google Benchmark?  Checked when `make bench` runs,
# not by configure, so a machine without it loses only the microbenchmarks.
BENCH_HAVE_GBENCH = printf '\043include <benchmark/benchmark.h>\n' | \
	$(CXX) $(CXXFLAGS) -x c++ -fsyntax-only - >/dev/null 2>&1

# A preload that pins a program linked with jemalloc (Debian's
# redis-server) to glibc's malloc, for the glibc column.
bench/libglibc-malloc.so: $(top_srcdir)/bench/glibc-malloc.c
	@$(MKDIR_P) bench
	$(AM_V_CC)$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -shared -fPIC -o $@ $(top_srcdir)/bench/glibc-malloc.c -ldl
CLEANFILES += bench/libglibc-malloc.so

bench: $(BENCH_WORKLOADS) $(BENCH_TOOLS) bench/libglibc-malloc.so lib_LTLIBRARIES-bench
	@if $(BENCH_HAVE_GBENCH); then \
	  $(MAKE) $(AM_MAKEFLAGS) $(BENCH_GBENCH) $(BENCH_GBENCH_KSLAB); \
	else \
	  echo "bench: Google Benchmark (libbenchmark-dev) not found: skipping $(BENCH_GBENCH) $(BENCH_GBENCH_KSLAB)"; \
	fi

# libkslab itself, for the preload runs.
lib_LTLIBRARIES-bench: $(lib_LTLIBRARIES)

bench-compare: bench
	KSB_INVOKED_BY="make bench-compare" bash $(top_srcdir)/bench/compare.sh --builddir "$(abs_top_builddir)"

bench-callgrind: bench
	bash $(top_srcdir)/bench/callgrind.sh --builddir "$(abs_top_builddir)"

bench-scaling: bench
	bash $(top_srcdir)/bench/scaling.sh --builddir "$(abs_top_builddir)"

.PHONY: bench bench-compare bench-callgrind bench-scaling lib_LTLIBRARIES-bench
