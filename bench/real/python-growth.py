# SPDX-License-Identifier: BSD-2-Clause
"""python-growth - Python containers that grow, for bench/compare.sh.

What pymalloc leaves to the system allocator even in its default mode:
list item arrays, dict tables, bytearrays and long strings, all of which
grow by realloc as a program appends to them.  Builds lists by append to
millions of items, dicts to hundreds of thousands of keys (deleting a
third of them), a bytearray by += and a set; then a dict of two million
entries, half popped again (the demo of ./build.sh), and checks every
result against a checksum that depends only on this program.

usage: python3 python-growth.py [scale]
"""
import sys
import zlib

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1


def run_once(rep):
    crc = 0
    # 1. many lists grown item by item, of every length
    lists = []
    for i in range(300):
        lst = []
        for j in range((i * 97 + rep) % 4000):
            lst.append(j ^ i)
        lists.append(lst)
    crc = zlib.crc32(repr([sum(x) for x in lists]).encode(), crc)
    # 2. one long list, then sorted copies of slices
    big = []
    for i in range(1_000_000):
        big.append((i * 2654435761) & 0xFFFFF)
    crc = zlib.crc32(repr(sorted(big[::50])[:1000]).encode(), crc)
    # 3. dicts grown key by key, a third deleted, grown again
    d = {}
    for i in range(300_000):
        d["k%d" % (i * 7919 % 300_007)] = i
    for k in list(d)[::3]:
        del d[k]
    for i in range(100_000):
        d[i] = str(i)
    crc = zlib.crc32(str(len(d)).encode() + repr(sorted(d.items(), key=str)[:200]).encode(), crc)
    # 4. a bytearray and a str built by appending
    buf = bytearray()
    for i in range(200_000):
        buf += b"%d," % (i * i % 1000003)
    s = ""
    for i in range(20_000):
        s += chr(65 + i % 26) * (i % 7)
    crc = zlib.crc32(bytes(buf), crc)
    crc = zlib.crc32(s.encode(), crc)
    # 5. a set grown and shrunk
    st = set()
    for i in range(200_000):
        st.add((i * 31) % 150_001)
    st -= set(range(0, 150_001, 2))
    crc = zlib.crc32(repr(sorted(st)[:500]).encode() + str(len(st)).encode(), crc)
    # 6. two million entries, half popped
    n = 2_000_000
    dd = {i: str(i) for i in range(n)}
    list(map(dd.pop, range(0, n, 2)))
    crc = zlib.crc32("".join(dd.values()).encode(), crc)
    return crc


first = run_once(0)
for rep in range(1, scale):
    if run_once(0) != first:
        sys.exit("python-growth: run %d's checksum differs from the first" % rep)
print("python-growth: checksum %08x" % first)
