#!/usr/bin/env python3
"""The multiplayer scale benchmark's runner (scripts/bench-scale, tests/bench/scale-smoke).

N clients in one ws-loadgen process connect at once to one SceneMultiplayer server in
headless Godot (godot-project/bench/scale_server.gd), with RustWebSocketMultiplayerPeer
and with the engine's WebSocketMultiplayerPeer, server_relay off and on. Per run:

  join       all N connect at once; seconds until the last has its peer ID (ws-loadgen's
             clock). Clients without an ID at --join-timeout are dropped and the rest of the
             run goes on with the ones that joined ("k/N joined").
  memory     server RSS with the clients connected and idle, less RSS before it listened,
             per client (and Godot's static memory, which counts the engine's allocations)
  idle poll  multiplayer.poll() per frame with every client idle (median of the frames)
  broadcast  one reliable RPC from the server to all: from the rpc() call (server's wall
             clock) until the last client has it (the clients' wall clock, same machine).
             The second broadcast is reported: the first also sets up the node path
  10 Hz      every client calls one RPC 10 times a second (staggered): the server's CPU time
             per frame (every thread of the process) over a window; every call is counted.
             Also per call: that frame less an idle frame, per call received

Rows (results, for table.py / chart.py): lower is better everywhere. Where the engine's
server did not get every client in, its side carries a note ("k/N joined", "at k clients")
and only the per-client rows (memory, idle poll per client, CPU per call) get a ratio.
The runs themselves (runs) keep everything both processes reported; scale_table.py and
scale_chart.py draw from them.

    tests/bench/scale.py --godot=CMD --project=DIR --loadgen=BIN --out=JSON
        [--sizes=1000,5000,10000] [--classes=ours,engine] [--relay=off,on] [--fps=60]
        [--join-timeout=60] [--logs=DIR] [--smoke]

--smoke: short windows, and a verdict per run: our server must give every client its ID,
and with either class every RPC sent must be counted by the server (the replayed packets
work); prints "N passed, M failed" and exits 1 on any failure.
"""

import argparse
import datetime
import json
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

CLASSES = {"ours": "RustWebSocketMultiplayerPeer", "engine": "WebSocketMultiplayerPeer"}
# Server log lines worth reporting (Godot prints errors and warnings with these prefixes).
LOG_MARKERS = ("ERROR:", "WARNING:", "SCRIPT ERROR", "panicked at", "Parse Error")
FATAL_MARKERS = ("SCRIPT ERROR", "panicked at", "Parse Error")

children = []


class Timeout(Exception):
    pass


class Proc:
    """A child process whose output lines go to a log file; JSON events (lines, or lines
    after `prefix`) are queued for wait()."""

    def __init__(self, name, cmd, log_path, prefix=None, stdin=False, nofile=None):
        self.name = name
        self.prefix = prefix
        self.events = queue.Queue()
        self.history = []
        self.log_path = log_path
        self.marker_counts = {}
        self.marker_samples = []

        def preexec():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.p = subprocess.Popen(
            cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=preexec, start_new_session=True)
        children.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log.write(line + "\n")
            for marker in LOG_MARKERS:
                if line.startswith(marker) or (marker in FATAL_MARKERS and marker in line):
                    self.marker_counts[marker] = self.marker_counts.get(marker, 0) + 1
                    if len(self.marker_samples) < 400:
                        self.marker_samples.append(line[:300])
                    break
            text = line
            if self.prefix is not None:
                if not line.startswith(self.prefix):
                    continue
                text = line[len(self.prefix):]
            try:
                event = json.loads(text)
            except ValueError:
                continue
            if isinstance(event, dict):
                self.events.put(event)
        self.log.flush()
        self.events.put({"event": "_exit"})

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def wait(self, name, timeout):
        """The next event called `name`; other events are kept in history."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"{self.name}: no '{name}' within {timeout:.0f} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.history.append(event)
            if event.get("event") == name:
                return event
            if event.get("event") in ("_exit", "fatal"):
                raise Timeout(f"{self.name}: {event.get('error', 'exited')} while waiting for '{name}' "
                              f"(rc {self.p.poll()}; log {self.log_path})")

    def wait_until(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        for event in self.history:
            if predicate(event):
                return event
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            self.history.append(event)
            if predicate(event):
                return event
            if event.get("event") == "_exit":
                break
        return None

    def stop(self, grace=10):
        if self.p.poll() is None:
            try:
                self.p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()
        self.reader.join(timeout=10)
        self.log.close()


def kill_children(*_):
    for child in children:
        if child.p.poll() is None:
            try:
                os.killpg(child.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if _:
        sys.exit(130)


class Control:
    """The line connection to scale_server.gd's commands."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, line):
        self.sock.sendall((line + "\n").encode())

    def close(self):
        self.sock.close()


