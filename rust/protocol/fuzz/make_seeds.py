#!/usr/bin/env python3
"""Writes the hand-made seed inputs under seeds/<target>/ (committed; rerun after
changing the input layout described in fuzz_targets/common.rs).

frame_decoder inputs start with [cfg0, cfg1, size0, size1, size2]; the handshake
inputs with [cfg, size0, size1, size2]; url and proxy_header inputs are the bytes themselves."""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")


def mask(payload, key):
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def frame(opcode, payload=b"", fin=True, key=None):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    m = 0x80 if key else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n <= 0xFFFF:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if key:
        return head + bytes(key) + mask(payload, key)
    return head + payload


def both(name, frames_of, cfg0, cfg1, sizes):
    """One seed with unmasked frames (for the client) and one masked (for the server)."""
    prefix = bytes([cfg0, cfg1]) + bytes(sizes)
    out = {}
    out[name + "_unmasked"] = prefix + b"".join(frames_of(None))
    out[name + "_masked"] = prefix + b"".join(frames_of(b"\x37\xfa\x21\x3d"))
    return out


def frame_decoder():
    seeds = {}
    seeds.update(both("text", lambda k: [frame(0x1, b"Hello", key=k)], 0x02, 0x08, [0, 0, 0]))
    seeds.update(both("fragmented", lambda k: [frame(0x1, b"Hel", fin=False, key=k), frame(0x9, b"p", key=k),
                                               frame(0x0, b"lo", key=k)], 0x12, 0x08, [1, 3, 2]))
    seeds.update(both("ping_close", lambda k: [frame(0x9, b"ping", key=k), frame(0xA, b"", key=k),
                                               frame(0x8, struct.pack(">H", 1000) + b"bye", key=k)], 0x02, 0x0c, [2, 5, 0]))
    seeds.update(both("binary16", lambda k: [frame(0x2, bytes(range(200)), key=k)], 0x03, 0x08, [7, 130, 1]))
    seeds.update(both("len64", lambda k: [frame(0x2, b"\x00" * 70000, key=k)[:40]], 0x03, 0x00, [0, 0, 0]))
    seeds.update(both("queue_full", lambda k: [frame(0x1, b"a", key=k), frame(0x2, b"bc", key=k), frame(0x1, b"d", key=k),
                                               frame(0x9, b"", key=k), frame(0x1, b"\xce\xbb", key=k)], 0x21, 0x0a, [3, 1, 4]))
    seeds.update(both("bad_utf8", lambda k: [frame(0x1, b"ok", key=k), frame(0x1, b"\xf4\x90\x80", key=k)], 0x12, 0x08, [0, 0, 0]))
    seeds.update(both("app_acts", lambda k: [frame(0x9, b"x", key=k), frame(0x1, b"hi", key=k),
                                             frame(0x8, b"", key=k)], 0xc2, 0x11, [1, 1, 1]))
    return seeds


ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # for the key "the sample nonce"
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


def client_handshake():
    ok = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + b"\r\n"
    return {
        "ok": bytes([0, 0, 0, 0]) + ok + b"\r\n",
        "ok_protocol_leftover": bytes([1, 10, 1, 0]) + ok + b"Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x02hi",
        "ok_token_lists": bytes([2, 3, 0, 0]) + ok.replace(b"Connection: Upgrade", b"connection: keep-alive, upgrade") + b"\r\n",
        "forbidden": bytes([0, 0, 0, 0]) + b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        "http10": bytes([0, 5, 0, 0]) + ok.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n",
        "extensions": bytes([1, 0, 0, 0]) + ok + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "small_limit": bytes([0x08, 0, 0, 0]) + ok + b"\r\n",
    }


