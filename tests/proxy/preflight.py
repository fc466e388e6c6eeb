"""Checks the proxy test setup itself before Godot runs against it, so that a broken proxy
configuration fails here, named, instead of showing up as a failure of the code under test.

Usage: preflight.py CA_PEM   (ports and credentials from the PROXY_TEST_* environment of
tests/proxy/run)

Sends a CONNECT by hand through each proxy and checks its status line: A (open) 200,
B (Basic auth) 200 with the right credentials, 401 with wrong ones and 407 with none, C (CONNECT only
to port 443) 403, the TLS terminator in front of A 200 (with the test CA checking its
certificate), the down port refuses, the "not HTTP" port answers an SSH banner; and
that the tunnel through A really reaches the echo server (a WebSocket handshake's 101).
Prints one line per check; exits 1 if any failed. Never prints the password.
"""

import base64
import os
import socket
import ssl
import sys

HOST = "127.0.0.1"
env = os.environ
PORT = {k: int(env["PROXY_TEST_%s_PORT" % k.upper()]) for k in
        ("a", "b", "c", "tls", "down", "nothttp", "echo_ws", "echo_wss")}
USER, PASSWORD = env["PROXY_TEST_USER"], env["PROXY_TEST_PASSWORD"]
failures = 0


def check(name, ok, seen):
    global failures
    failures += 0 if ok else 1
    print("preflight: %s %s (%s)" % ("ok  " if ok else "FAIL", name, seen.replace(PASSWORD, "***")))


def connect(port, target, auth=None, tls=None):
    """CONNECT target through the proxy at port; returns (status line, socket)."""
    sock = socket.create_connection((HOST, port), timeout=5)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname=HOST)
    request = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (target, target)
    if auth is not None:
        token = base64.b64encode(("%s:%s" % auth).encode()).decode()
        request += "Proxy-Authorization: Basic %s\r\n" % token
    sock.sendall((request + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return head.split(b"\r\n", 1)[0].decode("latin-1"), sock


def code(line):
    """The status code of an HTTP status line, "" for anything else."""
    words = line.split()
    return words[1] if len(words) > 1 and words[0].startswith("HTTP/1.") else ""


def status(port, target, **kw):
    try:
        line, sock = connect(port, target, **kw)
        sock.close()
        return line
    except OSError as e:
        return "error: %s" % e


echo = "%s:%d" % (HOST, PORT["echo_ws"])
line = status(PORT["a"], echo)
check("A: open CONNECT -> 200", code(line) == "200", line)
line = status(PORT["b"], echo)
check("B: no credentials -> 407", code(line) == "407", line)
line = status(PORT["b"], echo, auth=(USER, "wrong" + PASSWORD))
# tinyproxy 1.11 answers missing credentials with 407 but wrong ones with 401.
check("B: wrong password -> 401", code(line) == "401", line)
line = status(PORT["b"], echo, auth=(USER, PASSWORD))
check("B: right credentials -> 200", code(line) == "200", line)
line = status(PORT["c"], echo)
check("C: CONNECT to a port other than 443 -> 403", code(line) == "403", line)
tls = ssl.create_default_context(cafile=sys.argv[1])
line = status(PORT["tls"], echo, tls=tls)
check("TLS terminator -> A: 200, certificate trusted by the test CA", code(line) == "200", line)
line = status(PORT["tls"], echo, tls=ssl.create_default_context())
check("TLS terminator: untrusted by default trust", line.startswith("error:"), line)
line = status(PORT["down"], echo)
check("down: nothing listens", "refused" in line, line)

try:
    with socket.create_connection((HOST, PORT["nothttp"]), timeout=5) as s:
        banner = s.recv(100).decode("latin-1").strip()
except OSError as e:
    banner = "error: %s" % e
check("not-HTTP: SSH banner", banner.startswith("SSH-2.0-"), banner)

# The tunnel carries bytes both ways: a WebSocket handshake with each echo server behind A,
# the wss one over TLS inside the tunnel, its certificate checked for both names it holds.
def handshake_through_a(port, server_name=None):
    target = "%s:%d" % (HOST, port)
    try:
        line, sock = connect(PORT["a"], target)
        if code(line) != "200":
            return line
        if server_name is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_name)
        sock.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      % target).encode())
        answer = sock.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        sock.close()
        return answer
    except OSError as e:
        return "error: %s" % e


answer = handshake_through_a(PORT["echo_ws"])
check("A: tunnel to the ws echo server carries a WebSocket handshake", code(answer) == "101", answer)
for name in ("localhost", HOST):
    answer = handshake_through_a(PORT["echo_wss"], name)
    check("A: TLS to the wss echo server (as %s) inside the tunnel" % name, code(answer) == "101", answer)

sys.exit(1 if failures else 0)
