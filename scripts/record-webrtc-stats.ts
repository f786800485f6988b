/**
 * Records `RTCPeerConnection.getStats()` reports for the route tests (test/net/route-stats.test.ts):
 * two connections in one Chromium page on loopback — direct (host candidates), both sides
 * relay-only through a real coturn, and one side relay-only — plus node-datachannel's polyfill,
 * each read twice around 1 MiB of data-channel traffic. Writes test/vectors/webrtc-stats.json.
 *
 * Loopback only: run it inside a network namespace that has only `lo`, as root:
 *   unshare -n sh -c 'ip link set lo up && node --import tsx scripts/record-webrtc-stats.ts'
 */
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { startCoturn } from '../test/support/services';
import { nodeWrtc } from '../test/support/wrtc';

type Report = Record<string, unknown>[];
const KEEP = new Set(['transport', 'candidate-pair', 'local-candidate', 'remote-candidate']);

/** In the page: two connections with the given policies, a data channel, 1 MiB sent; stats before and after. */
const IN_PAGE = `async ({ iceServers, policyA, policyB }) => {
  const a = new RTCPeerConnection({ iceServers, iceTransportPolicy: policyA });
  const b = new RTCPeerConnection({ iceServers, iceTransportPolicy: policyB });
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const ch = a.createDataChannel('x');
  const got = new Promise((r) => { let n = 0; b.ondatachannel = (e) => { e.channel.onmessage = (m) => { n += m.data.byteLength; if (n >= 1 << 20) r(); }; }; });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await new Promise((r) => { if (ch.readyState === 'open') r(); else ch.onopen = r; });
  await new Promise((r) => setTimeout(r, 1500));
  const dump = async (pc) => { const out = []; (await pc.getStats()).forEach((s) => out.push(s)); return out; };
  const before = await dump(a);
  for (let i = 0; i < 64; i++) ch.send(new Uint8Array(16384));
  await got;
  await new Promise((r) => setTimeout(r, 500));
  const after = await dump(a);
  a.close(); b.close();
  return [before, after];
}`;

/** Addresses and ids that name this machine's network are dropped (loopback anyway); `address` becomes 127.0.0.1. */
const DROP = new Set(['ip', 'relatedAddress', 'url', 'foundation', 'usernameFragment']);

function trim(r: Report): Report {
  return r
    .filter((s) => KEEP.has(String(s.type)))
    .map((s) => {
      const out = Object.fromEntries(Object.entries(s).filter(([k]) => !DROP.has(k)));
      if ('address' in out) out.address = '127.0.0.1';
      return out;
    });
}

async function nodeDatachannel(): Promise<Report[]> {
  const a = new nodeWrtc.RTCPeerConnection({ iceServers: [] });
  const b = new nodeWrtc.RTCPeerConnection({ iceServers: [] });
  a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
  const ch = a.createDataChannel('x');
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  await new Promise<void>((r) => (ch.readyState === 'open' ? r() : (ch.onopen = () => r())));
  await new Promise((r) => setTimeout(r, 500));
  const dump = async () => [...(await a.getStats()).values()] as Report;
  const before = await dump();
  for (let i = 0; i < 64; i++) ch.send(new Uint8Array(16384));
  await new Promise((r) => setTimeout(r, 1000));
  const after = await dump();
  a.close();
  b.close();
  return [trim(before), trim(after)];
}

async function main(): Promise<void> {
  const turn = await startCoturn({ secret: 'record-webrtc-stats-secret' });
  const server = createServer((_q, res) => res.end('<!doctype html><title>stats</title>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { createHmac } = await import('node:crypto');
  const username = `${Math.floor(Date.now() / 1000) + 3600}:record`;
  const credential = createHmac('sha1', 'record-webrtc-stats-secret').update(username).digest('base64');
  const iceServers = [{ urls: [`turn:127.0.0.1:${turn.port}?transport=udp`], username, credential }];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', ...CHROMIUM_ARGS],
  });
  const page = await (await browser.newContext({ permissions: ['camera', 'microphone'] })).newPage();
  await page.goto(origin);
  const run = async (policyA: string, policyB: string, servers: unknown[]) =>
    (
      (await page.evaluate(`(${IN_PAGE})(${JSON.stringify({ iceServers: servers, policyA, policyB })})`)) as Report[]
    ).map(trim);
  const out = {
    description:
      'getStats() reports recorded by scripts/record-webrtc-stats.ts on loopback: each case is [before, after] 1 MiB sent on a data channel, from the offering side; only transport, candidate-pair and candidate stats, addresses replaced by 127.0.0.1.',
    chromium: browser.version(),
    cases: {
      'chromium-direct': await run('all', 'all', []),
      'chromium-relay': await run('relay', 'relay', iceServers),
      'chromium-relay-local-only': await run('relay', 'all', iceServers),
      'chromium-relay-remote-only': await run('all', 'relay', iceServers),
      'node-datachannel-direct': await nodeDatachannel(),
    },
  };
  writeFileSync(new URL('../test/vectors/webrtc-stats.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
  await browser.close();
  server.close();
  await turn.stop();
  console.log('wrote test/vectors/webrtc-stats.json');
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
