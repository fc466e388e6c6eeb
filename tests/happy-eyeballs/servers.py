"""The other ends for tests/happy-eyeballs/run: for each case a port P free on both
loopbacks, with a WebSocket echo server on one address and a black hole on the other
(or on both). A black hole is a listener with backlog 0 whose accept queue is full, so
Linux drops every further SYN: a connect to it neither completes nor fails.

Prints one JSON line {"v6-hangs": P, "v4-hangs": P, "all-hang": P} once every black
hole is checked to hang, then serves until killed. Linux only.
"""

import asyncio
import json
import socket
import sys
import time

from websockets.asyncio.server import serve

V4, V6 = "127.0.0.1", "::1"
# The addresses that hang in each case; the other one serves.
CASES = {"v6-hangs": [V6], "v4-hangs": [V4], "all-hang": [V6, V4]}


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_on_both():
    """A port bound on both loopbacks, and the two bound sockets."""
    for _ in range(100):
        six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        six.bind((V6, 0))
        port = six.getsockname()[1]
        four = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            four.bind((V4, port))
        except OSError:
            six.close()
            four.close()
            continue
        return port, {V6: six, V4: four}
    sys.exit("servers.py: no port free on both loopbacks")


def black_hole(sock, host, port):
    """Fills `sock`'s accept queue; returns the connections that fill it (keep them)."""
    sock.listen(0)
    fillers = []
    while True:
        c = socket.socket(family(host), socket.SOCK_STREAM)
        c.settimeout(0.3)
        try:
            c.connect((host, port))
        except socket.timeout:
            c.close()  # unanswered for 300 ms: the queue is full
            return fillers
        fillers.append(c)
        if len(fillers) > 16:
            sys.exit(f"servers.py: {host}:{port} never stopped answering: SYNs are not dropped here")


def still_pending(probe):
    if probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
        return False
    try:
        probe.getpeername()
        return False
    except OSError:
        return True


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    ports, keep, serving, probes = {}, [], [], []
    for case, hanging in CASES.items():
        port, socks = port_on_both()
        ports[case] = port
        for host, sock in socks.items():
            if host in hanging:
                keep += [sock] + black_hole(sock, host, port)
                probe = socket.socket(family(host), socket.SOCK_STREAM)
                probe.setblocking(False)
                probe.connect_ex((host, port))
                probes.append((f"[{host}]:{port}" if ":" in host else f"{host}:{port}", probe))
            else:
                sock.listen(128)
                serving.append(sock)
    # A black hole must hold a connect for longer than the first SYN retry (1 s).
    time.sleep(1.2)
    for name, probe in probes:
        if not still_pending(probe):
            sys.exit(f"servers.py: a connect to the black hole {name} did not stay pending for 1.2 s")
        probe.close()
    servers = [await serve(echo, sock=sock) for sock in serving]
    print(json.dumps(ports), flush=True)
    print(f"servers.py: black holes checked, {len(servers)} echo servers up: {ports}", file=sys.stderr, flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
