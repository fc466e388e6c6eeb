"""Python `websockets` clients of the load-balancer tests, from distinct loopback addresses.

Usage (ports and paths from the BALANCER_TEST_* environment of tests/balancers/run):
  clients.py check   the address checks through every balancer and mode, the untrusted
                     direct checks, the health endpoints and HAProxy's view of its servers
  clients.py loss    the backend-loss holder: clients through HAProxy that exchange messages
                     until BALANCER_TEST_LOSS_STOP exists, reconnecting when their connection
                     ends; prints "ready ..." once connected, then one JSON result line

`check` prints "PASS name" / "FAIL name: why" per case, "SEEN<TAB>route<TAB>text" lines for the
harness's matrix, and a final "N passed, M failed" line; exits 1 when anything failed.

Each client binds its socket to its own source address first (127.0.0.2, 127.0.0.3: any
127.0.0.0/8 address is the loopback on Linux), so the backend's answer shows whether it
saw the player (that address, and through the PROXY protocol its port too) or the balancer
(127.0.0.1). Deliberately bad connections come from 127.0.0.4 only: the harness allows a
backend's warnings for that address and no other.
"""

import asyncio
import json
import os
import socket
import ssl
import struct
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

HOST = "127.0.0.1"
PLAYERS = ("127.0.0.2", "127.0.0.3")
BAD = "127.0.0.4"
FORGED = "1.2.3.4"
TIMEOUT = 5.0
env = os.environ


def port(name):
    return int(env["BALANCER_TEST_%s" % name])


def tls_context():
    context = ssl.create_default_context(cafile=env["BALANCER_TEST_CA"])
    return context


# --- connecting -----------------------------------------------------------------------------------

def bound_socket(source):
    """A TCP socket bound to `source` (port chosen by the kernel), not connected yet."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    return sock


async def open_ws(uri, source, headers=None, tls=False):
    """A websockets connection to `uri` from `source`; returns (connection, source port)."""
    sock = bound_socket(source)
    sock.setblocking(False)
    target = uri.split("//", 1)[1].split("/", 1)[0]
    name, _, target_port = target.rpartition(":")
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (HOST, int(target_port))), TIMEOUT)
    except BaseException:
        sock.close()
        raise
    local_port = sock.getsockname()[1]
    kwargs = dict(sock=sock, proxy=None, open_timeout=TIMEOUT, compression=None,
                  additional_headers=headers, ping_interval=None)
    if tls:
        kwargs.update(ssl=tls_context(), server_hostname=name)
    ws = await connect(uri, **kwargs)
    return ws, local_port


async def echo(ws, text):
    """Sends `text`; returns the backend's JSON answer as a dict."""
    await ws.send(text)
    answer = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return json.loads(answer)


def raw_exchange(source, target_port, payload, read_for=TIMEOUT):
    """Sends raw bytes from `source` to 127.0.0.1:target_port; returns (bytes read until the
    peer closed, whether it closed)."""
    sock = bound_socket(source)
    sock.settimeout(read_for)
    data = b""
    closed = False
    try:
        sock.connect((HOST, target_port))
        if payload:
            sock.sendall(payload)
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    finally:
        sock.close()
    return data, closed


def status_of(data):
    """The status code of an HTTP response's first line, 0 for anything else."""
    words = data.split(b"\r\n", 1)[0].split()
    if len(words) >= 2 and words[0].startswith(b"HTTP/1.") and words[1].isdigit():
        return int(words[1])
    return 0


def upgrade_request(path="/direct"):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % path).encode()


