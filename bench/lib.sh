# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# lib.sh - what bench/compare.sh and bench/callgrind.sh share: finding the
# build directory, the allocators to preload, and installing what a fresh
# Debian machine lacks.  Sourced, not run.

# The five allocators, in the order of every table.
# shellcheck disable=SC2034  # used by the scripts that source this
KSB_ALLOCATORS="kslab glibc jemalloc mimalloc tcmalloc"

ksb_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

ksb_multiarch() {
	local m
	m=$(gcc -print-multiarch 2>/dev/null || true)
	[ -n "$m" ] || m=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || true)
	[ -n "$m" ] || m="$(uname -m)-linux-gnu"
	echo "$m"
}

# ksb_find_builddir DIR: DIR if given, else the current directory if it is a
# configured build tree, else the source tree's parent build dirs.
ksb_find_builddir() {
	local d=${1:-}
	if [ -z "$d" ]; then
		if [ -f Makefile ] && grep -q '^PACKAGE = kslab' Makefile 2>/dev/null; then
			d=$PWD
		else
			ksb_die "not in a configured build tree: pass --builddir DIR"
		fi
	fi
	[ -f "$d/Makefile" ] || ksb_die "$d is not a configured build tree (no Makefile)"
	(cd "$d" && pwd)
}

# Allocators named on the command line (--with NAME=PATH.so): a peer built
# from its public sources, say mimalloc 3.x or snmalloc, beside Debian's.
declare -gA KSB_EXTRA=()

# ksb_add_extra NAME=PATH: register an allocator given with --with.
ksb_add_extra() {
	local name=${1%%=*} path=${1#*=}
	[ -n "$name" ] && [ "$name" != "$1" ] && [ -n "$path" ] ||
		ksb_die "--with wants NAME=PATH.so, not '$1'"
	case $path in /*) ;; *) path=$PWD/$path ;; esac
	KSB_EXTRA[$name]=$path
}

# ksb_preload_path NAME BUILDDIR: the library to preload for NAME, empty for
# glibc; exit status 1 (and the reason on stdout) when it is not there.
ksb_preload_path() {
	local name=$1 builddir=$2 lib ma
	ma=$(ksb_multiarch)
	if [ -n "${KSB_EXTRA[$name]:-}" ]; then
		lib=${KSB_EXTRA[$name]}
		[ -e "$lib" ] && { echo "$lib"; return 0; }
		echo "$lib not found"
		return 1
	fi
	case $name in
	glibc) echo ""; return 0 ;;
	kslab) lib=$builddir/.libs/libkslab.so ;;
	jemalloc) lib=/usr/lib/$ma/libjemalloc.so.2 ;;
	mimalloc) lib=/usr/lib/$ma/libmimalloc.so.2 ;;
	tcmalloc) lib=/usr/lib/$ma/libtcmalloc_minimal.so.4 ;;
	*) echo "unknown allocator"; return 1 ;;
	esac
	if [ -e "$lib" ]; then
		echo "$lib"
		return 0
	fi
	echo "$lib not found"
	return 1
}

# The Debian package that ships each allocator (for versions and install).
ksb_alloc_package() {
	case $1 in
	glibc) echo libc6 ;;
	jemalloc) echo libjemalloc2 ;;
	mimalloc) echo libmimalloc2.0 ;;
	tcmalloc) echo libtcmalloc-minimal4 ;;
	*) echo "" ;;
	esac
}

ksb_pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"
}

# ksb_install_missing PACKAGE...: as root on Debian, apt-get install the
# packages that are not installed; otherwise say which are missing.
ksb_install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing: ${missing[*]}"
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
			apt-get update -q >/dev/null || true
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
				echo "warning: could not install ${missing[*]}; cases that need them will fail or be skipped" >&2
		fi
	else
		echo "warning: not installed (run as root to install): ${missing[*]}" >&2
	fi
}
