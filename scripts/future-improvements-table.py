#!/usr/bin/env python3
"""Tables of docs/future-improvements.md from two output directories: each
policy's paired change against no policy (same architecture, workload and
replication: common random numbers), mean and 95% Student-t interval over
the replications, the practical policy beside its oracle (ceiling).

usage: scripts/future-improvements-table.py output/future-improvements output/future-improvements-ceilings
"""
import csv, math, sys
from collections import defaultdict

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 9: 2.262}
METRICS = [("latency_mean_ms", "mean (ms)", 1), ("latency_p50_ms", "p50 (ms)", 1),
           ("latency_p99_ms", "p99 (ms)", 1), ("cold_start_fraction", "cold starts (%)", 100),
           ("delegated_fraction", "delegated (%)", 100), ("memory_gb_s", "memory (GB-s)", 1),
           ("cost_usd_month", "cost ($/month)", 1)]

def rows(path):
    with open(path + "/runs.csv") as f:
        return list(csv.DictReader(f))

def key_cols(r):
    return r.get("workload.tenants", ""), r["architecture"], r["runtime_wasm_compile"]

def label(r):
    a = r["architecture"]
    return f"lazy ({r['runtime_wasm_compile']})" if a == "lazy" else a

def fmt(x, scale):
    v = x * scale
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}" if abs(v) >= 10 or v == 0 else f"{v:.2f}"

def diff_ci(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, 0.0
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, T975.get(n - 1, 2.0) * sd / math.sqrt(n)

def table(all_rows, policies_order):
    by = defaultdict(dict)
    for r in all_rows:
        by[(key_cols(r), r["policy"])][int(r["replication"])] = r
    out = []
    for tenants in sorted({k[0][0] for k in by}, key=lambda t: int(t or 0)):
        out.append(f"\n### {int(tenants):,} tenants\n")
        out.append("| architecture | policy | " + " | ".join(m[1] for m in METRICS) + " |")
        out.append("|---|---|" + "---|" * len(METRICS))
        archs = []
        for (k, p) in by:
            if k[0] == tenants and k not in archs:
                archs.append(k)
        order = {"traditional": 0, "hybrid": 1, "thin": 2, "lazy": 3}
        archs.sort(key=lambda k: (order[k[1]], k[2]))
        for k in archs:
            base = by.get((k, "none"))
            for p in policies_order:
                cur = by.get((k, p))
                if not cur or not base:
                    continue
                reps = sorted(set(cur) & set(base))
                cells = []
                for col, _, scale in METRICS:
                    mean = sum(float(cur[i][col] or 0) for i in reps) / len(reps)
                    if p == "none":
                        cells.append(fmt(mean, scale))
                    else:
                        d, ci = diff_ci([float(cur[i][col] or 0) - float(base[i][col] or 0) for i in reps])
                        cells.append(f"{fmt(mean, scale)} ({'+' if d * scale >= 0 else ''}{fmt(d, scale)} ± {fmt(ci, scale)})")
                out.append(f"| {label(cur[reps[0]])} | {p} | " + " | ".join(cells) + " |")
    return "\n".join(out)

practical = rows(sys.argv[1])
ceilings = [r for r in rows(sys.argv[2]) if r["policy"] != "none"]
order = []
for r in practical + ceilings:
    if r["policy"] not in order:
        order.append(r["policy"])
# Each practical policy directly followed by its oracle.
ordered = []
for p in order:
    if p.endswith("_oracle") or "oracle" in p:
        continue
    ordered.append(p)
    twin = "+".join(x + "_oracle" if x in ("prewarm", "smart_delegation", "tiered_cache") else x for x in p.split("+"))
    if twin != p and twin in order:
        ordered.append(twin)
for p in order:
    if p not in ordered:
        ordered.append(p)
print(table(practical + ceilings, ordered))
