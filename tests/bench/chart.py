#!/usr/bin/env python3
"""Draws the benchmark results (godot-project/bench/bench.gd's JSON) as a bar chart.

    python3 tests/bench/chart.py reports/bench/bench.json [MORE.json...] reports/bench/bench.png

MORE: results of other runs in the same format (the limited-link runs, the scale runs),
drawn below the main run's rows.

One horizontal bar per measurement, growing from the 1.0 line: how many times better RustWebSocketPeer is than
the engine's WebSocketPeer (log scale, the dashed line at 1.0 = equal). For throughput
rows that is ours/engine; for cost rows (poll() time, memory: lower is better) it is
engine/ours, so every bar reads "longer = ours better". Each bar is labelled with the
table's own ratio (ours/engine) and, where there is one, the target; green = target met,
red = target missed, blue = no target. A row with no ratio whose side carries a note (a
scale run where the engine's server did not get every client in) is drawn grey at 1.0 with
its note.
"""

import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import transforms  # noqa: E402

def advantage(row):
    """Times better for ours (> 1 = ours better), or None."""
    ratio = row.get("ratio")
    if ratio is None or ratio <= 0 or math.isnan(ratio):
        return None
    return ratio if row["better"] == "higher" else 1.0 / ratio


def label(row):
    ratio = row["ratio"]
    text = f"{ratio:.2f}x" if ratio is not None else "n/a"
    text += " ours/engine" + ("" if row["better"] == "higher" else " (lower is better)")
    target = row.get("target")
    if target is not None:
        op = ">=" if row["better"] == "higher" else "<="
        text += f"  target {op} {target:g}x: " + ("met" if row.get("meets_target") else "MISSED")
    return text


def notes(row):
    """The sides' notes (a scale run where not every client joined), or None."""
    found = [f"{side}: {row[side]['note']}" for side in ("ours", "engine") if (row.get(side) or {}).get("note")]
    return "; ".join(found) or None


def noted(row):
    """A row with no ratio because a side did not finish: the note to show instead."""
    return notes(row) if advantage(row) is None else None


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: chart.py BENCH.json [MORE.json...] OUT.png")
    src, more, out = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    results = list(doc["results"])
    for path in more:
        with open(path, encoding="utf-8") as f:
            results += json.load(f)["results"]
    rows = [r for r in results if advantage(r) is not None or noted(r)]
    if not rows:
        sys.exit(f"chart.py: no ratios in {src}")
    # Drop the per-connection memory row: same ratio as per peer.
    rows = [r for r in rows if r["key"] != "memory_per_connection"]

    names, values, colors, texts = [], [], [], []
    for r in rows:
        names.append(r["label"])
        if advantage(r) is None:
            values.append(1.0)
            colors.append("#999999")
            texts.append(noted(r))
            continue
        values.append(advantage(r))
        if r.get("target") is None:
            colors.append("#4c72b0")
        else:
            colors.append("#55a868" if r.get("meets_target") else "#c44e52")
        texts.append(label(r) + (f"  ({notes(r)})" if notes(r) else ""))

    height = 0.42 * len(rows) + 2.0
    fig, ax = plt.subplots(figsize=(14, height))
    y = list(range(len(rows)))[::-1]
    # Bars grow from the 1.0 line: right = ours better, left = ours worse.
    ax.barh(y, [v - 1.0 for v in values], left=1.0, color=colors, height=0.65)
    ax.set_xscale("log")
    lo = min(min(values), 1.0) / 1.8
    hi = max(max(values), 1.0) * 1.8
    ax.set_xlim(lo, hi)
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1.2)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=9)
    # Bar ends: "times better"; right column (outside the axes): the table's ratio and target.
    column = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    for yi, v, t, c in zip(y, values, texts, colors):
        if c != "#999999":
            ax.text(max(v, 1.0) * 1.04, yi, f"{v:.2f}x", va="center", fontsize=8, color="#333333")
        ax.text(1.01, yi, t, va="center", fontsize=8, transform=column)
    ax.set_xlabel("times better than the engine (log scale; >1 = RustWebSocketPeer better, "
                  "dashed line = equal)")
    m = doc.get("machine", {})
    cfg = doc.get("config", {})
    godot = m.get("godot", {}).get("string", "?")
    # A scale.json alone (scripts/bench-scale) names its own benchmark.
    what = doc.get("benchmark", "") if "rounds" not in cfg else (
        f"RustWebSocketPeer vs engine WebSocketPeer, medians of {cfg.get('rounds', '?')} round(s)")
    ax.set_title(
        f"{what}\n"
        f"Godot {godot}, {m.get('processor_name', '?')} x{m.get('processor_count', '?')}, "
        f"{doc.get('generated_at', '')}   green: target met, red: missed, blue: no target",
        fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.25)
    fig.tight_layout()
    fig.subplots_adjust(right=0.68)
    fig.savefig(out, dpi=110)
    print(f"chart.py: wrote {out}")


if __name__ == "__main__":
    main()