def run_one(args, cls, relay, n, packets, log_dir):
    """One server and one load generator; returns the run's measurements."""
    tag = f"{cls}-relay-{relay}-{n}"
    run = {"class": CLASSES[cls], "key": cls, "relay": relay, "clients": n, "problems": [], "fps": args.fps}
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    server_args = [f"--class={CLASSES[cls]}", f"--relay={relay}", f"--clients={n}", f"--fps={args.fps}",
                   "--max-seconds=1200"]
    if relay == "on" and args.relay_queue:
        # SceneMultiplayer tells a new peer of every other one in a single frame: n - 1
        # packets to it at once, beyond the default 4096 queued packets past 4,097 clients.
        server_args.append(f"--max-queued-packets={max(4096, n + 64)}")
    server = Proc("server", args.godot + ["--headless", "--path", args.project, "--script",
                                          "res://bench/scale_server.gd", "--"] + server_args,
                  os.path.join(log_dir, f"{tag}.server.log"), prefix="SCALE ", nofile=nofile)
    loadgen = None
    control = None
    try:
        listening = server.wait("listening", 60)
        run["server"] = {k: listening[k] for k in ("max_queued_packets", "outbound_buffer_size", "godot", "rss_before_kib")}
        run["server"]["nofile"] = nofile
        control = Control(listening["control_port"])
        loadgen = Proc("loadgen", [args.loadgen, "--url", f"ws://127.0.0.1:{listening['port']}/", "--clients", str(n),
                                   "--sources", str(args.sources), "--packets", packets],
                       os.path.join(log_dir, f"{tag}.loadgen.log"), stdin=True)
        # --- join
        loadgen.send(f"join {args.join_timeout}")
        join = loadgen.wait("join", args.join_timeout + 60)
        run["join"] = join
        joined = join["joined"]
        print(f"  join: {joined}/{n} with their ID"
              + (f" in {join['all_seconds']:.3f} s" if join["all_seconds"] is not None else
                 f" by {args.join_timeout} s (failures: {join['failures']})")
              + f" (p50 {fmt_s(join['p50_seconds'])}, loadgen CPU {join['loadgen_cpu_seconds']:.2f} s)", flush=True)
        if joined == 0:
            run["problems"].append("no client joined")
            return run
        # The server's own count settles on the clients that joined (the rest were dropped).
        settled = server.wait_until(lambda e: e.get("event") in ("peers", "all_connected") and e.get("peers") == joined, 30)
        if settled is None:
            last = [e for e in server.history if e.get("event") == "peers"]
            run["problems"].append(f"the server's peer count did not settle at {joined} within 30 s "
                                   f"(last: {last[-1]['peers'] if last else '?'})")
        run["server_join"] = [e for e in server.history if e.get("event") in ("peers", "all_connected")]
        # With server_relay on, every client hears of every other: wait until that is over.
        # Frames run long while the notifications go out: a longer silence before "quiet".
        loadgen.send(f"quiet {3000 if relay == 'on' else 1000} {args.quiet_timeout}")
        quiet = loadgen.wait("quiet", args.quiet_timeout + 30)
        run["after_join"] = quiet
        if relay == "on":
            expected = joined * (joined - 1)
            print(f"  relay notifications: {quiet['other_messages']:,} of {expected:,} (n(n-1)) "
                  f"in {quiet['seconds']:.1f} s", flush=True)
            run["notifications"] = {"received": quiet["other_messages"], "expected": expected}
        # --- idle: poll cost, CPU, memory
        control.send(f"idle {args.idle_frames}")
        idle = server.wait("idle", 600)
        run["idle"] = idle
        print(f"  idle: poll {idle['poll_us_median']} us median ({idle['poll_us_mean']:.1f} mean), CPU "
              f"{idle['cpu_us_per_frame']:.1f} us/frame, {idle['kib_per_client']:.2f} KiB/client RSS, "
              f"{idle['static_kib_per_client']:.2f} KiB/client static", flush=True)
        # --- broadcasts: the first sets up the path, the second is steady
        run["broadcast"] = []
        for index in (0, 1):
            loadgen.send(f"broadcast {index} {args.broadcast_timeout}")
            control.send("broadcast")
            sent = server.wait("broadcast", 60)
            got = loadgen.wait("broadcast", args.broadcast_timeout + 30)
            b = {"index": index, "server_wall": sent["wall"], "call_us": sent["call_us"], "got": got["got"],
                 "of": got["of"], "last_ms": None, "p50_ms": None}
            if got["last_wall"] is not None:
                b["last_ms"] = (got["last_wall"] - sent["wall"]) * 1e3
                b["p50_ms"] = (got["p50_wall"] - sent["wall"]) * 1e3
                b["first_ms"] = (got["first_wall"] - sent["wall"]) * 1e3
            run["broadcast"].append(b)
            print(f"  broadcast {index}: {got['got']}/{got['of']}, last after {fmt_ms(b['last_ms'])} "
                  f"(p50 {fmt_ms(b['p50_ms'])}; rpc() itself {sent['call_us']} us)", flush=True)
            if got["got"] != got["of"]:
                run["problems"].append(f"broadcast {index}: {got['got']} of {got['of']} clients got it")
            loadgen.send("quiet 300 30")  # the path confirmations reach the server
            loadgen.wait("quiet", 60)
        # --- 10 Hz calls
        loadgen.send("prime 30")
        prime = loadgen.wait("prime", 60)
        run["prime"] = prime
        if prime["confirmed"] != prime["sent"]:
            run["problems"].append(f"first calls: the server confirmed the path to {prime['confirmed']} of {prime['sent']}")
        loadgen.send(f"rpc {args.hz} {args.rpc_warmup + args.rpc_window + 1}")
        time.sleep(args.rpc_warmup)
        control.send(f"cpu {args.rpc_window}")
        cpu = server.wait("cpu", args.rpc_window + 600)
        rpc = loadgen.wait("rpc", args.rpc_warmup + args.rpc_window + 600)
        run["rpc"] = {"server": cpu, "loadgen": rpc}
        loadgen.send("quiet 500 60")
        loadgen.wait("quiet", 90)
        control.send("calls")
        calls = server.wait("calls", 60)
        # Every call that arrived can be late by a frame: ask again once if short.
        expected_calls = prime["sent"] + rpc["sent"]
        if calls["calls"] < expected_calls:
            time.sleep(2)
            control.send("calls")
            calls = server.wait("calls", 60)
        run["calls"] = {"counted": calls["calls"], "expected": expected_calls}
        print(f"  10 Hz: server CPU {cpu['cpu_us_per_frame']:.1f} us/frame at {cpu['fps']:.1f} fps "
              f"({cpu['calls_per_frame']:.1f} calls/frame, CPU share {cpu['cpu_share']:.2f}); loadgen late by "
              f"{rpc['max_late_ms']:.1f} ms at most, CPU {rpc['loadgen_cpu_seconds']:.2f} s over {rpc['seconds']:.1f} s; "
              f"calls counted {calls['calls']:,} of {expected_calls:,}", flush=True)
        if calls["calls"] != expected_calls:
            run["problems"].append(f"RPC calls: the server counted {calls['calls']} of {expected_calls}")
        lost = max((e.get("lost", 0) for e in loadgen.history), default=0)
        if lost:
            run["problems"].append(f"{lost} clients lost their connection after joining")
        control.send("quit")
        server.wait("quit", 30)
    except (Timeout, OSError) as e:
        run["problems"].append(f"aborted: {e}")
    finally:
        if control is not None:
            control.close()
        if loadgen is not None:
            if loadgen.p.poll() is None:
                try:
                    loadgen.send("exit")
                except OSError:
                    pass
            loadgen.stop()
        server.stop()
        run["server_log"] = {"path": server.log_path, "markers": server.marker_counts,
                             "samples": summarize(server.marker_samples)}
        if server.marker_counts:
            print(f"  server log: {server.marker_counts} in {server.log_path}", flush=True)
            for line, count in run["server_log"]["samples"][:4]:
                print(f"    {count}x {line}", flush=True)
        for p in run["problems"]:
            print(f"  PROBLEM: {p}", flush=True)
    return run


