// Measures what docs/tabs.md §7 cites: what a SharedWorker offers in this Chromium (no
// RTCPeerConnection), a BroadcastChannel round trip between two tabs, and the cost of posting a
// File on it. Run: node scripts/measure-tabs.mjs (loopback HTTP only; no WebRTC).
import { chromium } from '@playwright/test';
import http from 'node:http';
const srv = http
  .createServer((q, r) => {
    r.setHeader('content-type', 'text/html');
    r.end('<!doctype html><title>t</title>');
  })
  .listen(0, '127.0.0.1');
await new Promise((r) => srv.once('listening', r));
const url = `http://127.0.0.1:${srv.address().port}/`;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const ctx = await b.newContext();
const p1 = await ctx.newPage();
await p1.goto(url);
const p2 = await ctx.newPage();
await p2.goto(url);
const inWorker = await p1.evaluate(
  () =>
    new Promise((res) => {
      const src =
        "onconnect = (e) => e.ports[0].postMessage([typeof RTCPeerConnection, typeof WebSocket, typeof indexedDB, typeof navigator.locks].join(','))";
      const w = new SharedWorker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      w.port.onmessage = (e) => res(e.data);
    }),
);
console.log(
  'SharedWorker typeof RTCPeerConnection, WebSocket, indexedDB, navigator.locks:',
  inWorker,
  '| chromium',
  b.version(),
);
await p2.evaluate(() => {
  const c = new BroadcastChannel('m');
  c.onmessage = (e) => c.postMessage(e.data);
  window.c = c;
});
const times = await p1.evaluate(async () => {
  const c = new BroadcastChannel('m');
  const out = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await new Promise((r) => {
      c.onmessage = () => r();
      c.postMessage({ k: 'req', i, body: { key: 'x'.repeat(64) } });
    });
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  return [out[150], out[285]];
});
console.log(
  'BroadcastChannel round trip between two tabs, ms (median, p95 of 300):',
  times.map((x) => x.toFixed(2)).join(', '),
);
const blob = await p1.evaluate(async () => {
  const c = new BroadcastChannel('f');
  const big = new File([new Uint8Array(64 * 1024 * 1024)], 'big.bin');
  const t = performance.now();
  c.postMessage(big);
  return performance.now() - t;
});
console.log('posting a 64 MiB File on a BroadcastChannel, ms:', blob.toFixed(2));
await b.close();
srv.close();
