#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report.py - turn bench/compare.sh's raw runs into bench/results/RESULTS.md
and the gnuplot script for the ratio chart.

Reads RAW/runs.tsv (one line per run: case, group, allocator, rep, status,
code, wall seconds, peak RSS in KiB, CPU seconds, minor faults, checksum of
the output or -) and RAW/metrics.tsv (the METRIC lines the workloads print),
plus RAW/machine.md, RAW/cases.md, RAW/skipped.md and an optional callgrind
table.  A cell is the median over the repetitions; a cell any of whose runs
failed, or printed other output than glibc's, is FAIL, with the reason.
Ratios are to glibc; the geometric mean of an allocator is over the cases
it passed that glibc passed too, and says so when that is not all of them;
each group of cases (real programs, workloads) has its own.
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
group_of = {}
for r in runs:
    if r["case"] not in cases:
        cases.append(r["case"])
        group_of[r["case"]] = r.get("group", "w")
GROUPS = [("r", "real programs"), ("w", "workloads")]
# real programs first, as users judge an allocator by them
cases.sort(key=lambda c: [g for g, _ in GROUPS].index(group_of[c]))

by = collections.defaultdict(list)
for r in runs:
    by[(r["case"], r["allocator"])].append(r)

# The output every allocator must print: glibc's (its most common checksum).
want_out = {}
for c in cases:
    sums = [r.get("out", "-") for r in by.get((c, base), []) if r["status"] == "ok"]
    sums = [x for x in sums if x != "-"]
    if sums:
        want_out[c] = collections.Counter(sums).most_common(1)[0][0]

FIELDS = ("wall", "maxrss_kb", "cpu", "minflt")   # the columns of a cell
SCALE = (1.0, 1 / 1024.0, 1.0, 1.0)               # RSS in MiB


def cell(c, a):
    """(wall, rss_mib, cpu, minflt, failure text or None)"""
    rs = by.get((c, a), [])
    if not rs:
        return None, None, None, None, "FAIL (no run)"
    bad = [r for r in rs if r["status"] != "ok"]
    if bad:
        r = bad[0]
        what = {"signal": "signal %s" % r["code"], "exit": "exit %s" % r["code"],
                "timeout": "timeout"}.get(r["status"], r["status"])
        return None, None, None, None, "FAIL (%s, %d/%d runs)" % (what, len(bad), len(rs))
    if c in want_out:
        diff = [r for r in rs if r.get("out", "-") != want_out[c]]
        if diff:
            return None, None, None, None, "FAIL (output differs from glibc's, %d/%d runs)" % (
                len(diff), len(rs))
    vals = [statistics.median(float(r.get(f) or 0) for r in rs) * k for f, k in zip(FIELDS, SCALE)]
    return vals[0], vals[1], vals[2], vals[3], None


table = {(c, a): cell(c, a) for c in cases for a in allocs}
FAILED = 4


def spread(c, a, i):
    """min and max over the reps of the ratio of a rep to glibc's rep of the
    same round (interleaved, so the two met the same machine)"""
    f, k = FIELDS[i], SCALE[i]
    mine = {r["rep"]: float(r.get(f) or 0) * k for r in by.get((c, a), [])}
    theirs = {r["rep"]: float(r.get(f) or 0) * k for r in by.get((c, base), [])}
    rs = [mine[p] / theirs[p] for p in mine if p in theirs and theirs[p] > 0 and mine[p] > 0]
    return (min(rs), max(rs)) if rs else (None, None)


def fmt_time(t):
    return "%.3f" % t if t < 10 else "%.2f" % t


def fmt_mib(m):
    return "%.1f" % m if m < 100 else "%.0f" % m


def fmt_count(v):
    return "%.0f" % v if v < 10000 else "%.0fk" % (v / 1000.0)


def ratio(c, a, i):
    v, b = table[(c, a)][i], table[(c, base)][i] if base in allocs else None
    if v is None or b is None or b <= 0:
        return None
    return v / b


def geomean(a, i, group=None):
    cs = [c for c in cases if group is None or group_of[c] == group]
    rs = [ratio(c, a, i) for c in cs]
    ok = [r for r in rs if r is not None and r > 0]
    if not ok:
        return None, 0, len(cs)
    return math.exp(sum(math.log(r) for r in ok) / len(ok)), len(ok), len(cs)