def server_handshake():
    req = (b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n")
    return {
        "ok": bytes([0, 0, 0, 0]) + req + b"\r\n",
        "ok_protocols_leftover": bytes([2, 17, 1, 0]) + req + b"Sec-WebSocket-Protocol: superchat, chat\r\n\r\n\x81\x82abcd\x00\x00",
        "no_common_protocol": bytes([1, 0, 0, 0]) + req + b"Sec-WebSocket-Protocol: other\r\n\r\n",
        "version12": bytes([0, 0, 0, 0]) + req.replace(b"Version: 13", b"Version: 12") + b"\r\n",
        "post": bytes([0, 4, 0, 0]) + req.replace(b"GET ", b"POST ") + b"\r\n",
        "two_token_line": bytes([0, 0, 0, 0]) + b"GET /\r\nHost: h\r\n\r\n",
        "bad_key": bytes([0, 0, 0, 0]) + req.replace(KEY, b"x") + b"\r\n",
        "small_limit": bytes([4, 0, 0, 0]) + req + b"\r\n",
    }


def url():
    return {
        "plain": b"ws://example.com/chat?x=1#frag",
        "secure_v6": b"wss://[::1]:8443/",
        "userinfo_port": b"user:pw@Host.Example:80",
        "bare": b"example.com",
        "query_only": b"ws://h:65535?q=1",
        "ipv4": b"WS://127.0.0.1:9/a%20b",
    }


def deflate():
    """[cfg, size0, size1, size2] + compressed frames (RSV1), as RFC 7692 sends them."""
    def compressed(messages, wbits, reset):
        c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
        out = []
        for m in messages:
            data = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
            out.append(data[:-4])
            if reset:
                c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
        return out

    def frames(payloads, key, opcode=0x1):
        return b"".join(bytes([0xC0 | opcode, (0x80 if key else 0) | len(p)]) + (bytes(key) + mask(p, key) if key else p)
                        for p in payloads if len(p) < 126)

    text = [b'{"x": 1, "y": 2, "name": "player"}', b'{"x": 1, "y": 3, "name": "player"}', b"hello hello hello"]
    key = b"\x37\xfa\x21\x3d"
    seeds = {}
    for wbits, reset in [(15, False), (15, True), (9, False)]:
        cfg = (wbits - 8) | (8 if reset else 0) | 0x20  # cap 4096
        payloads = compressed(text, wbits, reset)
        seeds["client_w%d%s" % (wbits, "_reset" if reset else "")] = bytes([cfg, 0, 0, 0]) + frames(payloads, None)
        seeds["server_w%d%s" % (wbits, "_reset" if reset else "")] = bytes([cfg | 0x40, 7, 0, 3]) + frames(payloads, key)
    # A raw stream and the codec round trip on their own.
    seeds["stream"] = bytes([0x27, 5, 9, 0]) + b"".join(compressed(text, 15, False))
    return seeds


def proxy_header():
    """PROXY protocol headers as HAProxy sends them (v1 text, v2 binary), one with a request after it."""
    v2 = b"\r\n\r\n\0\r\nQUIT\n"
    tcp4 = bytes([192, 0, 2, 7, 198, 51, 100, 1]) + struct.pack(">HH", 56324, 443)
    return {
        "v1_tcp4": b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n",
        "v1_tcp6": b"PROXY TCP6 2001:db8::7 2001:db8::1 4711 80\r\n",
        "v1_unknown": b"PROXY UNKNOWN\r\n",
        "v2_tcp4": v2 + bytes([0x21, 0x11]) + struct.pack(">H", len(tcp4)) + tcp4,
        "v2_local": v2 + bytes([0x20, 0x00, 0x00, 0x00]),
    }


def main():
    for target, seeds in [("frame_decoder", frame_decoder()), ("client_handshake", client_handshake()),
                          ("server_handshake", server_handshake()), ("url", url()), ("deflate", deflate()),
                          ("proxy_header", proxy_header())]:
        d = os.path.join(SEEDS, target)
        os.makedirs(d, exist_ok=True)
        # Only the seeds made here are replaced: inputs committed by hand (regressions a
        # fuzzer found) stay.
        for name in os.listdir(d):
            if not name.startswith("regression_"):
                os.remove(os.path.join(d, name))
        for name, data in sorted(seeds.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
