# SPDX-License-Identifier: BSD-2-Clause
# rules for contrib/ (see the top Makefile.am)
#
# contrib/kslab-gdb.py: gdb commands (kslab-stats, kslab-slabinfo,
# kslab-check, kslab-version) that call the public introspection API.
# Installed in $(pkgdatadir) (share/kslab): `source` it in gdb.
dist_pkgdata_DATA = contrib/kslab-gdb.py

# The top-level Quick start script (README.md); kept here so that the top
# Makefile.am stays untouched.  .ci/run is already in the top EXTRA_DIST.
EXTRA_DIST += build.sh
