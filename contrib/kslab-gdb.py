# SPDX-License-Identifier: BSD-2-Clause
# kslab-gdb.py - gdb commands to look inside kslab in a live or stopped process.
#
#   (gdb) source /usr/local/share/kslab/kslab-gdb.py   (installed by make install;
#                                contrib/kslab-gdb.py in the source tree)
#   (gdb) kslab-version          the loaded library's version (ks_version)
#   (gdb) kslab-stats            the totals of struct ks_stats (ks_stats_get)
#   (gdb) kslab-slabinfo [FD]    the slabinfo table (ks_slabinfo), printed here
#                                in gdb; with FD, written by the process to FD
#   (gdb) kslab-check            the number of broken invariants (ks_check)
#
# Each command calls the public function in the inferior, so it needs only the
# library's dynamic symbols, no debug information.  None of them allocates in
# the inferior (kslab-stats borrows a page with mmap), but the functions take
# kslab's locks: if the process is stopped inside kslab holding one, a call may
# block; interrupt it with Ctrl-C and gdb unwinds the call.

import gdb

# struct ks_stats in include/kslab.h: nine size_t fields, in this order.
KS_STATS_FIELDS = ("mapped", "page_free", "slab_bytes", "slab_active",
                   "large_bytes", "large_count", "metadata", "nr_caches",
                   "nr_threads")
BYTE_FIELDS = {"mapped", "page_free", "slab_bytes", "slab_active",
               "large_bytes", "metadata"}


def call(expr):
    return gdb.parse_and_eval(expr)


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


class KslabCommand(gdb.Command):
    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)

    def need_process(self):
        if gdb.selected_inferior().pid == 0:
            raise gdb.GdbError("no process: run or attach first")


class KslabVersion(KslabCommand):
    """Print the version of the kslab library loaded in the process."""

    def __init__(self):
        super().__init__("kslab-version")

    def invoke(self, arg, from_tty):
        self.need_process()
        v = call("(const char *) ks_version()")
        gdb.write("kslab %s\n" % v.string())


class KslabStats(KslabCommand):
    """Print kslab's totals (struct ks_stats, from ks_stats_get)."""

    def __init__(self):
        super().__init__("kslab-stats")

    def invoke(self, arg, from_tty):
        self.need_process()
        ptr_size = gdb.lookup_type("long").sizeof
        size = len(KS_STATS_FIELDS) * ptr_size
        # PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
        buf = int(call("(long) mmap(0, 4096, 3, 0x22, -1, 0)"))
        if buf in (-1, 0):
            raise gdb.GdbError("mmap in the process failed")
        try:
            rc = int(call("(int) ks_stats_get((void *) %d)" % buf))
            if rc != 0:
                raise gdb.GdbError("ks_stats_get returned %d" % rc)
            raw = bytes(gdb.selected_inferior().read_memory(buf, size))
        finally:
            call("(int) munmap((void *) %d, 4096)" % buf)
        order = "little" if "little" in gdb.execute(
            "show endian", to_string=True) else "big"
        for i, name in enumerate(KS_STATS_FIELDS):
            n = int.from_bytes(raw[i * ptr_size:(i + 1) * ptr_size], order)
            extra = "  (%s)" % human(n) if name in BYTE_FIELDS else ""
            gdb.write("%-12s %15d%s\n" % (name, n, extra))


class KslabSlabinfo(KslabCommand):
    """Print the process's slabinfo table here (or make it write it to FD).

The process writes the table (ks_slabinfo) into a memory file it opens for
the purpose (memfd_create); gdb reads it back through /proc/PID/fd and
prints it, and the process closes it.  With FD, the process writes to FD."""

    def __init__(self):
        super().__init__("kslab-slabinfo")

    def invoke(self, arg, from_tty):
        self.need_process()
        if arg.strip():
            fd = int(arg.strip())
            rc = int(call("(int) ks_slabinfo(%d)" % fd))
            if rc != 0:
                raise gdb.GdbError("ks_slabinfo(%d) returned %d" % (fd, rc))
            return
        pid = gdb.selected_inferior().pid
        # memfd_create is a system call (319 on x86-64, 279 on aarch64); call
        # it through syscall(2) so that an old libc without the wrapper works
        nr = 279 if "aarch64" in gdb.execute("show architecture",
                                             to_string=True) else 319
        # the name goes in a page borrowed with mmap: a string literal
        # would make gdb call malloc in the process
        buf = int(call("(long) mmap(0, 4096, 3, 0x22, -1, 0)"))
        if buf in (-1, 0):
            raise gdb.GdbError("mmap in the process failed")
        gdb.selected_inferior().write_memory(buf, b"kslab-gdb\0")
        fd = int(call("(int) syscall(%d, (const char *) %d, 1)" % (nr, buf)))
        call("(int) munmap((void *) %d, 4096)" % buf)
        if fd < 0:
            raise gdb.GdbError("memfd_create in the process failed")
        try:
            rc = int(call("(int) ks_slabinfo(%d)" % fd))
            if rc != 0:
                raise gdb.GdbError("ks_slabinfo returned %d" % rc)
            with open("/proc/%d/fd/%d" % (pid, fd), "r") as f:
                gdb.write(f.read())
        finally:
            call("(int) close(%d)" % fd)


class KslabCheck(KslabCommand):
    """Check every layer's invariants (ks_check); print how many are broken."""

    def __init__(self):
        super().__init__("kslab-check")

    def invoke(self, arg, from_tty):
        self.need_process()
        n = int(call("(int) ks_check()"))
        gdb.write("kslab: %d broken invariant%s\n" % (n, "" if n == 1 else "s"))


KslabVersion()
KslabStats()
KslabSlabinfo()
KslabCheck()
