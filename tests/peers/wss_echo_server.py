"""A Python `websockets` echo server over TLS, for interoperability tests.

Usage: wss_echo_server.py CERT_PEM KEY_PEM
Binds 127.0.0.1 on a free port, prints the port on one line, echoes every
message with its type, and exits after 60 s or when stdin closes.
"""

import asyncio
import ssl
import sys

from websockets.asyncio.server import serve


async def echo(connection):
    async for message in connection:
        await connection.send(message)


async def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    async with serve(echo, "127.0.0.1", 0, ssl=context, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        stdin_closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await asyncio.wait_for(stdin_closed, timeout=60)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.TimeoutError:
        pass
