#!/usr/bin/env python3
"""Prints the README's benchmark table (Markdown) from a bench.json of scripts/bench.

    tests/bench/table.py reports/bench/bench.json
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


def main():
    doc = json.load(open(sys.argv[1]))
    print("| workload | unit | ours | engine | ours/engine |")
    print("|---|---|---|---|---|")
    for row in doc["results"]:
        label = row["label"]
        if row["better"] == "lower":
            label += " (lower is better)"
        ratio = row["ratio"]
        ratio_text = "n/a" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×"
        print(f"| {label} | {row['unit']} | {fmt(row['ours']['median'], row['unit'])} "
              f"| {fmt(row['engine']['median'], row['unit'])} | {ratio_text} |")


if __name__ == "__main__":
    main()
