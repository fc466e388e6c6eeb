#!/usr/bin/env python3
"""Prints the limited-link table (Markdown) of scripts/bench --link: for each rate, the
Godot rows (bench-link-RATE.json: the engine's WebSocketPeer, ours plain and with deflate)
and the core's zlib levels (bench-link-levels-RATE.json: link_levels). Fails when a file
or a row is missing, or the Godot run reported a problem (a broken stream, a changed update).

    tests/bench/link_table.py DIR RATE [RATE...]
"""
import json
import math
import os
import sys


def number(value, digits=0):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def godot_rows(doc, rate):
    """(label, msg/s, B/update, p50 ms, p99 ms) for the engine, ours plain, ours deflate."""
    by_key = {row["key"]: row for row in doc["results"]}

    def pick(what, variant, side):
        row = by_key.get(f"json_link_{rate}_{what}{variant}")
        return row[side]["median"] if row else None

    rows = [("WebSocketPeer (engine)", "", "engine"), ("RustWebSocketPeer", "", "ours"),
            ("RustWebSocketPeer, deflate", "_deflate", "ours")]
    return [(label, pick("s2c", v, side), pick("bytes", v, side), pick("latency_p50", v, side),
             pick("latency_p99", v, side)) for label, v, side in rows]


def main():
    out, rates = sys.argv[1], sys.argv[2:]
    print("| link | what | msg/s | bytes per update on the link | latency median (ms) | latency p99 (ms) |")
    print("|---|---|---|---|---|---|")
    missing = 0
    for rate in rates:
        godot = os.path.join(out, f"bench-link-{rate}.json")
        levels = os.path.join(out, f"bench-link-levels-{rate}.json")
        rows = []
        if os.path.exists(godot):
            doc = json.load(open(godot))
            rows += godot_rows(doc, rate)
            for problem in doc.get("problems", []):
                print(f"link_table: {rate}: {problem}", file=sys.stderr)
                missing += 1
        else:
            missing += 1
        if os.path.exists(levels):
            for row in json.load(open(levels))["rows"]:
                rows.append((f"core, {row['variant']}", row["msgs_per_s"], row["bytes_per_msg"],
                             row["latency_p50_ms"], row["latency_p99_ms"]))
        else:
            missing += 1
        for label, rate_value, size, p50, p99 in rows:
            if None in (rate_value, size, p50, p99):
                print(f"link_table: {rate}: {label} was not measured", file=sys.stderr)
                missing += 1
            print(f"| {rate} | {label} | {number(rate_value)} | {number(size)} | {number(p50, 1)} | {number(p99, 1)} |")
    if missing:
        print(f"link_table: FAIL: {missing} problem(s) or missing result(s) in {out}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
