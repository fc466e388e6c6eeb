#!/usr/bin/env python3
"""Prints the README's benchmark table (Markdown) from a bench.json of scripts/bench, and
the rows of any other results file given after it (scripts/bench-scale's scale.json).

    tests/bench/table.py reports/bench/bench.json [reports/bench/scale.json ...]

A side's "note" (a scale run where not every client joined: "1,507/2,000 joined") is
shown beside its value.
"""
import json
import math
import sys


def fmt(value, unit):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("msg/s", "conn/s", "B/msg") or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def cell(side, unit):
    text = fmt(side["median"], unit)
    note = side.get("note")
    return f"{text} ({note})" if note else text


def main():
    print("| workload | unit | ours | engine | ours/engine |")
    print("|---|---|---|---|---|")
    for path in sys.argv[1:]:
        for row in json.load(open(path))["results"]:
            label = row["label"]
            if row["better"] == "lower":
                label += " (lower is better)"
            ratio = row["ratio"]
            ratio_text = "n/a" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×"
            print(f"| {label} | {row['unit']} | {cell(row['ours'], row['unit'])} "
                  f"| {cell(row['engine'], row['unit'])} | {ratio_text} |")


if __name__ == "__main__":
    main()
