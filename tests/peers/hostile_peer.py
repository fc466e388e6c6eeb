"""A raw-socket WebSocket peer that misbehaves on purpose, for the engine-level
tests of bounded memory (godot-project/tests/test_hostile_peers.gd).

Usage:
  hostile_peer.py [--tls CERT KEY] client PORT MODE [ARGS...]   connect to 127.0.0.1:PORT
  hostile_peer.py [--tls CERT KEY] server MODE [ARGS...]        listen on 127.0.0.1, print the port

With --tls the WebSocket runs over TLS (wss): as a server with that certificate
and key, as a client trusting anything (the test is about flow, not trust).

Modes (after the opening handshake):
  ping-flood COUNT
      Sends COUNT pings of 125 bytes (numbered) without reading, until they are
      all sent or the socket refuses more for 1 s (TCP pushed back). Then reads
      while sending the rest, sends one text message, reads until the pong of
      the last ping and the echo of the text arrive, and closes with 1000.
  data-flood SECONDS READ_RATE
      For SECONDS sends numbered binary messages (1 to 2048 bytes) as fast as
      the socket takes them while reading READ_RATE bytes per second (0: none).
      Then reads everything, checks every echo came back in order, and closes.

Prints one line `result key=value ...` at the end (then exits 0), or
`error ...` (exit 1). Everything is loopback and bounded in time (60 s).
"""

import base64
import os
import select
import socket
import ssl
import struct
import sys
import time

DEADLINE = time.monotonic() + 60
TLS = None  # (cert, key) with --tls


def fail(why):
    print("error", why, flush=True)
    sys.exit(1)


def check_time():
    if time.monotonic() > DEADLINE:
        fail("timed out")


class Peer:
    def __init__(self, sock, is_client):
        self.sock = sock
        self.is_client = is_client
        self.inbuf = bytearray()
        self.outbuf = bytearray()

    # ---- frames -------------------------------------------------------------

    def frame(self, opcode, payload):
        head = bytearray([0x80 | opcode])
        mask_bit = 0x80 if self.is_client else 0
        n = len(payload)
        if n < 126:
            head.append(mask_bit | n)
        elif n < 65536:
            head.append(mask_bit | 126)
            head += struct.pack(">H", n)
        else:
            head.append(mask_bit | 127)
            head += struct.pack(">Q", n)
        if not self.is_client:
            return bytes(head) + payload
        # A zero mask key leaves the payload as is: masked on the wire, cheap here.
        return bytes(head) + b"\0\0\0\0" + payload

    def frames(self):
        """Complete frames in the input buffer: (opcode, payload), unmasked."""
        buf = self.inbuf
        at = 0
        out = []
        while len(buf) - at >= 2:
            b1 = buf[at + 1]
            masked = bool(b1 & 0x80)
            if masked == self.is_client:
                fail("masking does not match the role")
            n = b1 & 0x7F
            head = 2
            if n == 126:
                if len(buf) - at < 4:
                    break
                n = struct.unpack_from(">H", buf, at + 2)[0]
                head = 4
            elif n == 127:
                if len(buf) - at < 10:
                    break
                n = struct.unpack_from(">Q", buf, at + 2)[0]
                head = 10
            key_at = at + head
            if masked:
                head += 4
            if len(buf) - at < head + n:
                break
            payload = bytes(buf[at + head : at + head + n])
            if masked:
                key = bytes(buf[key_at : key_at + 4]) * (n // 4 + 1)
                payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key[:n], "big")).to_bytes(n, "big")
            out.append((buf[at] & 0x0F, payload))
            at += head + n
        del buf[:at]
        return out

    # ---- socket -------------------------------------------------------------

    def read_some(self, limit=1 << 20):
        try:
            data = self.sock.recv(limit)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return 0
        if not data:
            fail("connection closed by the other end")
        self.inbuf += data
        return len(data)

    def write_some(self):
        """Writes what the socket takes now; returns the count."""
        if not self.outbuf:
            return 0
        try:
            # TLS: at most one record's worth, so a partial write is never asked to change.
            n = self.sock.send(self.outbuf[:16384] if TLS else self.outbuf)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return 0
        del self.outbuf[:n]
        return n

    def wait(self, read, write, timeout=0.05):
        select.select([self.sock] if read else [], [self.sock] if write else [], [], timeout)

    def close(self):
        self.outbuf += self.frame(0x8, struct.pack(">H", 1000))
        code = None
        while code is None:
            check_time()
            self.write_some()
            self.wait(True, bool(self.outbuf))
            self.read_some()
            for opcode, payload in self.frames():
                if opcode == 0x8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
        self.sock.close()
        return code


# ---- handshakes -----------------------------------------------------------------