def geo_spread(a, i, group=None):
    """the lowest and highest, over the rounds, of the geometric mean of
    one round's ratios (each case's run of that round over glibc's run of
    the same round), over the cases the allocator passed"""
    f, k = FIELDS[i], SCALE[i]
    cs = [c for c in cases if (group is None or group_of[c] == group) and
          table[(c, a)][FAILED] is None and table[(c, base)][FAILED] is None]
    per_rep = collections.defaultdict(list)
    for c in cs:
        mine = {r["rep"]: float(r.get(f) or 0) * k for r in by.get((c, a), [])}
        theirs = {r["rep"]: float(r.get(f) or 0) * k for r in by.get((c, base), [])}
        for p in mine:
            if p in theirs and theirs[p] > 0 and mine[p] > 0:
                per_rep[p].append(mine[p] / theirs[p])
    gs = [math.exp(sum(math.log(r) for r in rs) / len(rs))
          for rs in per_rep.values() if len(rs) == len(cs) and rs]
    return (min(gs), max(gs)) if len(gs) > 1 else (None, None)


def geo_row(label, i, group=None):
    g = []
    for a in allocs:
        m, n, total = geomean(a, i, group)
        if m is None:
            g.append("-")
            continue
        cell = "**%.2fx**" % m
        lo, hi = geo_spread(a, i, group) if a != base else (None, None)
        if lo is not None:
            cell += " (%.2f-%.2f)" % (lo, hi)
        if n != total:
            cell += " (%d of %d)" % (n, total)
        g.append(cell)
    return "| %s | %s |" % (label, " | ".join(g))


def section(title, i, fmt, unit):
    lines = ["### %s" % title, "",
             "| case | " + " | ".join(allocs) + " |",
             "|---|" + "---:|" * len(allocs)]
    for gid, gname in GROUPS:
        cs = [c for c in cases if group_of[c] == gid]
        if not cs:
            continue
        lines.append("| *%s* |%s" % (gname, " |" * len(allocs)))
        for c in cs:
            cells = []
            for a in allocs:
                v = table[(c, a)]
                if v[FAILED]:
                    cells.append("**%s**" % v[FAILED])
                    continue
                r = ratio(c, a, i)
                s = fmt(v[i])
                if r is not None and a != base:
                    s += " (%.2fx)" % r
                cells.append(s)
            lines.append("| %s | %s |" % (c, " | ".join(cells)))
    if base in allocs:
        for gid, gname in GROUPS:
            if any(group_of[c] == gid for c in cases):
                lines.append(geo_row("geometric mean, %s" % gname, i, gid))
        lines.append(geo_row("geometric mean, all", i))
    lines.append("")
    lines.append("Median of %d runs, %s; in brackets the ratio to glibc (lower is better). "
                 "Beside a geometric mean, the lowest and highest geometric mean of one "
                 "round's ratios: where two allocators' ranges overlap, the rounds do not "
                 "tell them apart." % (args.reps, unit))
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
out.append("## Time, memory and page faults")
out.append("")
out.append("Wall time of the whole case, its CPU time (user + system, of every process of the case), "
           "its peak resident set (`ru_maxrss` from wait4: the largest process of the case) and "
           "its minor page faults, with the allocator preloaded (LD_PRELOAD). **FAIL** is a crash, "
           "a wrong result (the workloads check their own; a real program's output must be "
           "glibc's) or a timeout.")
out.append("")
out += section("Wall time (s)", 0, fmt_time, "seconds")
out += section("CPU time, user + system (s)", 2, fmt_time, "seconds")
out += section("Peak RSS (MiB)", 1, fmt_mib, "MiB")
out += section("Minor page faults", 3, fmt_count, "faults")
out.append("![ratios to glibc](ratios.png)")
out.append("")
out.append("The chart: each bar is the median ratio to glibc, its whisker the lowest and highest "
           "ratio of one round's run to glibc's run of the same round; the geometric means "
           "stand apart on the right.")
out.append("")
if "kslab" in allocs and len(allocs) > 1:
    rows = []
    for c in cases:
        k = table[(c, "kslab")]
        if k[FAILED]:
            rows.append("| %s | %s | | | |" % (c, k[FAILED]))
            continue
        cells, behind = [], False
        for i, what in ((0, "time"), (1, "RSS")):
            rivals = [(table[(c, a)][i], a) for a in allocs if a != "kslab" and not table[(c, a)][FAILED]]
            if not rivals:
                cells += ["-", "-"]
                continue
            best, who = min(rivals)
            g = table[(c, base)][i] if base in allocs and not table[(c, base)][FAILED] else None
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
            if table.get((key[0], a), (None,) * 4 + ("x",))[FAILED] or not vs:
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
out.append("| case | group | command (paths relative to the build or source tree) |")
out.append("|---|---|---|")
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

