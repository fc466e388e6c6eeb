#!/usr/bin/env python3
"""Sets a template_debug benchmark run (scripts/bench --library=debug) beside a release run
(scripts/bench) and says how much slower the debug library is, row by row.

    tests/bench/libraries.py RELEASE.json DEBUG.json [--max-slowdown=X]

Each run measures the engine's class in the same process, so a row's slowdown is taken
between the two ours/engine ratios: what the machine did differently between the two
processes cancels out. slowdown = how many times longer the debug library takes (1.00× = as
fast as release). Prints a Markdown table; with --max-slowdown, one line per row and a final
"N passed, N failed", and exits 1 when a row is slower than X or missing.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from table import fmt  # noqa: E402  the README table's number format


def rows(path):
    return {row["key"]: row for row in json.load(open(path))["results"]}


def slowdown(release, debug):
    """How many times longer ours takes in the debug run, relative to the engine in each."""
    r = release["ours"]["median"] / release["engine"]["median"]
    d = debug["ours"]["median"] / debug["engine"]["median"]
    return d / r if release["better"] == "lower" else r / d


def main():
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    limits = [float(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--max-slowdown=")]
    if len(paths) != 2:
        sys.exit(__doc__)
    release, debug = rows(paths[0]), rows(paths[1])
    keys = [k for k in debug if debug[k]["ours"]["median"] is not None]
    print("| workload | unit | release | debug, RUST_BACKTRACE=1 | engine | debug/engine | debug slowdown |")
    print("|---|---|---|---|---|---|---|")
    measured = {}
    for key in keys:
        d = debug[key]
        r = release.get(key)
        if r is None or r["ours"]["median"] is None:
            continue
        measured[key] = slowdown(r, d)
        unit = d["unit"]
        print(f"| {d['label']} | {unit} | {fmt(r['ours']['median'], unit)} | {fmt(d['ours']['median'], unit)} "
              f"| {fmt(d['engine']['median'], unit)} | {d['ratio']:.2f}× | {measured[key]:.2f}× |")
    if not limits:
        return 0
    passed = failed = 0
    for key in sorted(set(keys) | set(release)):
        if key not in measured:
            print(f"FAIL {key}: not measured in both runs")
            failed += 1
        elif measured[key] > limits[0]:
            print(f"FAIL {key}: the debug library is {measured[key]:.2f}x slower than release (limit {limits[0]}x)")
            failed += 1
        else:
            print(f"ok   {key}: debug {measured[key]:.2f}x release (limit {limits[0]}x)")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
