# SPDX-License-Identifier: BSD-2-Clause
# rules for tests/unit/ (included by tests/local.mk): one test per layer,
# linked against libkslab_core.la, which does not replace malloc.
KS_UNIT_TESTS = tests/unit/test_buddy tests/unit/test_slab tests/unit/test_kmalloc \
	tests/unit/test_vmalloc tests/unit/test_options
check_PROGRAMS += $(KS_UNIT_TESTS)
TESTS += $(KS_UNIT_TESTS)
KS_UNIT_CFLAGS = $(AM_CFLAGS) -fno-builtin -pthread
KS_UNIT_LDADD = libkslab_core.la
tests_unit_test_buddy_SOURCES = tests/unit/test_buddy.c
tests_unit_test_buddy_CFLAGS = $(KS_UNIT_CFLAGS)
tests_unit_test_buddy_LDADD = $(KS_UNIT_LDADD)
tests_unit_test_slab_SOURCES = tests/unit/test_slab.c
tests_unit_test_slab_CFLAGS = $(KS_UNIT_CFLAGS)
tests_unit_test_slab_LDADD = $(KS_UNIT_LDADD)
tests_unit_test_kmalloc_SOURCES = tests/unit/test_kmalloc.c
tests_unit_test_kmalloc_CFLAGS = $(KS_UNIT_CFLAGS)
tests_unit_test_kmalloc_LDADD = $(KS_UNIT_LDADD)
tests_unit_test_vmalloc_SOURCES = tests/unit/test_vmalloc.c
tests_unit_test_vmalloc_CFLAGS = $(KS_UNIT_CFLAGS)
tests_unit_test_vmalloc_LDADD = $(KS_UNIT_LDADD)
tests_unit_test_options_SOURCES = tests/unit/test_options.c
tests_unit_test_options_CFLAGS = $(KS_UNIT_CFLAGS)
tests_unit_test_options_LDADD = $(KS_UNIT_LDADD)

# the layer table of src/internal.h against the objects' symbols (nm)
TESTS += tests/unit/layers.sh
EXTRA_DIST += tests/unit/layers.sh

# make check-valgrind: every unit test under valgrind's memcheck (the
# object caches and kmalloc describe their blocks to it; debug.h), each
# case in its child as usual; a memcheck error fails the test.
KS_MEMCHECK = valgrind -q --error-exitcode=99 --leak-check=no
check-valgrind: $(KS_UNIT_TESTS)
	@command -v valgrind >/dev/null || { echo "check-valgrind: valgrind is not installed"; exit 1; }
	@fail=0; for t in $(KS_UNIT_TESTS); do \
	  if KSLAB_OPTIONS=nodes=3 $(KS_MEMCHECK) ./$$t >$$t.memcheck.log 2>&1; then \
	    echo "PASS: $$t (memcheck)"; \
	  else echo "FAIL: $$t (memcheck; see $$t.memcheck.log)"; fail=1; fi; \
	done; exit $$fail
.PHONY: check-valgrind
CLEANFILES += tests/unit/*.memcheck.log