def summarize(lines):
    counts = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:12]


def fmt_s(x):
    return "n/a" if x is None else f"{x:.3f} s"


def fmt_ms(x):
    return "n/a" if x is None else f"{x:.1f} ms"


# --- rows for table.py / chart.py ---------------------------------------------------------------

def per_peer(run, value):
    peers = run.get("idle", {}).get("peers")
    return value / peers if value is not None and peers else None


def per_call(run):
    """CPU time per RPC call received: the 10 Hz frame less an idle frame, per call."""
    cpu, idle = run.get("rpc", {}).get("server", {}), run.get("idle", {})
    if not cpu.get("calls_per_frame") or idle.get("cpu_us_per_frame") is None:
        return None
    return (cpu["cpu_us_per_frame"] - idle["cpu_us_per_frame"]) / cpu["calls_per_frame"]


# key, label, unit, per client (comparable when the engine had fewer clients), pick(run)
METRICS = [
    ("join", "all {n} clients have their ID", "s", False, lambda r: r.get("join", {}).get("all_seconds")),
    ("memory", "server memory per client ({n})", "KiB", True, lambda r: r.get("idle", {}).get("kib_per_client")),
    ("idle_poll", "idle poll() per frame ({n} clients)", "us/frame", False,
     lambda r: r.get("idle", {}).get("poll_us_median")),
    ("idle_poll_per_client", "idle poll() per frame per client ({n})", "us", True,
     lambda r: per_peer(r, r.get("idle", {}).get("poll_us_median"))),
    ("broadcast", "reliable RPC to all {n}, until the last has it", "ms", False,
     lambda r: r["broadcast"][-1].get("last_ms") if len(r.get("broadcast") or []) == 2 else None),
    ("rpc_10hz_cpu", "{n} clients x 1 RPC at 10 Hz: server CPU per frame", "us/frame", False,
     lambda r: r.get("rpc", {}).get("server", {}).get("cpu_us_per_frame")),
    ("rpc_10hz_cpu_per_call", "{n} clients x 1 RPC at 10 Hz: server CPU per call (less an idle frame)", "us", True,
     lambda r: per_call(r)),
]