def haproxy_stat():
    """HAProxy's `show stat` through its stats socket: {(proxy, server): row dict}."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(env["BALANCER_TEST_HAPROXY_SOCKET"])
    sock.sendall(b"show stat\n")
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for line in lines[1:]:
        if line:
            row = dict(zip(header, line.split(",")))
            rows[(row["pxname"], row["svname"])] = row
    return rows


# --- the check command ------------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def case(self, name, problems):
        if problems:
            self.failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)), flush=True)
        else:
            self.passed += 1
            print("PASS %s" % name, flush=True)


def seen(route, text):
    print("SEEN\t%s\t%s" % (route, text), flush=True)


# route, URI, TLS, whether the player's port is carried (PROXY protocol) or 0 (HTTP headers)
ROUTES = [
    ("haproxy-ws", "ws://127.0.0.1:%d/echo" % port("HAPROXY_WS"), False, False),
    ("haproxy-wss", "wss://localhost:%d/echo" % port("HAPROXY_WSS"), True, False),
    ("haproxy-v1", "ws://127.0.0.1:%d/echo" % port("HAPROXY_V1"), False, True),
    ("haproxy-v2", "ws://127.0.0.1:%d/echo" % port("HAPROXY_V2"), False, True),
    ("haproxy-v2-plain", "ws://127.0.0.1:%d/echo" % port("HAPROXY_V2_PLAIN"), False, True),
    ("nginx-ws", "ws://127.0.0.1:%d/echo" % port("NGINX_WS"), False, False),
    ("nginx-wss", "wss://localhost:%d/echo" % port("NGINX_WSS"), True, False),
    ("nginx-forwarded", "ws://127.0.0.1:%d/forwarded/echo" % port("NGINX_WS"), False, False),
    ("nginx-stream-v1", "ws://127.0.0.1:%d/echo" % port("NGINX_STREAM"), False, True),
]


async def route_case(checks, route, uri, tls, carries_port):
    """From each player address, two connections (a balancer spreads them over A and B), each
    echoing one text: the backend must report the player's address, and its port when the
    route carries it (else 0). Then three more from 127.0.0.3 with a forged X-Forwarded-For, a
    forged Forwarded, and both: through a balancer the forgery must change nothing."""
    problems, shown, backends = [], [], set()
    for source in PLAYERS + PLAYERS:
        try:
            ws, local_port = await open_ws(uri, source, tls=tls)
            async with ws:
                text = "hello from %s:%d via %s" % (source, local_port, route)
                answer = await echo(ws, text)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            problems.append("%s: %s: %s" % (source, type(e).__name__, e))
            continue
        expected_port = local_port if carries_port else 0
        backends.add(answer.get("backend"))
        shown.append("%s:%s" % (answer.get("host"), answer.get("port")))
        if answer.get("echo") != text:
            problems.append("echo: expected %r, got %r" % (text, answer.get("echo")))
        if answer.get("host") != source or answer.get("port") != expected_port:
            problems.append("from %s:%d the backend saw %s:%s (expected %s:%d)" % (
                source, local_port, answer.get("host"), answer.get("port"), source, expected_port))
    # A client's own forwarding headers, each alone and both: forged, they must not win. The
    # balancer appends the real address to the one it manages (HAProxy as a header line of its
    # own, nginx to the list) and passes the other one on untouched.
    for forged_headers in ({"X-Forwarded-For": FORGED}, {"Forwarded": "for=%s" % FORGED},
                           {"X-Forwarded-For": FORGED, "Forwarded": "for=%s" % FORGED}):
        what = " and ".join(forged_headers)
        try:
            ws, local_port = await open_ws(uri, PLAYERS[1], headers=forged_headers, tls=tls)
            async with ws:
                answer = await echo(ws, "forged")
            expected = "%s:%d" % (PLAYERS[1], local_port if carries_port else 0)
            got = "%s:%s" % (answer.get("host"), answer.get("port"))
            if got != expected:
                problems.append("with a forged %s: %s the backend saw %s (expected %s)" % (what, FORGED, got, expected))
        except Exception as e:  # noqa: BLE001
            problems.append("forged %s: %s: %s" % (what, type(e).__name__, e))
    text = ", ".join(sorted(set(shown))) or "(nothing)"
    seen(route, "%s (backends %s)" % (text, "+".join(sorted(b for b in backends if b))))
    checks.case("%s: the backend sees each player's address%s" % (route, " and port" if carries_port else ", port 0"), problems)


def direct_cases(checks):
    """Connections straight to backend A, whose peer (127.0.0.x other than .1) is untrusted."""
    direct = port("A_DIRECT")
    mp = port("A_MP")
    # PROXY v1 from an untrusted peer: answered 400.
    v1 = ("PROXY TCP4 %s 127.0.0.1 1111 %d\r\n" % (FORGED, direct)).encode()
    data, closed = raw_exchange(BAD, direct, v1 + upgrade_request())
    checks.case("direct, untrusted peer sends a PROXY v1 header: 400, closed",
                [] if status_of(data) == 400 and closed else ["got %r (closed: %s)" % (data[:80], closed)])
    seen("direct-proxy-v1", "HTTP %d%s" % (status_of(data), ", closed" if closed else ""))
    # PROXY v2 to the multiplayer server from an untrusted peer: answered 400.
    addresses = socket.inet_aton(FORGED) + socket.inet_aton(HOST) + struct.pack("!HH", 1111, mp)
    v2 = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses)) + addresses
    data, closed = raw_exchange(BAD, mp, v2 + upgrade_request("/mp"))
    checks.case("direct to the multiplayer server, untrusted peer sends a PROXY v2 header: 400, closed",
                [] if status_of(data) == 400 and closed else ["got %r (closed: %s)" % (data[:80], closed)])
    seen("direct-proxy-v2-mp", "HTTP %d%s" % (status_of(data), ", closed" if closed else ""))
    # Forged forwarding headers from an untrusted peer: ignored, the TCP peer is reported.
    async def forged():
        ws, local_port = await open_ws("ws://127.0.0.1:%d/direct" % direct, PLAYERS[1],
                                       headers={"X-Forwarded-For": FORGED, "Forwarded": "for=%s" % FORGED})
        async with ws:
            return await echo(ws, "forged direct"), local_port
    try:
        answer, local_port = asyncio.run(forged())
        got = "%s:%s" % (answer.get("host"), answer.get("port"))
        expected = "%s:%d" % (PLAYERS[1], local_port)
        checks.case("direct, untrusted peer with forged X-Forwarded-For/Forwarded: its own address is reported",
                    [] if got == expected else ["backend saw %s, expected %s" % (got, expected)])
        seen("direct-forged", got)
    except Exception as e:  # noqa: BLE001
        checks.case("direct, untrusted peer with forged X-Forwarded-For/Forwarded: its own address is reported",
                    ["%s: %s" % (type(e).__name__, e)])
    # The health endpoint, from anyone: 200 and closed; any other plain request: 400.
    for name, target in (("echo server", direct), ("multiplayer server", mp)):
        data, closed = raw_exchange(PLAYERS[1], target, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        checks.case("direct GET /health (HTTP/1.1) to the %s: 200, closed" % name,
                    [] if status_of(data) == 200 and closed else ["got %r (closed: %s)" % (data[:80], closed)])
        data, closed = raw_exchange(PLAYERS[1], target, b"GET /health HTTP/1.0\r\n\r\n")
        checks.case("direct GET /health (HTTP/1.0, no Host, as HAProxy sends) to the %s: 200, closed" % name,
                    [] if status_of(data) == 200 and closed else ["got %r (closed: %s)" % (data[:80], closed)])
        data, closed = raw_exchange(PLAYERS[1], target, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        checks.case("direct plain GET / (no upgrade) to the %s: 400" % name,
                    [] if status_of(data) == 400 else ["got %r (closed: %s)" % (data[:80], closed)])
    # Connect and close without a request, with FIN and with RST: no answer expected, nothing to
    # assert here but that the backend does not write (the harness checks the logs).
    data, closed = raw_exchange(PLAYERS[1], direct, b"", read_for=0.2)
    checks.case("direct connect-and-close: no bytes answered", [] if data == b"" else ["got %r" % data[:80]])
    sock = bound_socket(PLAYERS[1])
    sock.connect((HOST, direct))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def health_through(checks, name, target_port, tls=False, host_name=HOST):
    """GET /health through a balancer: a backend's 200."""
    try:
        sock = socket.create_connection((HOST, target_port), timeout=TIMEOUT, source_address=(PLAYERS[0], 0))
        if tls:
            sock = tls_context().wrap_socket(sock, server_hostname=host_name)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        sock.close()
    except OSError as e:
        data = ("error: %s" % e).encode()
    checks.case("GET /health through %s: 200" % name,
                [] if status_of(data) == 200 else ["got %r" % data[:100]])
    return status_of(data)


