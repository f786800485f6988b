/**
 * The memory and abuse phases of bench/relay.bench.ts.
 *
 * Memory: resident memory per idle socket (and per socket with one room joined, pairs sharing a
 * room) of each server, from /proc, after opening `conns` sockets to a fresh process.
 *
 * Abuse: an honest pair's round trips through the relay with its shipped limits, alone and while
 * test/support/flood.ts (its own process) floods it from hundreds of sockets that each stay inside
 * every per-socket and per-address limit — with the global input budget on (the default) and off.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { FloodReport } from '../../test/support/flood';
import { connect, nextJson, median, rss, round, root, stop, type Child } from './relay-load';

export interface MemoryResult {
  server: string;
  connections: number;
  rssPerConnKiB: number;
  rssPerSubscribedConnKiB?: number;
  /** For the relay (RELAY_STATS=1 with --expose-gc): V8 heap + external after a full GC. */
  heapPerConnKiB?: number;
  heapPerSubscribedConnKiB?: number;
}

/** heapUsed + external of a relay after a full GC, from its /stats (RELAY_STATS=1, --expose-gc). */
export async function relayHeap(c: Child): Promise<number> {
  const s = (await (await fetch(`http://127.0.0.1:${c.port}/stats`)).json()) as { memory: NodeJS.MemoryUsage };
  return s.memory.heapUsed + s.memory.external;
}

const settle = (ms = 500) => new Promise((r) => setTimeout(r, ms));

/** Opens `conns` sockets with `open` in batches of 100 and measures the server's RSS around it. */
export async function memoryOf(
  server: string,
  c: Child,
  conns: number,
  open: (i: number) => Promise<WebSocket>,
  subscribe?: (pair: [WebSocket, WebSocket]) => Promise<void>,
  heap?: (c: Child) => Promise<number>,
): Promise<MemoryResult> {
  await open(-1).then((ws) => ws.close()); // warm the code path once before the baseline
  await settle();
  const heap0 = heap ? await heap(c) : 0;
  const before = rss(c.child.pid!);
  const perConn = (bytes: number) => round(bytes / conns / 1024, 2);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < conns; i += 100)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, conns - i) }, (_, k) => open(i + k)))));
  await settle();
  const result: MemoryResult = { server, connections: conns, rssPerConnKiB: perConn(rss(c.child.pid!) - before) };
  if (heap) result.heapPerConnKiB = perConn((await heap(c)) - heap0);
  if (subscribe) {
    for (let i = 0; i + 1 < sockets.length; i += 2) await subscribe([sockets[i]!, sockets[i + 1]!]);
    await settle();
    result.rssPerSubscribedConnKiB = perConn(rss(c.child.pid!) - before);
    if (heap) result.heapPerSubscribedConnKiB = perConn((await heap(c)) - heap0);
  }
  sockets.forEach((ws) => ws.terminate());
  await stop(c);
  return result;
}

/** Subscribes both sockets to a new room (and waits for the answers). */
export async function subscribePair([a, b]: [WebSocket, WebSocket]): Promise<void> {
  const room = randomBytes(32).toString('base64url');
  const answers = [nextJson(a), nextJson(b)];
  for (const ws of [a, b]) ws.send(JSON.stringify({ type: 'subscribe', room }));
  await Promise.all(answers);
}

export interface AbuseResult {
  phase: string;
  honestRttMedianMs: number;
  honestRttP95Ms: number;
  roundTrips: number;
  floodWrittenMBps?: number;
  floodRelayedBackMBps?: number;
}

/** The honest pair's round trips for `seconds`, optionally under a flood of `sockets` sockets. */
export async function honestUnderFlood(
  phase: string,
  relay: Child,
  seconds: number,
  flood: { sockets: number } | null,
): Promise<AbuseResult> {
  const url = `ws://127.0.0.1:${relay.port}/signal`;
  const room = randomBytes(32).toString('base64url');
  const open = (ip: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { 'x-forwarded-for': ip }, perMessageDeflate: false });
      ws.once('open', () => resolve(ws)).once('error', reject);
    });
  const a = await open('192.0.2.1');
  const b = await open('192.0.2.2');
  for (const ws of [a, b]) {
    ws.send(JSON.stringify({ type: 'subscribe', room }));
    await nextJson(ws);
  }
  b.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { type: string; data?: string };
    if (m.type === 'message') b.send(JSON.stringify({ type: 'publish', room, data: m.data }));
  });
  const gen = flood ? startFlood(url, flood.sockets, seconds) : null;
  if (gen) await gen.started;
  const rtts: number[] = [];
  // Under a flood, stop a little before the generator does (it reports first after one second).
  const end = performance.now() + (gen ? seconds - 1.5 : seconds) * 1000;
  while (performance.now() < end) {
    const data = randomBytes(24).toString('base64url');
    const t0 = performance.now();
    const back = new Promise<void>((resolve) => {
      const on = (d: Buffer) => {
        if (d.toString().includes(data)) {
          a.off('message', on);
          resolve();
        }
      };
      a.on('message', on);
    });
    a.send(JSON.stringify({ type: 'publish', room, data }));
    await back;
    rtts.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  const report = gen ? await gen.done : null;
  a.terminate();
  b.terminate();
  await stop(relay);
  const sorted = [...rtts].sort((x, y) => x - y);
  return {
    phase,
    honestRttMedianMs: round(median(rtts), 1),
    honestRttP95Ms: round(sorted[Math.floor(sorted.length * 0.95)]!, 1),
    roundTrips: rtts.length,
    ...(report
      ? {
          floodWrittenMBps: round(report.bytesSent / report.seconds / 1e6, 1),
          floodRelayedBackMBps: round(report.bytesReceived / report.seconds / 1e6, 1),
        }
      : {}),
  };
}

/** The flood generator as a child process; `started` once its sockets are connected. */
function startFlood(
  url: string,
  sockets: number,
  seconds: number,
): { started: Promise<void>; done: Promise<FloodReport> } {
  const options = { url, sockets, rate: 45, frameBytes: 65_000, seconds, forwardedBase: '10.9' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/flood.ts', JSON.stringify(options)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: FloodReport | null = null;
  let buf = '';
  let onFirst: () => void = () => {};
  const started = new Promise<void>((r) => (onFirst = r));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      last = JSON.parse(buf.slice(0, i)) as FloodReport;
      buf = buf.slice(i + 1);
      onFirst();
    }
  });
  const done = new Promise<FloodReport>((resolve, reject) =>
    child.once('exit', () => (last ? resolve(last) : reject(new Error('flood generator reported nothing')))),
  );
  return { started, done };
}

export { connect };