def partial_note(run):
    join = run.get("join")
    if not join:
        return "did not run: " + "; ".join(run["problems"])
    if join["joined"] < run["clients"]:
        return f"{join['joined']:,}/{run['clients']:,} joined in {run.get('join_timeout', '?')} s"
    return None


def rows(runs, args):
    out = []
    for n in args.sizes:
        for relay in args.relay:
            for key, label, unit, per_client, pick in METRICS:
                row = {"key": f"scale_{key}_{n}_relay_{relay}", "workload": "scale",
                       "label": label.format(n=f"{n:,}") + f", relay {relay}", "unit": unit, "better": "lower",
                       "target": None, "meets_target": None, "ratio": None}
                for cls, side in (("ours", "ours"), ("engine", "engine")):
                    run = next((r for r in runs if r["key"] == cls and r["relay"] == relay and r["clients"] == n), None)
                    entry = {"median": None, "samples": [], "details": [], "note": None}
                    if run is not None:
                        note = partial_note(run)
                        value = pick(run)
                        if key == "join" and note:
                            value = None
                        entry["median"] = value
                        entry["samples"] = [] if value is None else [value]
                        if note:
                            entry["note"] = note if key == "join" or value is None else f"at {run['join']['joined']:,} clients"
                    row[side] = entry
                o, e = row["ours"]["median"], row["engine"]["median"]
                partial = row["engine"]["note"] or row["ours"]["note"]
                if o is not None and e is not None and e != 0 and (per_client or not partial):
                    row["ratio"] = o / e
                out.append(row)
    return out


