# SPDX-License-Identifier: BSD-2-Clause
# rules for tests/fuzz/ (included by tests/local.mk)
#
#   make fuzz        tests/fuzz/fuzz_ops: kslab's sources and the target,
#                    compiled by clang with -fsanitize=fuzzer (libFuzzer),
#                    so the coverage that guides it is kslab's own
#   tests/fuzz/run.sh (in make check) builds it where clang has libFuzzer
#                    and runs it on the seed corpus and for FUZZ_SECONDS
#                    (10, or 60 when CI=true) more
KS_FUZZ_CC = clang
KS_FUZZ_SRC = src/format.c src/os.c src/arena.c src/buddy.c src/page_alloc.c \
	src/slab.c src/meta.c src/magazine.c src/thread.c src/kmalloc.c src/vmalloc.c \
	src/reserve.c src/debug.c src/stats.c src/options.c src/live.c src/init.c \
	src/api.c src/malloc.c src/jemalloc.c
KS_FUZZ_SEEDS = tests/fuzz/corpus/seed-aligned tests/fuzz/corpus/seed-kernel-api \
	tests/fuzz/corpus/seed-malloc-free tests/fuzz/corpus/seed-random-big \
	tests/fuzz/corpus/seed-random-mid tests/fuzz/corpus/seed-random-small \
	tests/fuzz/corpus/seed-realloc tests/fuzz/corpus/seed-special
EXTRA_DIST += tests/fuzz/fuzz_ops.c tests/fuzz/run.sh $(KS_FUZZ_SEEDS)
TESTS += tests/fuzz/run.sh
CLEANFILES += tests/fuzz/fuzz_ops

fuzz: tests/fuzz/fuzz_ops
KS_FUZZ_FLAGS = -g -O2 -std=gnu11 -w -fvisibility=hidden -ftls-model=initial-exec \
	-DHAVE_CONFIG_H -I$(top_srcdir)/include -I$(top_srcdir)/src -I$(top_builddir) -pthread
tests/fuzz/fuzz_ops: $(KS_FUZZ_SRC:%=$(srcdir)/%) $(srcdir)/tests/fuzz/fuzz_ops.c config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(KS_FUZZ_CC) $(KS_FUZZ_FLAGS) -c -o tests/fuzz/fuzz_ops-target.o \
		$(srcdir)/tests/fuzz/fuzz_ops.c
	$(AM_V_CCLD)$(KS_FUZZ_CC) $(KS_FUZZ_FLAGS) -fsanitize=fuzzer -o $@ \
		tests/fuzz/fuzz_ops-target.o $(KS_FUZZ_SRC:%=$(srcdir)/%)
	@rm -f tests/fuzz/fuzz_ops-target.o
.PHONY: fuzz