# The chart: clustered bars of the time and RSS ratios per case, with the
# spread of the rounds as whiskers, the real programs, then the workloads,
# then the geometric means, each apart; the axis fits the data.
others = [a for a in allocs if a != base]
dat = os.path.join(args.raw, "ratios.dat")
rows = []
for gid, gname in GROUPS:
    cs = [c for c in cases if group_of[c] == gid]
    if cs:
        rows += [(c, c) for c in cs] + [("", None)]
rows += [("geomean %s" % n.split()[0], ("geo", g)) for g, n in GROUPS
         if any(group_of[c] == g for c in cases)] + [("geomean all", ("geo", None))]
vals = ([], [])                 # time ratios, RSS ratios: each panel's axis
with open(dat, "w") as f:
    f.write("# case " + " ".join("t_%s t_lo t_hi r_%s r_lo r_hi" % (a, a) for a in others) + "\n")
    for label, what in rows:
        row = ['"%s"' % label]
        for a in others:
            for i in (0, 1):
                if what is None:
                    row += ["NaN"] * 3
                    continue
                if isinstance(what, tuple):
                    v = geomean(a, i, what[1])[0]
                    lo = hi = v
                else:
                    v = ratio(what, a, i)
                    lo, hi = spread(what, a, i)
                    if v is None:
                        lo = hi = None
                for x in (v, lo, hi):
                    row.append("%.4f" % x if x is not None else "NaN")
                    if x is not None:
                        vals[i].append(x)
        f.write(" ".join(row) + "\n")
png = os.path.join(args.out, "ratios.png")


def axis(vs):
    """a log2 range that holds VS and 1 with a little room, and its ticks"""
    lo = min(vs) if vs else 0.5
    hi = max(vs) if vs else 2.0
    ymin = 2 ** math.floor(math.log2(min(lo, 0.9)) - 0.25)
    ymax = 2 ** math.ceil(math.log2(max(hi, 1.1)) + 0.25)
    ticks = []
    e = math.floor(math.log2(ymin))
    while 2 ** e <= ymax:
        v = 2.0 ** e
        ticks.append("'%s' %g" % (("1/%d" % round(1 / v)) if v < 1 else "%g" % v, v))
        e += 1
    return "set yrange [%g:%g]\nset ytics (%s)\n" % (ymin, ymax, ", ".join(ticks)), ymin


axis_t, ymin_t = axis(vals[0])
axis_r, ymin_r = axis(vals[1])
# A failed cell gets a red FAIL where its bar would be.
labels = []
for i, (label, what) in enumerate(rows):
    if not isinstance(what, str):
        continue
    for k, a in enumerate(others):
        if table[(what, a)][FAILED] or table[(what, base)][FAILED]:
            x = i + (k - (len(others) - 1) / 2.0) / (len(others) + 1)
            labels.append("set label 'FAIL' at %.3f,graph 0.03 rotate by 90 textcolor rgb 'red' front"
                          % x)
fail_labels = "\n".join(labels)
gp = os.path.join(args.raw, "ratios.gp")
with open(gp, "w") as f:
    f.write("""set terminal pngcairo size 1600,1000 noenhanced font ',10'
set output '%s'
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set grid ytics
set xtics rotate by -35
set logscale y 2
%s
set multiplot layout 2,1 title 'kslab bench: ratio to glibc (log scale, lower is better; real programs, workloads, geometric means)'
set title 'wall time'
%splot """ % (png, fail_labels, axis_t))
    f.write(", ".join("'%s' using %d:%d:%d:xtic(1) title '%s'" % (dat, 2 + 6 * k, 3 + 6 * k, 4 + 6 * k, a)
                      for k, a in enumerate(others)))
    f.write(", 1 with lines lt -1 notitle\n")
    f.write("set title 'peak RSS'\n" + axis_r + "plot ")
    f.write(", ".join("'%s' using %d:%d:%d:xtic(1) title '%s'" % (dat, 5 + 6 * k, 6 + 6 * k, 7 + 6 * k, a)
                      for k, a in enumerate(others)))
    f.write(", 1 with lines lt -1 notitle\nunset multiplot\n")
print("report: wrote %s" % res)
