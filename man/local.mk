# SPDX-License-Identifier: BSD-2-Clause
# rules for man/ (see the top Makefile.am)
#
# One page per function family; the other functions of a family are .so
# links to it, so `man ks_cache_free` finds ks_cache_create(3).
dist_man_MANS += \
	man/kslab.1 man/kslab.3 man/kslab.7 \
	man/ks_cache_create.3 man/ks_cache_alloc.3 man/ks_cache_zalloc.3 man/ks_cache_free.3 \
	man/ks_cache_shrink.3 man/ks_cache_destroy.3 \
	man/ks_cache_object_size.3 man/ks_cache_name.3 \
	man/ks_alloc_pages.3 man/ks_free_pages.3 man/ks_get_free_page.3 \
	man/ks_get_zeroed_page.3 man/ks_free_page.3 \
	man/ks_alloc_pages_exact.3 man/ks_free_pages_exact.3 man/ks_page_size.3 \
	man/ks_kmalloc.3 man/ks_kzalloc.3 man/ks_kcalloc.3 man/ks_krealloc.3 \
	man/ks_kfree.3 man/ks_ksize.3 \
	man/ks_vmalloc.3 man/ks_vzalloc.3 man/ks_vrealloc.3 man/ks_vfree.3 \
	man/ks_slabinfo.3 man/ks_stats_get.3 man/ks_check.3 man/ks_version.3 \
	man/ks_alloc_percpu.3 man/ks_free_percpu.3 man/ks_per_cpu_ptr.3 \
	man/ks_this_cpu_ptr.3 man/ks_percpu_sum.3 man/ks_nr_cpu_ids.3 \
	man/ks_pool_create.3 man/ks_pool_alloc.3 man/ks_pool_free.3 man/ks_pool_destroy.3

# Render every page with warnings as errors: `make man-check`.
man-check:
	@rc=0; for f in $(dist_man_MANS); do \
	  case $$f in man/*) ;; *) continue ;; esac; \
	  head -n1 $(srcdir)/$$f | grep -q '^\.so ' && continue; \
	  out=`groff -man -Tutf8 -ww -z $(srcdir)/$$f 2>&1`; \
	  if test -n "$$out"; then echo "$$f: $$out"; rc=1; fi; \
	done; test $$rc = 0 && echo "man pages: no warnings"; exit $$rc
.PHONY: man-check
