"""The proxy tests' targets and fake proxy, on 127.0.0.1, free ports.

Usage: servers.py CERT_PEM KEY_PEM

- a Python `websockets` echo server over plain TCP (ws://) and one over TLS (wss://, with
  CERT_PEM/KEY_PEM): a third-party server behind the proxies; each message comes back with
  its type (text or binary);
- a "not HTTP" server: answers every connection with an SSH banner and closes it, as a
  misconfigured proxy address (an SSH port) would.

Prints one line "ws=PORT wss=PORT nothttp=PORT" once all listen, then serves until killed,
until its parent process goes away, or for 15 minutes at most (so it never lingers).
"""

import asyncio
import os
import ssl
import sys

from websockets.asyncio.server import serve

BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"
MAX_LIFETIME_S = 15 * 60


async def echo(connection):
    async for message in connection:
        await connection.send(message)


async def not_http(reader, writer):
    writer.write(BANNER)
    try:
        await writer.drain()
    finally:
        writer.close()


async def parent_gone(parent):
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


async def main():
    parent = os.getppid()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    async with serve(echo, "127.0.0.1", 0, max_size=None) as ws, \
            serve(echo, "127.0.0.1", 0, ssl=context, max_size=None) as wss:
        fake = await asyncio.start_server(not_http, "127.0.0.1", 0)
        ports = [s.sockets[0].getsockname()[1] for s in (ws, wss, fake)]
        print("ws=%d wss=%d nothttp=%d" % tuple(ports), flush=True)
        try:
            await asyncio.wait_for(parent_gone(parent), MAX_LIFETIME_S)
        except asyncio.TimeoutError:
            pass
        fake.close()


if __name__ == "__main__":
    asyncio.run(main())
