"""Summarises bench/compare_commits.sh output: medians, ranges and new/old ratios per row."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(lambda: {"old": [], "new": []})
order = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    key = (d["kind"], d["label"])
    if key not in rows:
        order.append(key)
    rows[key][d["side"]].append(d)


def fmt(vals):
    return f"{statistics.median(vals):,.0f} ({min(vals):,.0f}–{max(vals):,.0f})"


print("| row | n | metric | old median (range) | new median (range) | new ÷ old | paired ratios (min–median–max) |")
print("|---|---:|---|---:|---:|---:|---:|")
for key in order:
    old, new = rows[key]["old"], rows[key]["new"]
    for metric in ("tokens_per_cpu_s", "tokens_per_s"):
        o = [r[metric] for r in old]
        n = [r[metric] for r in new]
        ratio = statistics.median(n) / statistics.median(o)
        # Pair by round: old and new of one round ran back to back.
        po = {r["round"]: r[metric] for r in old}
        pn = {r["round"]: r[metric] for r in new}
        paired = sorted(pn[k] / po[k] for k in po if k in pn)
        pr = f"{paired[0]:.3f}–{statistics.median(paired):.3f}–{paired[-1]:.3f}" if paired else "–"
        print(f"| {key[0]} {key[1]} | {len(o)}/{len(n)} | {metric} | {fmt(o)} | {fmt(n)} | {ratio:.3f} | {pr} |")
