#!/usr/bin/env python3
"""Prints scripts/bench-scale's results (scale.json) as one Markdown table: a line per
size and server_relay setting, each cell "ours / engine". Where the engine's server did not
get every client in, its figures are those of the clients it had (the "joined" column).

    tests/bench/scale_table.py reports/bench/scale.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from table import fmt  # noqa: E402  the README table's number format

COLUMNS = [
    # header, unit, pick(run)
    ("all have their ID", "s", lambda r: r["join"]["all_seconds"]),
    ("memory per client", "KiB", lambda r: r.get("idle", {}).get("kib_per_client")),
    ("idle poll() per frame", "µs", lambda r: r.get("idle", {}).get("poll_us_median")),
    ("RPC to all, until the last has it", "ms",
     lambda r: r["broadcast"][-1]["last_ms"] if len(r.get("broadcast") or []) == 2 else None),
    ("10 Hz RPCs: server CPU per frame", "µs", lambda r: r.get("rpc", {}).get("server", {}).get("cpu_us_per_frame")),
]


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    runs = doc["runs"]
    print("| clients | relay | with their ID (ours / engine) | "
          + " | ".join(f"{h} ({u})" for h, u, _ in COLUMNS) + " |")
    print("|---|---|---|" + "---|" * len(COLUMNS))
    seen = []
    for r in runs:
        if (r["clients"], r["relay"]) not in seen:
            seen.append((r["clients"], r["relay"]))
    for n, relay in seen:
        side = {r["key"]: r for r in runs if r["clients"] == n and r["relay"] == relay}
        cells = []
        joined = []
        for key in ("ours", "engine"):
            r = side.get(key)
            joined.append("n/a" if not r or not r.get("join") else f"{r['join']['joined']:,}")
        for _, unit, pick in COLUMNS:
            values = []
            for key in ("ours", "engine"):
                r = side.get(key)
                value = None
                if r and r.get("join"):
                    try:
                        value = pick(r)
                    except (KeyError, IndexError, TypeError):
                        value = None
                values.append(fmt(value, unit))
            cells.append(" / ".join(values))
        print(f"| {n:,} | {relay} | {' / '.join(joined)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
