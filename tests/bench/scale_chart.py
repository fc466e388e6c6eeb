#!/usr/bin/env python3
"""Draws scripts/bench-scale's results (scale.json) as one small chart per measurement:
the value against the number of connected clients (log-log), a line per class and
server_relay setting. Every point sits at the clients the server really held, so where the
engine's server did not get every client in (its join row then says "k/N joined"), its
point is at k, labelled with the N that was asked for.

    python3 tests/bench/scale_chart.py reports/bench/scale.json reports/bench/scale-lines.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    # title, unit, pick(run) -> value or None; the first panel's x is the clients asked for
    ("clients with their ID by the deadline", "clients", lambda r: r["join"]["joined"]),
    ("time until every client has its ID\n(engine: clients that joined in the time allowed)", "s",
     lambda r: r["join"]["all_seconds"] if r["join"]["all_seconds"] is not None else r["join"].get("last_seconds")),
    ("server memory per client (RSS)", "KiB", lambda r: r.get("idle", {}).get("kib_per_client")),
    ("idle multiplayer.poll() per frame", "µs", lambda r: r.get("idle", {}).get("poll_us_median")),
    ("reliable RPC to all, until the last has it", "ms",
     lambda r: r["broadcast"][-1]["last_ms"] if len(r.get("broadcast") or []) == 2 else None),
    ("all clients 1 RPC at 10 Hz: server CPU per frame", "µs",
     lambda r: r.get("rpc", {}).get("server", {}).get("cpu_us_per_frame")),
]
STYLE = {
    ("ours", "off"): dict(color="#4c72b0", linestyle="-", marker="o", label="ours, relay off"),
    ("ours", "on"): dict(color="#4c72b0", linestyle="--", marker="s", label="ours, relay on"),
    ("engine", "off"): dict(color="#c44e52", linestyle="-", marker="o", label="engine, relay off"),
    ("engine", "on"): dict(color="#c44e52", linestyle="--", marker="s", label="engine, relay on"),
}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scale_chart.py SCALE.json OUT.png")
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    runs = [r for r in doc["runs"] if r.get("join") and r["join"]["joined"] > 0]
    if not runs:
        sys.exit(f"scale_chart.py: no run with clients in {sys.argv[1]}")
    fig, grid = plt.subplots(2, 3, figsize=(13, 8.4))
    axes = grid.flatten()
    for index, (ax, (title, unit, pick)) in enumerate(zip(axes, PANELS)):
        for (key, relay), style in STYLE.items():
            points = []
            for r in runs:
                if r["key"] == key and r["relay"] == relay:
                    value = pick(r)
                    if value is not None and value > 0:
                        x = r["clients"] if index == 0 else r["join"]["joined"]
                        points.append((x, value, r["clients"]))
            if not points:
                continue
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], **style)
            for joined, value, asked in points:
                if joined < asked and index > 1:
                    ax.annotate(f"{joined:,}/{asked:,}", (joined, value), textcoords="offset points", xytext=(4, 4),
                                fontsize=6, color=style["color"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("clients that connected at once" if index == 0 else "clients connected", fontsize=8)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(which="both", alpha=0.25)
    axes[0].legend(fontsize=7, loc="upper left")
    lo = min(r["clients"] for r in runs)
    hi = max(r["clients"] for r in runs)
    axes[0].plot([lo, hi], [lo, hi], color="#999999", linewidth=0.8, linestyle=":")
    m, cfg = doc.get("machine", {}), doc.get("config", {})
    fig.suptitle(
        f"{doc.get('benchmark', 'multiplayer scale')}\nSceneMultiplayer server at {cfg.get('fps', '?')} frames/s, "
        f"clients in another process, {cfg.get('join_timeout', '?'):g} s to join; Godot {m.get('godot', {}).get('string', '?')}, "
        f"{m.get('processor_name', '?')} x{m.get('processor_count', '?')}, {doc.get('generated_at', '')}",
        fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"scale_chart.py: wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
