/**
 * `npm run bench peer`: what simple-peer costs the app next to a plain `RTCPeerConnection` (issue
 * 13's "keep simple-peer or replace it"), in Debian's Chromium on 127.0.0.1.
 *
 * In one page, two connections signalled to each other in memory (trickle ICE, no servers), once
 * through simple-peer (`DataPeer`'s settings: `trickle: true`, binary `send`, its `data` event) and
 * once with the plain API (`createDataChannel`, `onmessage`):
 * open     = median over 10 runs of new connections → data channel open on both ends, ms;
 * transfer = median over 5 runs of 32 MiB in 64 KiB messages (1 MiB high water, resumed on
 *            `bufferedamountlow` as `DataPeer.drain` does) until the receiver counted every byte, MB/s.
 * value = simple-peer's transfer rate, baseline = the plain API's, ratio = value / baseline
 * (target 0.95: the library must not cost throughput). Its bundle size is printed too.
 *
 * WebRTC stays on loopback: re-run in a network namespace with only `lo` when possible, and
 * Chromium always gets the loopback-only flags.
 */
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { reexecInNetns, SIMPLE_PEER } from './support/browser-bench';

const OPEN_RUNS = 10;
const TRANSFER_RUNS = 5;
const PORT = Number(process.env.BENCH_PORT ?? 8293);

/** In a page: opens a pair (`lib` = 'simple-peer' | 'plain'), returns ms to open; keeps it in `window.__pair`. */
const OPEN_PAIR = `async (lib) => {
  const t0 = performance.now();
  const cfg = { iceServers: [] };
  if (lib === 'simple-peer') {
    const a = new window.SimplePeer({ initiator: true, trickle: true, config: cfg });
    const b = new window.SimplePeer({ initiator: false, trickle: true, config: cfg });
    a.on('signal', (s) => b.signal(s));
    b.on('signal', (s) => a.signal(s));
    await Promise.all([new Promise((r) => a.on('connect', r)), new Promise((r) => b.on('connect', r))]);
    window.__pair = {
      channel: a._channel,
      send: (m) => a.send(m),
      onData: (f) => b.on('data', f),
      close: () => { a.destroy(); b.destroy(); },
    };
  } else {
    const a = new RTCPeerConnection(cfg);
    const b = new RTCPeerConnection(cfg);
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const ch = a.createDataChannel('data');
    ch.binaryType = 'arraybuffer';
    const remote = new Promise((r) => (b.ondatachannel = (e) => { e.channel.binaryType = 'arraybuffer'; e.channel.onopen = () => r(e.channel); if (e.channel.readyState === 'open') r(e.channel); }));
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    await new Promise((r) => (ch.readyState === 'open' ? r() : (ch.onopen = r)));
    const rc = await remote;
    window.__pair = {
      channel: ch,
      send: (m) => ch.send(m),
      onData: (f) => (rc.onmessage = (e) => f(e.data)),
      close: () => { a.close(); b.close(); },
    };
  }
  return performance.now() - t0;
}`;

/** In a page: sends `total` bytes over `window.__pair` in `size`-byte messages; returns MB/s. */
const TRANSFER = `async ({ total, size }) => {
  const p = window.__pair;
  const ch = p.channel;
  const HIGH = 1 << 20;
  ch.bufferedAmountLowThreshold = HIGH / 4;
  const msg = new Uint8Array(size);
  let got = 0;
  const done = new Promise((r) => p.onData((d) => { got += d.byteLength; if (got >= total) r(); }));
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += size) {
    if (ch.bufferedAmount > HIGH) await new Promise((r) => (ch.onbufferedamountlow = r));
    p.send(msg);
  }
  await done;
  const s = (performance.now() - t0) / 1000;
  p.close();
  return total / 1e6 / s;
}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function openMs(page: Page, lib: string): Promise<number> {
  const ms = (await page.evaluate(`(${OPEN_PAIR})(${JSON.stringify(lib)})`)) as number;
  await page.evaluate('window.__pair.close()');
  return ms;
}

async function transferRate(page: Page, lib: string): Promise<number> {
  await page.evaluate(`(${OPEN_PAIR})(${JSON.stringify(lib)})`);
  return (await page.evaluate(`(${TRANSFER})({ total: 32 * 1024 * 1024, size: 64 * 1024 })`)) as number;
}

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const server = createServer((_req, res) => res.end('<!doctype html><title>peer bench</title>'));
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', ...CHROMIUM_ARGS],
  });
  try {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.addScriptTag({ content: SIMPLE_PEER });
    await openMs(page, 'simple-peer'); // warm-up
    await openMs(page, 'plain');
    const open: Record<string, number[]> = { 'simple-peer': [], plain: [] };
    for (let i = 0; i < OPEN_RUNS; i++)
      for (const lib of ['simple-peer', 'plain']) open[lib]!.push(await openMs(page, lib));
    const rate: Record<string, number[]> = { 'simple-peer': [], plain: [] };
    for (let i = 0; i < TRANSFER_RUNS; i++) {
      for (const lib of ['simple-peer', 'plain']) rate[lib]!.push(await transferRate(page, lib));
      console.log(
        `run ${i + 1}: simple-peer ${rate['simple-peer']![i]!.toFixed(1)} MB/s, plain ${rate.plain![i]!.toFixed(1)} MB/s`,
      );
    }
    const v = median(rate['simple-peer']!);
    const b = median(rate.plain!);
    const gz = gzipSync(SIMPLE_PEER).length;
    console.log(
      `open, median of ${OPEN_RUNS}: simple-peer ${median(open['simple-peer']!).toFixed(0)} ms, plain ${median(open.plain!).toFixed(0)} ms; ` +
        `simple-peer's browser build: ${(SIMPLE_PEER.length / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped`,
    );
    console.log(
      JSON.stringify({
        bench: 'peer',
        value: Number(v.toFixed(1)),
        unit: 'MB/s',
        baseline: Number(b.toFixed(1)),
        ratio: Number((v / b).toFixed(2)),
        target: 0.95,
        openMs: Math.round(median(open['simple-peer']!)),
        openBaselineMs: Math.round(median(open.plain!)),
        gzipBytes: gz,
      }),
    );
  } finally {
    await browser.close();
    server.close();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
