// A Node `ws` peer with permessage-deflate (perMessageDeflate: true), for the
// interoperability tests of compression (godot-project/tests/test_compression_interop.gd).
// Same interface as ../deflate_peer.py:
//   node deflate_peer.js server        echo server on 127.0.0.1; prints the port, then per
//                                      connection `extensions <response header value>`
//   node deflate_peer.js client URL    sends text and binary messages of 0 B to 1 MiB,
//                                      checks each echo, prints `extensions <value>` and
//                                      `result passed=N failed=M`
// `ws` is loaded from $WS_NODE_MODULES (tests/peers/node-env). Loopback only, 60 s at most.
"use strict";
const path = require("path");
const { WebSocket, WebSocketServer } = require(path.join(process.env.WS_NODE_MODULES, "ws"));

const SIZES = [0, 1, 125, 126, 200, 4096, 65535, 65536, 1 << 20];
const MAX = 2 << 20;
setTimeout(() => process.exit(1), 60000).unref();

function payloads() {
  const out = [];
  for (const size of SIZES) {
    out.push('{"id":1,"pos":[1.5,2.5],"hp":100},'.repeat(Math.floor(size / 34) + 1).slice(0, size));
    const binary = Buffer.alloc(size);
    for (let i = 0; i < size; i++) binary[i] = (i * 7919) % 251;
    out.push(binary);
  }
  return out;
}

const [mode, url] = process.argv.slice(2);
if (mode === "server") {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: true, maxPayload: MAX });
  wss.on("headers", (headers) => {
    const line = headers.find((h) => h.toLowerCase().startsWith("sec-websocket-extensions:"));
    console.log("extensions", line ? line.slice(line.indexOf(":") + 1).trim() : "-");
  });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  wss.on("listening", () => console.log(wss.address().port));
} else if (mode === "client" && url) {
  const ws = new WebSocket(url, { perMessageDeflate: true, maxPayload: MAX });
  const list = payloads();
  let passed = 0, failed = 0, at = 0;
  ws.on("upgrade", (res) => {
    const ext = res.headers["sec-websocket-extensions"] || "-";
    console.log("extensions", ext);
    if (!ext.startsWith("permessage-deflate")) failed++;
  });
  const next = () => {
    if (at === list.length) {
      console.log(`result passed=${passed} failed=${failed}`);
      ws.close(1000);
      return;
    }
    const p = list[at];
    ws.send(p, { binary: Buffer.isBuffer(p) });
  };
  ws.on("open", next);
  ws.on("message", (data, isBinary) => {
    const p = list[at++];
    const same = Buffer.isBuffer(p) ? isBinary && data.equals(p) : !isBinary && data.toString("utf8") === p;
    if (same) passed++; else { failed++; console.log("mismatch", at - 1); }
    next();
  });
  ws.on("close", () => process.exit(0));
  ws.on("error", (e) => { console.log("error", e.message); process.exit(1); });
} else {
  console.error("usage: deflate_peer.js server | client URL");
  process.exit(2);
}