def haproxy_up(checks):
    """Waits (10 s at most) until HAProxy has seen every server pass its checks; one case per
    backend (proxy) with what its last check said."""
    deadline = time.time() + 10
    expected = {"echo_http": "L7OK", "mp_http": "L7OK", "echo_v1": "L4OK", "echo_v2": "L4OK", "echo_v2_plain": "L4OK",
                "mp_v2": "L4OK"}
    while True:
        try:
            rows = haproxy_stat()
        except OSError as e:
            rows = {}
            error = str(e)
        ok = all(rows.get((px, sv), {}).get("status") == "UP" and rows[(px, sv)].get("check_status") == st
                 for px, st in expected.items() for sv in ("A", "B"))
        if ok or time.time() > deadline:
            break
        time.sleep(0.2)
    for px, st in expected.items():
        problems, shown = [], []
        for sv in ("A", "B"):
            row = rows.get((px, sv), {})
            got = "%s %s%s" % (row.get("status"), row.get("check_status"),
                               "/" + row["check_code"] if row.get("check_code") else "")
            shown.append("%s %s" % (sv, got))
            if row.get("status") != "UP" or row.get("check_status") != st:
                problems.append("%s: %s (expected UP %s)" % (sv, got, st))
        if not rows:
            problems.append("no stats: %s" % error)
        checks.case("HAProxy %s: both servers UP after their checks (%s)" % (px, st), problems)
        seen("haproxy-check-" + px, ", ".join(shown))


