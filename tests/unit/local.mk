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
