#!/usr/bin/env python3
"""The report of bench/segments.sh: medians, ratios and target verdicts, as Markdown, from its
RESULT lines. Usage: segments-report.py results.txt"""
import statistics
import sys
from collections import defaultdict


def parse(path):
    info, rows = [], []
    for line in open(path):
        line = line.strip()
        if line.startswith("INFO "):
            info.append(line[5:])
        elif line.startswith("RESULT "):
            d = {}
            for tok in line[7:].split():
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    d[k] = v
            rows.append(d)
    return info, rows


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(x, nd=2):
    return "–" if x is None else f"{x:.{nd}f}"


info, rows = parse(sys.argv[1])
ok = [r for r in rows if r.get("ok") == "1"]
bad = [r for r in rows if r.get("ok") == "0"]
MiB = 1048576

walls = defaultdict(list)
extra = defaultdict(lambda: defaultdict(list))
for r in ok:
    if "wall_s" not in r:
        continue
    key = (r["case"], r["scenario"], r.get("file", ""), r["contender"])
    walls[key].append(float(r["wall_s"]))
    for k in ("conns", "reqs", "slow_conns", "peak", "span_s", "cpu_s", "rss_mib"):
        if k in r:
            extra[key][k].append(float(r[k]))


def m(case, sc, file, c):
    return med(walls.get((case, sc, file, c), []))


def size_of(file):
    try:
        return int(file.split("-")[1].split(".")[0]) * MiB
    except (IndexError, ValueError):
        return None


