"""A Python `websockets` peer with permessage-deflate (its default), for the
interoperability tests of compression (godot-project/tests/test_compression_interop.gd).

Usage:
  deflate_peer.py server          echo server on 127.0.0.1; prints the port, then per
                                  connection `extensions <response header value>`
  deflate_peer.py client URL      sends text and binary messages of 0 B to 1 MiB,
                                  checks each echo, prints `extensions <value>` and
                                  `result passed=N failed=M`

Both sides assert compression was negotiated from the handshake response's
Sec-WebSocket-Extensions header. Loopback only, bounded to 60 s.
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

SIZES = [0, 1, 125, 126, 200, 4096, 65535, 65536, 1 << 20]
MAX = 2 << 20


def payloads():
    for size in SIZES:
        text = ('{"id":1,"pos":[1.5,2.5],"hp":100},' * (size // 34 + 1))[:size]
        yield text
        yield bytes((i * 7919) % 251 for i in range(size))


async def run_server():
    async def echo(ws):
        print("extensions", ws.response.headers.get("Sec-WebSocket-Extensions", "-"), flush=True)
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, max_size=MAX) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(60)


async def run_client(url):
    passed = failed = 0
    async with connect(url, max_size=MAX) as ws:
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "-")
        print("extensions", extensions, flush=True)
        if not extensions.startswith("permessage-deflate"):
            failed += 1
        for payload in payloads():
            await ws.send(payload)
            echo = await ws.recv()
            if echo == payload and type(echo) is type(payload):
                passed += 1
            else:
                failed += 1
                print("mismatch", type(payload).__name__, len(payload), flush=True)
    print(f"result passed={passed} failed={failed}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["server"]:
        asyncio.run(asyncio.wait_for(run_server(), 70))
    elif len(sys.argv) == 3 and sys.argv[1] == "client":
        asyncio.run(asyncio.wait_for(run_client(sys.argv[2]), 60))
    else:
        sys.exit("usage: deflate_peer.py server | client URL")