def check_command():
    checks = Checks()
    haproxy_up(checks)
    for route in ROUTES:
        asyncio.run(route_case(checks, *route))
    direct_cases(checks)
    # nginx checks nothing actively (open-source nginx has passive checks only): a balancer's
    # or a monitor's GET /health through it must still reach a backend.
    for name, target, tls in (("nginx (http)", port("NGINX_WS"), False), ("nginx (https)", port("NGINX_WSS"), True),
                              ("HAProxy (http)", port("HAPROXY_WS"), False)):
        status = health_through(checks, name, target, tls, "localhost")
        seen("health-via-" + name.split()[0].lower() + ("-tls" if tls else ""), "HTTP %d" % status)
    print("%d passed, %d failed" % (checks.passed, checks.failed), flush=True)
    return 1 if checks.failed else 0


# --- the loss command ---------------------------------------------------------------------------------

async def holder(name, source, uri, stop, result):
    """Exchanges numbered messages with the backend every 50 ms, each waiting for its echo;
    on ConnectionClosed reconnects through the balancer and goes on with the next number."""
    seq = 0
    record = result[-1]
    while not os.path.exists(stop):
        try:
            ws, _ = await open_ws(uri, source)
        except Exception as e:  # noqa: BLE001
            record["errors"].append("connect: %s" % e)
            await asyncio.sleep(0.2)
            if len(record["errors"]) > 50:
                return
            continue
        backend = None
        try:
            async with ws:
                while not os.path.exists(stop):
                    seq += 1
                    answer = await echo(ws, "%s %d" % (name, seq))
                    record["sent"] += 1
                    if backend is None:
                        backend = answer.get("backend")
                        record["backends"].append(backend)
                    if answer.get("echo") != "%s %d" % (name, seq):
                        record["gaps"].append([seq, answer.get("echo")])
                    if record["closes"]:
                        record["after_reconnect"] += 1
                    await asyncio.sleep(0.05)
        except ConnectionClosed:
            record["closes"] += 1
        except Exception as e:  # noqa: BLE001
            record["errors"].append("%s: %s" % (type(e).__name__, e))
            record["closes"] += 1


async def loss_main():
    uri = "ws://127.0.0.1:%d/echo" % port("HAPROXY_WS")
    stop = env["BALANCER_TEST_LOSS_STOP"]
    result = []
    tasks = []
    # One after the other, so that HAProxy's round robin puts them on A and B in turn.
    for i, source in enumerate(PLAYERS):
        result.append({"name": "py%d" % (i + 1), "source": source, "backends": [], "closes": 0, "gaps": [],
                       "sent": 0, "after_reconnect": 0, "errors": []})
        tasks.append(asyncio.create_task(holder(result[-1]["name"], source, uri, stop, result)))
        for _ in range(100):
            if result[-1]["backends"] or result[-1]["errors"]:
                break
            await asyncio.sleep(0.02)
    print("ready %s" % " ".join("%s=%s" % (r["name"], ",".join(r["backends"])) for r in result), flush=True)
    deadline = time.time() + 240
    while not os.path.exists(stop) and time.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.wait(tasks, timeout=TIMEOUT)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "check":
        sys.exit(check_command())
    if command == "loss":
        asyncio.run(loss_main())
        sys.exit(0)
    print(__doc__)
    sys.exit(2)