def read_http(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        check_time()
        chunk = sock.recv(4096)
        if not chunk:
            fail("closed during the handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def accept_key(key):
    import hashlib

    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def small_receive_buffer(sock):
    """A peer that does not read should fill up in kilobytes, not in the 32 MiB
    loopback autotuning allows: set before connecting, it also caps the window."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)


def open_client(port):
    sock = socket.socket()
    small_receive_buffer(sock)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    if TLS:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (port, key)
        ).encode()
    )
    head, rest = read_http(sock)
    if " 101 " not in head.split("\r\n")[0] or accept_key(key) not in head:
        fail("bad handshake answer: " + head.split("\r\n")[0])
    return sock, rest


def open_server():
    listener = socket.socket()
    small_receive_buffer(listener)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1], flush=True)
    listener.settimeout(20)
    sock, _ = listener.accept()
    listener.close()
    if TLS:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS[0], TLS[1])
        sock.settimeout(10)
        sock = context.wrap_socket(sock, server_side=True)
    head, rest = read_http(sock)
    key = ""
    for line in head.split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    sock.sendall(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: %s\r\n\r\n" % accept_key(key)
        ).encode()
    )
    return sock, rest


# ---- modes ------------------------------------------------------------------------


def ping_flood(peer, count):
    pings = (peer.frame(0x9, struct.pack(">I", i) + b"p" * 121) for i in range(count))
    sent = 0
    stalled_since = None
    # Phase 1: send without reading a byte.
    while sent < count:
        check_time()
        while len(peer.outbuf) < 1 << 16 and sent < count:
            peer.outbuf += next(pings)
            sent += 1
        if peer.write_some() > 0:
            stalled_since = None
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 1.0:
            break
        else:
            peer.wait(False, True, 0.05)
    unread_phase_sent = sent - len(peer.outbuf) // 131
    # Phase 2: read while sending the rest, then one text message.
    pongs = 0
    last_pong = -1
    echo = None
    text_sent = False
    while last_pong != count - 1 or echo is None:
        check_time()
        while len(peer.outbuf) < 1 << 16 and sent < count:
            peer.outbuf += next(pings)
            sent += 1
        if sent == count and not text_sent:
            peer.outbuf += peer.frame(0x1, b"after the flood")
            text_sent = True
        peer.write_some()
        peer.wait(True, bool(peer.outbuf))
        peer.read_some()
        for opcode, payload in peer.frames():
            if opcode == 0xA:
                number = struct.unpack(">I", payload[:4])[0]
                if number <= last_pong:
                    fail("pong %d after pong %d" % (number, last_pong))
                last_pong = number
                pongs += 1
            elif opcode == 0x1:
                echo = payload.decode()
            elif opcode == 0x8:
                fail("closed by the other end")
    code = peer.close()
    return "unread_phase_sent=%d pongs=%d last_pong=%d echo=%s close=%d" % (
        unread_phase_sent,
        pongs,
        last_pong,
        echo.replace(" ", "_"),
        code,
    )


def message(i):
    """Message number i: 1 to 2048 bytes, the number repeated."""
    size = 1 + (i * 7919) % 2048
    return (struct.pack(">I", i) * (size // 4 + 1))[:size]


def data_flood(peer, seconds, read_rate):
    started = time.monotonic()
    sent = 0
    end = time.monotonic() + seconds
    allowance = 0.0
    last = time.monotonic()
    received = []
    while time.monotonic() < end:
        while len(peer.outbuf) < 1 << 16:
            peer.outbuf += peer.frame(0x2, message(sent))
            sent += 1
        peer.write_some()
        now = time.monotonic()
        allowance += (now - last) * read_rate
        last = now
        if allowance >= 1:
            n = peer.read_some(int(allowance))
            allowance -= n
        peer.wait(False, True, 0.02)
    flood_end = time.monotonic()
    # Send what is queued (reading now), then take every echo.
    while peer.outbuf:
        check_time()
        peer.write_some()
        peer.wait(True, True)
        peer.read_some()
        received += [p for op, p in peer.frames() if op == 0x2]
    while len(received) < sent:
        check_time()
        peer.wait(True, False)
        peer.read_some()
        frames = peer.frames()
        if any(op == 0x8 for op, _ in frames):
            fail("closed by the other end after %d echoes" % len(received))
        received += [p for op, p in frames if op == 0x2]
    bad = next((i for i, p in enumerate(received) if p != message(i)), None)
    if bad is not None:
        fail("echo %d differs" % bad)
    code = peer.close()
    return "sent=%d echoed=%d close=%d flood_s=%.1f drain_s=%.1f" % (
        sent,
        len(received),
        code,
        flood_end - started,
        time.monotonic() - flood_end,
    )


def main():
    global TLS
    args = sys.argv[1:]
    if args[0] == "--tls":
        TLS = (args[1], args[2])
        args = args[3:]
    if args[0] == "client":
        sock, rest = open_client(int(args[1]))
        args = args[2:]
        is_client = True
    else:
        sock, rest = open_server()
        args = args[1:]
        is_client = False
    sock.setblocking(False)
    peer = Peer(sock, is_client)
    peer.inbuf += rest
    if args[0] == "ping-flood":
        result = ping_flood(peer, int(args[1]))
    elif args[0] == "data-flood":
        result = data_flood(peer, float(args[1]), float(args[2]))
    else:
        fail("unknown mode " + args[0])
    print("result", result, flush=True)


if __name__ == "__main__":
    main()
