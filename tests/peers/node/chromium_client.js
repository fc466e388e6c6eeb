// Headless Chromium as a WebSocket client, for the interoperability tests of compression
// (godot-project/tests/test_compression_interop.gd). Browsers always offer permessage-deflate.
//   node chromium_client.js CHROMIUM URL
// starts CHROMIUM (tests/peers/chromium-env) through playwright-core, opens a page served from
// 127.0.0.1 and runs in it a WebSocket client to URL that sends text (strings) and binary
// (ArrayBuffer) messages of 0 B to 1 MiB, one at a time, and checks each echo. Prints, like
// deflate_peer.js: `chromium <version>`, `extensions <ws.extensions>` (the response header as
// the browser took it), `mismatch <index>` per bad echo and `result passed=N failed=M`.
// playwright-core is loaded from $WS_NODE_MODULES (tests/peers/node-env). Loopback only, 120 s at most.
"use strict";
const http = require("http");
const path = require("path");
const { chromium } = require(path.join(process.env.WS_NODE_MODULES, "playwright-core"));

const SIZES = [0, 1, 125, 126, 200, 4096, 65535, 65536, 1 << 20];
// As root on a machine without a network: no sandbox, none of the background traffic
// (component updates, sync, QUIC probes), and no name lookups at all: even so, Chromium 156
// looked up accounts.google.com and update.googleapis.com at every start (strace).
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
setTimeout(() => { console.log("error timed out"); process.exit(1); }, 120000).unref();

// Runs in the page: the same payloads as deflate_peer.js and the GDScript side.
async function echoAll({ url, sizes }) {
  const out = { extensions: "-", passed: 0, failed: 0, mismatches: [] };
  const list = [];
  for (const size of sizes) {
    list.push('{"id":1,"pos":[1.5,2.5],"hp":100},'.repeat(Math.floor(size / 34) + 1).slice(0, size));
    const binary = new Uint8Array(size);
    for (let i = 0; i < size; i++) binary[i] = (i * 7919) % 251;
    list.push(binary);
  }
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const messages = [];
  let wake = null;
  ws.onmessage = (e) => { messages.push(e.data); if (wake) wake(); };
  ws.onclose = () => { if (wake) wake(); };
  const nextMessage = async () => {
    while (messages.length === 0 && ws.readyState === WebSocket.OPEN) await new Promise((r) => (wake = r));
    return messages.shift();
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error("connection failed")); });
  out.extensions = ws.extensions || "-";
  for (const [i, p] of list.entries()) {
    ws.send(typeof p === "string" ? p : p.buffer);
    const got = await nextMessage();
    const same = typeof p === "string"
      ? got === p
      : got instanceof ArrayBuffer && got.byteLength === p.length && new Uint8Array(got).every((b, j) => b === p[j]);
    if (same) out.passed++; else { out.failed++; out.mismatches.push(i); }
  }
  ws.close(1000);
  return out;
}

async function main() {
  const [executablePath, url] = process.argv.slice(2);
  if (!executablePath || !url) {
    console.error("usage: chromium_client.js CHROMIUM URL");
    process.exit(2);
  }
  // The page comes from 127.0.0.1 too: a page from elsewhere would be asking to reach the
  // local network, which the browser may refuse.
  const site = http.createServer((req, res) => { res.setHeader("content-type", "text/html"); res.end("<!doctype html><title>echo</title>"); });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  const browser = await chromium.launch({ executablePath, args: FLAGS, timeout: 90000 });
  try {
    console.log("chromium", browser.version());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${site.address().port}/`);
    const r = await page.evaluate(echoAll, { url, sizes: SIZES });
    console.log("extensions", r.extensions);
    if (!r.extensions.startsWith("permessage-deflate")) r.failed++;
    for (const i of r.mismatches) console.log("mismatch", i);
    console.log(`result passed=${r.passed} failed=${r.failed}`);
  } finally {
    await browser.close();
    site.close();
  }
}

main().then(() => process.exit(0), (e) => { console.log("error", String(e.message).split("\n")[0]); process.exit(1); });
