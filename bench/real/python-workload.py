# SPDX-License-Identifier: BSD-2-Clause
"""python-workload - an allocation-heavy Python program for bench/compare.sh.

Modelled on the pyperformance benchmarks that stress the allocator
(json_dumps/json_loads, nbody-free "dict/list churn", richards-like object
graphs): builds and discards dicts, lists, strings and small objects, round
trips JSON, sorts, and checks every result against a checksum, exiting 1 on
a mismatch.  Run it with PYTHONMALLOC=malloc so Python's small objects go to
the allocator under test instead of pymalloc's arenas.

usage: python3 python-workload.py [scale]
"""
import json
import sys
import zlib

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1


class Node:
    __slots__ = ("key", "left", "right", "payload")

    def __init__(self, key, payload):
        self.key = key
        self.left = None
        self.right = None
        self.payload = payload


def tree_insert(root, node):
    cur = root
    while True:
        if node.key < cur.key:
            if cur.left is None:
                cur.left = node
                return
            cur = cur.left
        else:
            if cur.right is None:
                cur.right = node
                return
            cur = cur.right


def tree_walk(root):
    out, stack, cur = [], [], root
    while stack or cur is not None:
        while cur is not None:
            stack.append(cur)
            cur = cur.left
        cur = stack.pop()
        out.append(cur.key)
        cur = cur.right
    return out


def lcg(seed):
    x = seed
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        yield x >> 33


def run_once(rep):
    crc = 0
    rnd = lcg(rep + 1)
    # 1. records: many small dicts and strings, JSON round trip
    records = []
    for i in range(30000):
        r = next(rnd)
        records.append({"id": i, "name": "user%d" % r, "tags": ["t%d" % (r % 7), "x" * (r % 40)],
                        "score": (r % 1000) / 10.0})
    text = json.dumps(records)
    back = json.loads(text)
    if back != records:
        sys.exit("python-workload: JSON round trip changed the data")
    crc = zlib.crc32(text.encode(), crc)
    # 2. dict churn: word counts with insertions and deletions
    counts = {}
    for rec in back:
        for t in rec["tags"]:
            counts[t] = counts.get(t, 0) + 1
        counts[rec["name"]] = rec["id"]
    for k in list(counts)[::3]:
        del counts[k]
    crc = zlib.crc32(repr(sorted(counts.items())).encode(), crc)
    # 3. an object graph: a binary tree of small objects, walked and dropped
    root = Node(1 << 31, b"")
    for _ in range(30000):
        k = next(rnd)
        tree_insert(root, Node(k, bytes(k % 64)))
    keys = tree_walk(root)
    if keys != sorted(keys):
        sys.exit("python-workload: tree walk out of order")
    crc = zlib.crc32(repr(keys[::100]).encode(), crc)
    # 4. string building and splitting
    parts = [str(next(rnd)) for _ in range(50000)]
    joined = ",".join(parts)
    if joined.split(",") != parts:
        sys.exit("python-workload: split(join(x)) != x")
    crc = zlib.crc32(joined.encode(), crc)
    return crc


# The checksums depend only on this program, never on the allocator.
EXPECTED = {0: 0x64e09e3e, 1: 0x0150d7a7}
first = [run_once(0), run_once(1)]
for rep in range(2, 2 + scale):
    if run_once(rep % 2) != first[rep % 2]:
        sys.exit("python-workload: run %d's checksum differs from the first" % rep)
print("python-workload: checksums %08x %08x" % (first[0], first[1]))
for parity in (0, 1):
    if EXPECTED[parity] is not None and first[parity] != EXPECTED[parity]:
        sys.exit("python-workload: checksum %08x, expected %08x" % (first[parity], EXPECTED[parity]))
print("METRIC python.checksum_ok 1 bool")
