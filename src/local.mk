# SPDX-License-Identifier: BSD-2-Clause
# The core: every layer but the libc interface, as a convenience library the
# unit tests link without replacing the process's malloc.
noinst_LTLIBRARIES += libkslab_core.la
libkslab_core_la_SOURCES = \
	src/internal.h src/format.c src/os.c src/os.h src/arena.c src/arena.h \
	src/buddy.c src/buddy.h src/page_alloc.c src/page_alloc.h \
	src/slab.c src/slab.h src/meta.c src/meta.h src/magazine.c src/magazine.h src/thread.c src/thread.h \
	src/kmalloc.c src/kmalloc.h src/vmalloc.c src/vmalloc.h src/reserve.c src/reserve.h \
	src/fastpath.h src/debug.c src/debug.h src/stats.c src/stats.h \
	src/options.c src/options.h src/live.c src/live.h src/init.c src/init.h src/api.c src/api.h

lib_LTLIBRARIES += libkslab.la
libkslab_la_SOURCES = src/malloc.c src/jemalloc.c
if KS_CXX
libkslab_la_SOURCES += src/new.cc
endif
libkslab_la_CXXFLAGS = $(AM_CXXFLAGS) -std=gnu++17 -fno-exceptions -fno-rtti
# linked as C: new.cc needs nothing from libstdc++ at link time (see it)
libkslab_la_LINK = $(LIBTOOL) $(AM_V_lt) --tag=CC $(AM_LIBTOOLFLAGS) \
	$(LIBTOOLFLAGS) --mode=link $(CCLD) $(AM_CFLAGS) $(CFLAGS) \
	$(libkslab_la_LDFLAGS) $(LDFLAGS) -o $@
libkslab_la_LIBADD = libkslab_core.la
libkslab_la_LDFLAGS = -version-info 0:0:0 -Wl,--version-script=$(top_srcdir)/src/kslab.map \
	-Wl,-z,nodelete
EXTRA_libkslab_la_DEPENDENCIES = src/kslab.map
EXTRA_DIST += src/kslab.map

# The kslab command (run, info, top): a program of its own, not linked with
# the allocator; it reads the live page of live.h.
bin_PROGRAMS += kslab
kslab_SOURCES = src/kslab-cmd.c src/live.h
kslab_CPPFLAGS = $(AM_CPPFLAGS) -DKSLAB_LIBDIR='"$(libdir)"' -DKSLAB_BINDIR='"$(bindir)"'
kslab_CFLAGS = $(AM_CFLAGS)
