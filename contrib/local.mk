# SPDX-License-Identifier: BSD-2-Clause
# rules for contrib/ (see the top Makefile.am)
#
# contrib/kslab-gdb.py: gdb commands (kslab-stats, kslab-slabinfo,
# kslab-check, kslab-version) that call the public introspection API.
# Installed in $(pkgdatadir) (share/kslab): `source` it in gdb.
dist_pkgdata_DATA = contrib/kslab-gdb.py

# gdb's auto-load: a two-line script named after the installed library's
# real file, under $(datadir)/gdb/auto-load plus the library's directory,
# that sources the helper when gdb loads the library.  With prefix /usr
# that is gdb's own auto-load directory; under another prefix, tell gdb
# with `add-auto-load-scripts-directory PREFIX/share/gdb/auto-load` (and
# `add-auto-load-safe-path` the same).
gdbautoloaddir = $(datadir)/gdb/auto-load$(libdir)
install-exec-hook: install-gdb-autoload
install-gdb-autoload:
	@real=`readlink -f "$(DESTDIR)$(libdir)/libkslab.so"`; \
	real=`basename "$$real"`; \
	$(MKDIR_P) "$(DESTDIR)$(gdbautoloaddir)" && \
	printf '%s\n' '# kslab: load the gdb helper with the library' \
	  'gdb.execute("source $(pkgdatadir)/kslab-gdb.py")' \
	  >"$(DESTDIR)$(gdbautoloaddir)/$$real-gdb.py"
uninstall-hook:
	rm -f "$(DESTDIR)$(gdbautoloaddir)"/libkslab.so*-gdb.py

# The top-level Quick start script (README.md); kept here so that the top
# Makefile.am stays untouched.  .ci/run is already in the top EXTRA_DIST.
EXTRA_DIST += build.sh