def table(case, sc, file, contenders=None):
    out = ["| contender | runs | median s | [min–max] | MB/s | conns | requests | most at once | server span s | CPU s | max RSS MiB |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = [k for k in walls if k[0] == case and k[1] == sc and k[2] == file]
    if contenders:
        keys = [(case, sc, file, c) for c in contenders if (case, sc, file, c) in walls]
    size = size_of(file)
    for k in keys:
        w = walls[k]
        e = extra[k]
        mbps = size / 1e6 / med(w) if size else None
        out.append(f"| {k[3]} | {len(w)} | {fmt(med(w))} | [{fmt(min(w))}–{fmt(max(w))}] | {fmt(mbps, 1)} | "
                   f"{fmt(med(e['conns']), 0)} | {fmt(med(e['reqs']), 0)} | {fmt(med(e['peak']), 0)} | {fmt(med(e['span_s']))} | {fmt(med(e['cpu_s']))} | "
                   f"{fmt(med(e['rss_mib']), 0)} |")
    return "\n".join(out)


verdicts = []


def verdict(name, value, target, good):
    if value is None:
        verdicts.append(f"| {name} | – | {target} | not measured |")
    else:
        v = "reference" if target.startswith("(") else ("met" if good(value) else "MISSED")
        verdicts.append(f"| {name} | {value:.3f} | {target} | {v} |")


print("- " + "\n- ".join(info))
print()
if bad:
    print("### Failed runs")
    print()
    for r in bad:
        print("- " + " ".join(f"{k}={v}" for k, v in r.items()))
    print()

big = sorted({k[2] for k in walls if k[0] in ("1", "2", "3")})
jdks = sorted({k[3].split("-")[1] for k in walls if k[3].startswith("haul-")}, reverse=True)
for file in big:
    if any(k[0] == "1" and k[2] == file for k in walls):
        print(f"### Case 1: {file}, every connection capped (s, median of the runs)")
        print()
        print(table("1", "cap", file))
        print()
        for j in jdks:
            x1, x8, auto = m("1", "cap", file, f"haul-{j}-x1"), m("1", "cap", file, f"haul-{j}-x8"), \
                m("1", "cap", file, f"haul-{j}-auto")
            if x1 is None:
                continue
            verdict(f"JDK {j}: 8 connections / 1 connection (speed)", x1 / x8 if x8 else None, "≥ 7", lambda v: v >= 7)
            fixed = [(m("1", "cap", file, f"haul-{j}-x{n}"), n) for n in (1, 2, 4, 8, 16)]
            fixed = [f for f in fixed if f[0] is not None]
            best = min(fixed)
            verdict(f"JDK {j}: auto / best fixed (x{best[1]}) (speed)", best[0] / auto if auto else None, "≥ 0.90",
                    lambda v: v >= 0.90)
            for other in ("aria2c-x8", "axel-n8"):
                o = m("1", "cap", file, other)
                verdict(f"JDK {j}: haul -x 8 vs {other} (speed, {other} time / haul time)",
                        o / x8 if (o and x8) else None, "≥ 1.00", lambda v: v >= 1.0)
                verdict(f"JDK {j}: haul -x auto vs {other} (speed)", o / auto if (o and auto) else None, "(reference)",
                        lambda v: v >= 1.0)
    if any(k[0] == "2" and k[2] == file for k in walls):
        print(f"### Case 2: {file}, 8 connections, one capped to a tenth (uneven) vs all equal (even)")
        print()
        for sc in ("even", "uneven"):
            print(f"{sc}:")
            print()
            print(table("2", sc, file))
            print()
        for c in sorted({k[3] for k in walls if k[0] == "2" and k[2] == file}):
            e, u = m("2", "even", file, c), m("2", "uneven", file, c)
            if c.endswith("-auto"):
                e = m("2", "even", file, c.replace("-auto", "-x8"))
            if e and u:
                haul8 = c.startswith("haul-") and c.endswith("-x8")
                verdict(f"{c}: uneven / even{' (x8)' if c.endswith('-auto') else ''} (time)", u / e,
                        "≤ 1.15" if haul8 else "(reference)", lambda v: v <= 1.15)
        sl = [r for r in ok if r["case"] == "2" and r["scenario"] == "uneven"]
        if sl:
            print("Slow connections seen per uneven run (nginx log): " + ", ".join(
                f"{r['contender']}={r.get('slow_conns')}/{r.get('conns')}" for r in sl))
            print()
    if any(k[0] == "3" and k[2] == file for k in walls):
        print(f"### Case 3: {file}, uncapped loopback")
        print()
        print(table("3", "free", file))
        print()
        for j in jdks:
            x1, auto = m("3", "free", file, f"haul-{j}-x1"), m("3", "free", file, f"haul-{j}-auto")
            if x1 and auto:
                verdict(f"JDK {j}: uncapped, auto / x1 (time)", auto / x1, "≤ 1.00 (no slower)", lambda v: v <= 1.0)

mem = [r for r in rows if r.get("case") == "4"]
if mem:
    print("### Case 4: memory of a 16-connection download to a stream")
    print()
    print("| scenario | contender | ok | s | MB/s | peak heap in use MiB | max heap after GC MiB | peak direct MiB | direct buffers | max RSS MiB | max active conns |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in mem:
        print(f"| {r['scenario']} | {r['contender']} | {r.get('ok', '–')} | {r.get('seconds', r.get('wall_s', '–'))} | "
              f"{r.get('mbps', '–')} | {r.get('peak_heap_used_mib', '–')} | {r.get('heap_after_gc_max_mib', '–')} | "
              f"{r.get('peak_direct_mib', '–')} | {r.get('peak_direct_count', '–')} | {r.get('rss_mib', '–')} | "
              f"{r.get('max_active', r.get('conns', '–'))} |")
    print()

files5 = sorted({k[2] for k in walls if k[0] == "5"}, key=lambda f: size_of(f) or 0)
if files5:
    print("### Case 5: the split threshold (s, median; ratio = time / haul -x 1's)")
    print()
    cs = sorted({k[3] for k in walls if k[0] == "5"}, key=lambda c: ("x1" not in c, "k1M" in c, c))
    print("| server | file | " + " | ".join(cs) + " |")
    print("|---|---|" + "---|" * len(cs))
    for sc in ("cap", "free"):
        for f in files5:
            base = m("5", sc, f, cs[0])
            cells = []
            for c in cs:
                v = m("5", sc, f, c)
                cells.append("–" if v is None else f"{v:.2f} ({v / base:.2f}) c={fmt(med(extra[('5', sc, f, c)]['conns']), 0)}")
            print(f"| {sc} | {f} | " + " | ".join(cells) + " |")
    print()

if verdicts:
    print("### Targets")
    print()
    print("| target | value | wanted | verdict |")
    print("|---|---|---|---|")
    print("\n".join(verdicts))
