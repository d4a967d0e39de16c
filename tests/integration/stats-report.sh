#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# stats-report.sh - the exit report of KSLAB_OPTIONS=stats, as text and as
# JSON, written to stats_file (with %p made the pid): the JSON parses and
# holds the totals, the kernel calls, the zones and the caches with slabs;
# the text names the options in effect, hides the caches without slabs and
# says how many it hid.  The program is sort, preloaded, sorting 20000 lines.
# Run from the top build directory (make check does).
set -u
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}
py=$(command -v python3) || { echo "SKIP: python3 is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

seq 20000 | sort -R >"$dir/in"
KSLAB_OPTIONS=stats=json,stats_file="$dir/r.%p.json" LD_PRELOAD=$lib \
	sort -n "$dir/in" >"$dir/out" 2>"$dir/err" || bad "sort failed under the preload"
cmp -s "$dir/out" <(seq 20000) || bad "sort's output is wrong"
[[ -s $dir/err ]] && bad "stderr is not empty: $(head -3 "$dir/err")"
json=$(ls "$dir"/r.*.json 2>/dev/null | head -1)
[[ -n $json ]] || bad "no r.<pid>.json was written"
if [[ -n $json ]]; then
	"$py" - "$json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
need = {"kslab", "pid", "options", "bytes", "kernel", "zones", "slab_caches",
        "large_blocks", "caches", "threads", "slab_nodes", "heap_window"}
missing = need - d.keys()
assert not missing, f"missing keys {missing}"
assert str(d["pid"]) in sys.argv[1], "the file is not named by the pid"
assert "stats=json" in d["options"], d["options"]
for k in ("mapped", "mapped_peak", "resident", "slabs", "slab_objects"):
    assert isinstance(d["bytes"][k], int) and d["bytes"][k] >= 0, k
assert d["bytes"]["mapped_peak"] >= d["bytes"]["mapped"] > 0
assert d["kernel"]["mmap"] >= 1
w = d["heap_window"]
# a window holds whole sections, and every carved byte is a mapped one
assert w["carved"] <= w["reserved"] and w["carved"] % (64 << 20) == 0, w
assert w["carved"] <= d["bytes"]["mapped"], w
caches = {c["name"]: c for c in d["slab_caches"]}
assert any(n.startswith("kmalloc-") for n in caches), "no kmalloc cache listed"
for c in d["slab_caches"]:
    assert c["active_objs"] <= c["num_objs"], c
    assert c["in_use"] + c["cached"] == c["active_objs"], c
    assert c["peak"] >= c["active_objs"], c
print(f"json ok: {len(caches)} caches, {d['bytes']['mapped']} bytes mapped")
PY
fi

KSLAB_OPTIONS=stats,stats_file="$dir/t.%p.txt" LD_PRELOAD=$lib \
	sort -n "$dir/in" >/dev/null 2>"$dir/err2" || bad "sort failed (text report)"
txt=$(ls "$dir"/t.*.txt 2>/dev/null | head -1)
if [[ -z $txt ]]; then
	bad "no t.<pid>.txt was written"
else
	grep -q '^kslab .* statistics (pid [0-9]*)$' "$txt" || bad "no heading in the text report"
	grep -q '^  options       stats=text,stats_file=' "$txt" || bad "no options line"
	grep -Eq '^  heap window +([0-9]+ bytes of address space, [0-9]+ carved|none)' "$txt" ||
		bad "no heap window line"
	grep -q '^  cache  *in use  *cached  *peak  *grown' "$txt" || bad "no caches table"
	grep -q '^# [0-9]* caches without slabs not shown$' "$txt" ||
		bad "the empty caches are not summed up"
	awk '/^slabinfo/ { on = 1; next } on && !/^#/ && $3 == 0 { print; exit 1 }' "$txt" ||
		bad "a cache without slabs is listed"
	echo "text ok: $(grep -c '^kmalloc-' "$txt") kmalloc caches listed"
fi
exit $fail