def machine():
    info = {"processor_count": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["processor_name"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["memory_kib"] = int(line.split()[1])
        for name in ("net/core/somaxconn", "net/ipv4/ip_local_port_range", "net/ipv4/tcp_max_syn_backlog",
                     "net/ipv4/tcp_syncookies", "fs/nr_open"):
            info[name] = open(f"/proc/sys/{name}").read().strip()
    except OSError:
        pass
    info["rlimit_nofile"] = list(resource.getrlimit(resource.RLIMIT_NOFILE))
    return info


def godot_version(runs):
    return next((r["server"]["godot"] for r in runs if r.get("server")), "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--godot", required=True, help="the Godot command (split on spaces)")
    ap.add_argument("--project", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--logs", default=None)
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--classes", default="ours,engine")
    ap.add_argument("--relay", default="off,on")
    ap.add_argument("--fps", type=int, default=60)
    ap.add_argument("--sources", type=int, default=4)
    ap.add_argument("--join-timeout", type=float, default=60)
    ap.add_argument("--quiet-timeout", type=float, default=300)
    ap.add_argument("--broadcast-timeout", type=float, default=30)
    ap.add_argument("--idle-frames", type=int, default=200)
    ap.add_argument("--hz", type=float, default=10)
    ap.add_argument("--rpc-warmup", type=float, default=2)
    ap.add_argument("--rpc-window", type=float, default=5)
    ap.add_argument("--no-relay-queue", dest="relay_queue", action="store_false",
                    help="keep max_queued_packets at its default with server_relay on")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    args.godot = args.godot.split()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.classes = [c for c in args.classes.split(",") if c]
    args.relay = [r for r in args.relay.split(",") if r]
    if any(c not in CLASSES for c in args.classes) or any(r not in ("off", "on") for r in args.relay):
        sys.exit("scale.py: --classes is ours,engine and --relay off,on")
    if args.smoke:
        args.idle_frames = min(args.idle_frames, 60)
        args.rpc_warmup, args.rpc_window = 1, 2
    signal.signal(signal.SIGINT, kill_children)
    signal.signal(signal.SIGTERM, kill_children)
    log_dir = args.logs or os.path.join(os.path.dirname(os.path.abspath(args.out)), "scale-logs")
    os.makedirs(log_dir, exist_ok=True)
    started = time.monotonic()

    # The packets a real client exchanges for the RPCs, captured now with this Godot.
    packets = os.path.join(log_dir, "packets.txt")
    capture = subprocess.run(args.godot + ["--headless", "--path", args.project, "--script",
                                           "res://bench/scale_capture.gd", "--", f"--out={packets}"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    capture_log = capture.stdout.decode("utf-8", "replace")
    if capture.returncode != 0 or not os.path.exists(packets):
        print(capture_log)
        sys.exit("scale.py: FAIL: capturing the RPC packets failed (bench/scale_capture.gd)")
    print("[scale] captured the RPC packets of a real client:", packets, flush=True)

    runs = []
    for n in args.sizes:
        for relay in args.relay:
            for cls in args.classes:
                print(f"[scale] {CLASSES[cls]}, server_relay {relay}, {n:,} clients", flush=True)
                run = run_one(args, cls, relay, n, packets, log_dir)
                run["join_timeout"] = args.join_timeout
                runs.append(run)
    doc = {
        "benchmark": "multiplayer scale: RustWebSocketMultiplayerPeer vs WebSocketMultiplayerPeer",
        "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "elapsed_seconds": time.monotonic() - started,
        "machine": dict(machine(), godot={"string": godot_version(runs)}),
        "config": {k: v for k, v in vars(args).items() if k not in ("godot",)},
        "ratio_note": "ratio = ours / engine; every scale row: lower is better. No ratio where either side "
                      "did not have every client.",
        "runs": runs,
        "results": rows(runs, args),
        "problems": [f"{r['class']} relay {r['relay']} {r['clients']}: {p}" for r in runs for p in r["problems"]],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"[scale] results written to {args.out} ({doc['elapsed_seconds']:.0f} s)", flush=True)
    if args.smoke:
        sys.exit(smoke_verdict(runs))


def smoke_verdict(runs):
    passed = failed = 0
    for run in runs:
        why = []
        join = run.get("join") or {}
        if run["key"] == "ours" and join.get("joined") != run["clients"]:
            why.append(f"{join.get('joined', 0)} of {run['clients']} clients got their ID "
                       f"(failures: {join.get('failures')})")
        calls = run.get("calls")
        if calls is None:
            why.append("no RPC count: " + "; ".join(run["problems"]))
        elif calls["counted"] != calls["expected"]:
            why.append(f"the server counted {calls['counted']} RPC calls, the clients sent {calls['expected']}")
        for b in run.get("broadcast", []):
            if b["got"] != b["of"]:
                why.append(f"broadcast {b['index']} reached {b['got']} of {b['of']} clients")
        markers = run.get("server_log", {}).get("markers", {})
        for marker in FATAL_MARKERS:
            if markers.get(marker):
                why.append(f"'{marker}' in the server log ({run['server_log']['path']})")
        if run["key"] == "ours" and markers.get("ERROR:"):
            why.append(f"{markers['ERROR:']} ERROR line(s) in our server's log ({run['server_log']['path']})")
        name = f"{run['class']} relay {run['relay']} {run['clients']} clients"
        if why:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(why), flush=True)
        else:
            passed += 1
            print(f"ok   {name}", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        main()
    finally:
        kill_children()
