#!/usr/bin/env python3
"""report.py - turn bench/compare.sh's raw runs into bench/results/RESULTS.md
and the gnuplot script for the ratio chart.

Reads RAW/runs.tsv (one line per run: case, allocator, rep, status, code,
wall seconds, peak RSS in KiB) and RAW/metrics.tsv (the METRIC lines the
workloads print), plus RAW/machine.md, RAW/cases.md, RAW/skipped.md and an
optional callgrind table.  A cell is the median over the repetitions; a cell
any of whose runs failed is FAIL, with the failing status.  Ratios are to
glibc; the geometric mean of an allocator is over the cases it passed that
glibc passed too, and says so when that is not all of them.
"""
import argparse
import collections
import math
import os
import statistics
import time

ap = argparse.ArgumentParser()
ap.add_argument("--raw", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--reps", type=int, required=True)
ap.add_argument("--allocators", required=True)
ap.add_argument("--command", required=True)
ap.add_argument("--invoked-by", default="")
ap.add_argument("--elapsed", type=int, default=0)
ap.add_argument("--callgrind")
args = ap.parse_args()

allocs = args.allocators.split()
base = "glibc"


def read_tsv(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


runs = read_tsv(os.path.join(args.raw, "runs.tsv"))
metrics = read_tsv(os.path.join(args.raw, "metrics.tsv"))
cases = []
for r in runs:
    if r["case"] not in cases:
        cases.append(r["case"])

by = collections.defaultdict(list)
for r in runs:
    by[(r["case"], r["allocator"])].append(r)


def cell(c, a):
    """(time, rss_mib, failure text or None)"""
    rs = by.get((c, a), [])
    if not rs:
        return None, None, "FAIL (no run)"
    bad = [r for r in rs if r["status"] != "ok"]
    if bad:
        r = bad[0]
        what = {"signal": "signal %s" % r["code"], "exit": "exit %s" % r["code"],
                "timeout": "timeout"}.get(r["status"], r["status"])
        return None, None, "FAIL (%s, %d/%d runs)" % (what, len(bad), len(rs))
    t = statistics.median(float(r["wall"]) for r in rs)
    m = statistics.median(float(r["maxrss_kb"]) for r in rs) / 1024.0
    return t, m, None


table = {(c, a): cell(c, a) for c in cases for a in allocs}


def fmt_time(t):
    return "%.3f" % t if t < 10 else "%.2f" % t


def fmt_mib(m):
    return "%.1f" % m if m < 100 else "%.0f" % m


def ratio(c, a, i):
    v, b = table[(c, a)][i], table[(c, base)][i] if base in allocs else None
    if v is None or b is None or b <= 0:
        return None
    return v / b


def geomean(a, i):
    rs = [ratio(c, a, i) for c in cases]
    ok = [r for r in rs if r is not None and r > 0]
    if not ok:
        return None, 0
    return math.exp(sum(math.log(r) for r in ok) / len(ok)), len(ok)


def section(title, i, fmt, unit):
    lines = ["### %s" % title, "",
             "| workload | " + " | ".join(allocs) + " |",
             "|---|" + "---:|" * len(allocs)]
    for c in cases:
        cells = []
        for a in allocs:
            v = table[(c, a)]
            if v[2]:
                cells.append("**%s**" % v[2])
                continue
            r = ratio(c, a, i)
            s = fmt(v[i])
            if r is not None and a != base:
                s += " (%.2fx)" % r
            cells.append(s)
        lines.append("| %s | %s |" % (c, " | ".join(cells)))
    if base in allocs:
        g = []
        for a in allocs:
            m, n = geomean(a, i)
            if m is None:
                g.append("-")
            else:
                g.append("**%.2fx**%s" % (m, "" if n == len(cases) else " (%d of %d)" % (n, len(cases))))
        lines.append("| geometric mean, ratio to glibc | %s |" % " | ".join(g))
    lines.append("")
    lines.append("Median of %d runs, %s; in brackets the ratio to glibc (lower is better)." % (args.reps, unit))
    lines.append("")
    return lines


def read(name):
    p = os.path.join(args.raw, name)
    return open(p).read().rstrip("\n") if os.path.exists(p) else ""


# Reported metrics: median per (case, metric, allocator).
mv = collections.defaultdict(list)
munit = {}
morder = []
for m in metrics:
    key = (m["case"], m["metric"])
    if key not in munit:
        morder.append(key)
    munit[key] = m["unit"]
    mv[(key, m["allocator"])].append(float(m["value"]))

out = []
out.append("# kslab benchmark results")
out.append("")
how = "`%s`" % args.command
if args.invoked_by:
    how = "`%s` in a build directory (it runs `%s`)" % (args.invoked_by, args.command)
out.append("Produced by %s on %s, "
           "%d repetitions of every case under every allocator, interleaved; %d s of runs."
           % (how, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.reps, args.elapsed))
out.append("Raw per-run data: `bench/results/raw/` (not in git).")
out.append("")
out.append("## Machine")
out.append("")
out.append(read("machine.md"))
skipped = read("skipped.md")
if skipped:
    out.append("")
    out.append(skipped)
out.append("")
out.append("## Time and peak RSS")
out.append("")
out.append("Wall time of the whole process and its peak resident set (`ru_maxrss` from wait4, "
           "the largest process of the case), with the allocator preloaded (LD_PRELOAD). "
           "**FAIL** is a crash, a wrong result (the workload checks its own) or a timeout.")
out.append("")
out += section("Wall time (s)", 0, fmt_time, "seconds")
out += section("Peak RSS (MiB)", 1, fmt_mib, "MiB")
out.append("![ratios to glibc](ratios.png)")
out.append("")
if "kslab" in allocs and len(allocs) > 1:
    rows = []
    for c in cases:
        k = table[(c, "kslab")]
        if k[2]:
            rows.append("| %s | %s | | | |" % (c, k[2]))
            continue
        cells, behind = [], False
        for i, what in ((0, "time"), (1, "RSS")):
            rivals = [(table[(c, a)][i], a) for a in allocs if a != "kslab" and not table[(c, a)][2]]
            if not rivals:
                cells += ["-", "-"]
                continue
            best, who = min(rivals)
            g = table[(c, base)][i] if base in allocs and not table[(c, base)][2] else None
            vs_g = k[i] / g if g else None
            limit = 1.10 if i == 1 else 1.0
            # RSS differences under 1 MiB are the noise of a tiny heap.
            slack = 1.0 if i == 1 else 0.0
            if vs_g is not None and vs_g > limit and k[i] - g > slack:
                behind = True
            if k[i] > best * limit and k[i] - best > slack:
                behind = True
            cells.append("%+.0f%%" % ((vs_g - 1) * 100) if vs_g is not None else "-")
            cells.append("%+.0f%% (%s)" % ((k[i] / best - 1) * 100, who))
        if behind:
            rows.append("| %s | %s |" % (c, " | ".join(cells)))
    out.append("## Where kslab is behind")
    out.append("")
    if rows:
        out.append("Cases where kslab is slower than glibc or than the fastest other allocator, or "
                   "uses more than 10% (and 1 MiB) more peak RSS than glibc or the leanest other allocator "
                   "(+ is worse for kslab).")
        out.append("")
        out.append("| workload | time vs glibc | time vs the fastest | RSS vs glibc | RSS vs the leanest |")
        out.append("|---|---:|---:|---:|---:|")
        out += rows
    else:
        out.append("None: kslab is at least as fast as every other allocator and within 10% of the "
                   "leanest peak RSS on every case.")
    out.append("")
if morder:
    out.append("## Reported metrics")
    out.append("")
    out.append("What the workloads print themselves (median of the runs that passed).")
    out.append("")
    out.append("| workload | metric | unit | " + " | ".join(allocs) + " |")
    out.append("|---|---|---|" + "---:|" * len(allocs))
    for key in morder:
        if munit[key] == "bool":
            continue
        cells = []
        for a in allocs:
            vs = mv.get((key, a))
            if table.get((key[0], a), (None, None, "x"))[2] or not vs:
                cells.append("-")
            else:
                cells.append("%.4g" % statistics.median(vs))
        out.append("| %s | %s | %s | %s |" % (key[0], key[1], munit[key], " | ".join(cells)))
    # Derived: how the thread-local pattern scales from 1 to 2 threads, how
    # far two processes that share nothing scale on this machine (its
    # ceiling: on a VM two CPUs may be one core's hyperthreads), and what
    # an allocator's two threads cost each other (2 threads / 2 processes).
    def ratio_row(num, den, label, what):
        kn, kd = (num, "threads-%s.mpairs" % num), (den, "threads-%s.mpairs" % den)
        if kn not in munit or kd not in munit:
            return
        cells = []
        for a in allocs:
            vn, vd = mv.get((kn, a)), mv.get((kd, a))
            cells.append("%.2f" % (statistics.median(vn) / statistics.median(vd)) if vn and vd else "-")
        out.append("| %s | %s | x | %s |" % (label, what, " | ".join(cells)))
    ratio_row("local-2t", "local-1t", "local-2t / local-1t", "throughput scaling, 2 threads over 1")
    ratio_row("local-2p", "local-1t", "local-2p / local-1t", "the machine's ceiling: 2 processes over 1")
    ratio_row("local-2t", "local-2p", "local-2t / local-2p", "2 threads over 2 processes (1.00: threads cost each other nothing)")
    out.append("")
if args.callgrind and os.path.exists(args.callgrind):
    out.append("## Instructions per malloc+free pair (callgrind)")
    out.append("")
    out.append(open(args.callgrind).read().rstrip("\n"))
    out.append("")
out.append("## Cases")
out.append("")
out.append("| workload | command (paths relative to the build or source tree) |")
out.append("|---|---|")
out.append(read("cases.md"))
out.append("")
out.append("## Notes")
out.append("")
out.append("<!-- NOTES -->")
out.append("")

os.makedirs(args.out, exist_ok=True)
res = os.path.join(args.out, "RESULTS.md")
# Keep a hand-written closing note across runs: whatever follows the NOTES
# marker in the previous file is carried over.
note = ""
if os.path.exists(res):
    old = open(res).read()
    if "<!-- NOTES -->" in old:
        note = old.split("<!-- NOTES -->", 1)[1].strip("\n")
text = "\n".join(out)
if note:
    text = text.replace("<!-- NOTES -->", "<!-- NOTES -->\n" + note)
with open(res, "w") as f:
    f.write(text.rstrip("\n") + "\n")

# The chart: clustered bars of time and RSS ratios per workload, two panels.
others = [a for a in allocs if a != base]
dat = os.path.join(args.raw, "ratios.dat")
with open(dat, "w") as f:
    f.write("# case " + " ".join("t_%s r_%s" % (a, a) for a in others) + "\n")
    for c in cases + ["geomean"]:
        row = [c]
        for a in others:
            for i in (0, 1):
                if c == "geomean":
                    v = geomean(a, i)[0]
                else:
                    v = ratio(c, a, i)
                row.append("%.4f" % v if v is not None else "NaN")
        f.write(" ".join(row) + "\n")
png = os.path.join(args.out, "ratios.png")
# A failed cell gets a red FAIL where its bar would be.
labels = []
for i, c in enumerate(cases):
    for k, a in enumerate(others):
        if table[(c, a)][2] or table[(c, base)][2]:
            x = i + (k - (len(others) - 1) / 2.0) / (len(others) + 1)
            labels.append("set label 'FAIL' at %.3f,0.04 rotate by 90 textcolor rgb 'red' front" % x)
fail_labels = "\n".join(labels)
gp = os.path.join(args.raw, "ratios.gp")
with open(gp, "w") as f:
    f.write("""set terminal pngcairo size 1400,900 noenhanced font ',10'
set output '%s'
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set grid ytics
set xtics rotate by -35
set logscale y 2
set yrange [0.03125:64]
set ytics ('1/32' 0.03125, '1/16' 0.0625, '1/8' 0.125, '1/4' 0.25, '1/2' 0.5, '1' 1, '2' 2, '4' 4, '8' 8, '16' 16, '32' 32, '64' 64)
%s
set multiplot layout 2,1 title 'kslab bench: ratio to glibc (log scale, lower is better)'
set title 'wall time'
plot """ % (png, fail_labels))
    f.write(", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, 2 + 2 * k, a) for k, a in enumerate(others)))
    f.write(", 1 with lines lt -1 notitle\n")
    f.write("set title 'peak RSS'\nplot ")
    f.write(", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, 3 + 2 * k, a) for k, a in enumerate(others)))
    f.write(", 1 with lines lt -1 notitle\nunset multiplot\n")
print("report: wrote %s" % res)
