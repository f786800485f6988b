/**
 * Relay benchmark (`npm run bench relay`, or `npx tsx bench/relay.bench.ts`).
 *
 * (a) Sustained relayed messages/s: PAIRS pairs of clients in this process ping-pong 1 KiB blobs
 *     through a real relay process (server/main.ts, limits raised) with WINDOW messages in flight
 *     per direction; the baseline is a raw `ws` forwarder process (bench/raw-forwarder.ts) doing
 *     the same exchange without protocol or limits. Trials alternate; medians are compared.
 * (b) Memory per idle connection: a fresh relay process with RELAY_STATS=1 and --expose-gc;
 *     /stats is read (after a GC) before and after opening CONNS sockets, then again after each
 *     pair of them has subscribed to a room.
 *
 * Everything stays on 127.0.0.1. The last line is the JSON summary the bench runner collects.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const root = fileURLToPath(new URL('..', import.meta.url));
const PAIRS = Number(process.env.BENCH_PAIRS ?? 8);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 16);
const TRIAL_MS = Number(process.env.BENCH_TRIAL_MS ?? 2000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const WANTED_CONNS = Number(process.env.BENCH_CONNS ?? 2000);

const children = new Set<ChildProcess>();
const cleanup = (): void => children.forEach((c) => c.kill('SIGKILL'));
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
}

const RELAY_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  STATIC_DIR: 'no-such-dist',
  MAX_MESSAGES_PER_SECOND: '100000000',
  MAX_CONNECTIONS: '1000000',
  IDLE_TIMEOUT_MS: '600000',
};

function startRelay(
  extra: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  return startChild(
    [...nodeFlags, '--import', 'tsx', 'server/main.ts'],
    { ...RELAY_ENV, ...extra },
    /listening on http:\/\/127\.0\.0\.1:(\d+)/,
  ).then(({ child, match }) => ({ child, port: Number(match[1]) }));
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Waits for the next text frame on `ws` and parses it (setup phase only). */
function nextJson(ws: WebSocket): Promise<{ type: string }> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

/** Messages/s received by the clients, and the server process's CPU time per relayed message. */
interface Trial {
  rate: number;
  cpuMicrosPerMsg: number;
}

/**
 * Runs the windowed ping-pong for TRIAL_MS over already connected pairs and returns messages/s
 * received by all clients together. Each received frame is answered with the side's prebuilt
 * frame, so client work is identical for relay and baseline.
 */
async function pingPong(
  pairs: [WebSocket, WebSocket][],
  frames: Map<WebSocket, string>,
  serverPid: number | undefined,
): Promise<Trial> {
  let counting = false;
  let received = 0;
  let short = 0;
  const all = pairs.flat();
  for (const ws of all) {
    const frame = frames.get(ws)!;
    ws.removeAllListeners('message');
    ws.on('message', (data: Buffer) => {
      // A relayed blob frame is > 1 KiB; anything shorter (an error, a pong) means a broken run.
      if (data.length < 1024) short++;
      if (counting) received++;
      ws.send(frame);
    });
  }
  for (const ws of all) for (let i = 0; i < WINDOW; i++) ws.send(frames.get(ws)!);
  await new Promise((r) => setTimeout(r, 300)); // warm up
  counting = true;
  const t0 = performance.now();
  const cpu0 = cpuSeconds(serverPid);
  await new Promise((r) => setTimeout(r, TRIAL_MS));
  counting = false;
  const rate = received / ((performance.now() - t0) / 1000);
  const cpuMicrosPerMsg = ((cpuSeconds(serverPid) - cpu0) / received) * 1e6;
  for (const ws of all) {
    ws.removeAllListeners('message');
    ws.on('message', () => {});
  }
  await new Promise((r) => setTimeout(r, 200)); // let in-flight frames drain before the next trial
  if (short > 0) throw new Error(`${short} frames were not relayed blobs`);
  return { rate, cpuMicrosPerMsg };
}

const blob = randomBytes(1024).toString('base64url');

async function relayTrial(port: number, pid: number | undefined): Promise<Trial> {
  const url = `ws://127.0.0.1:${port}/signal`;
  const pairs: [WebSocket, WebSocket][] = [];
  const frames = new Map<WebSocket, string>();
  for (let i = 0; i < PAIRS; i++) {
    const room = randomBytes(32).toString('base64url');
    const a = await connect(url);
    const b = await connect(url);
    a.send(JSON.stringify({ type: 'subscribe', room }));
    await nextJson(a); // subscribed
    const joined = new Promise<void>((r) => a.once('message', () => r())); // peer-joined
    b.send(JSON.stringify({ type: 'subscribe', room }));
    await Promise.all([nextJson(b), joined]);
    for (const ws of [a, b]) frames.set(ws, JSON.stringify({ type: 'publish', room, data: blob }));
    pairs.push([a, b]);
  }
  const trial = await pingPong(pairs, frames, pid);
  pairs.flat().forEach((ws) => ws.terminate());
  return trial;
}

async function rawTrial(port: number, pid: number | undefined): Promise<Trial> {
  const url = `ws://127.0.0.1:${port}/`;
  const pairs: [WebSocket, WebSocket][] = [];
  const frames = new Map<WebSocket, string>();
  const room = randomBytes(32).toString('base64url');
  for (let i = 0; i < PAIRS; i++) {
    const a = await connect(url);
    const b = await connect(url);
    // The same bytes a relay client would send, forwarded verbatim.
    for (const ws of [a, b]) frames.set(ws, JSON.stringify({ type: 'publish', room, data: blob }));
    pairs.push([a, b]);
  }
  const trial = await pingPong(pairs, frames, pid);
  pairs.flat().forEach((ws) => ws.terminate());
  return trial;
}

/** CPU seconds (user + system) a child has used so far, from /proc (Linux), or NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
  } catch {
    return NaN;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughput(): Promise<{ relay: number; raw: number; ratio: number; relayCpu: number; rawCpu: number }> {
  const relay = await startRelay();
  const raw = await startChild(['--import', 'tsx', 'bench/raw-forwarder.ts'], {}, /listening (\d+)/);
  const rawPort = Number(raw.match[1]);
  const relayTrials: Trial[] = [];
  const rawTrials: Trial[] = [];
  const ratios: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    // Alternate which goes first so that a slow patch of the (shared) machine hits both.
    if (t % 2 === 0) {
      rawTrials.push(await rawTrial(rawPort, raw.child.pid));
      relayTrials.push(await relayTrial(relay.port, relay.child.pid));
    } else {
      relayTrials.push(await relayTrial(relay.port, relay.child.pid));
      rawTrials.push(await rawTrial(rawPort, raw.child.pid));
    }
    const [rl, rw] = [relayTrials[t]!, rawTrials[t]!];
    ratios.push(rl.rate / rw.rate);
    console.log(
      JSON.stringify({
        trial: t + 1,
        relayMsgsPerSec: Math.round(rl.rate),
        rawMsgsPerSec: Math.round(rw.rate),
        ratio: Math.round(ratios[t]! * 1000) / 1000,
        relayCpuMicrosPerMsg: Math.round(rl.cpuMicrosPerMsg * 10) / 10,
        rawCpuMicrosPerMsg: Math.round(rw.cpuMicrosPerMsg * 10) / 10,
      }),
    );
  }
  await stop(relay.child);
  await stop(raw.child);
  return {
    relay: median(relayTrials.map((x) => x.rate)),
    raw: median(rawTrials.map((x) => x.rate)),
    ratio: median(ratios),
    relayCpu: median(relayTrials.map((x) => x.cpuMicrosPerMsg)),
    rawCpu: median(rawTrials.map((x) => x.cpuMicrosPerMsg)),
  };
}

/** Soft limit on open files for this process; each client socket costs one here. */
function fileLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : 1024; // "unlimited" → NaN → assume the common default
}

async function memory(): Promise<Record<string, number>> {
  const limit = fileLimit();
  const conns = Math.min(WANTED_CONNS, limit - 200);
  if (conns < WANTED_CONNS)
    console.log(
      `note: ulimit -n is ${limit}; measuring ${conns} sockets instead of ${WANTED_CONNS} (raise it with \`ulimit -n 8192\`)`,
    );
  const relay = await startRelay({ RELAY_STATS: '1', MAX_ROOMS_PER_SOCKET: '32' }, ['--expose-gc']);
  const base = `http://127.0.0.1:${relay.port}`;
  type Stats = { connections: number; memory: NodeJS.MemoryUsage };
  const stats = async (): Promise<Stats> => {
    await new Promise((r) => setTimeout(r, 300));
    return (await (await fetch(`${base}/stats`)).json()) as Stats;
  };
  await stats(); // warm the HTTP path and the code once before the baseline
  const warm = await connect(`${base.replace('http', 'ws')}/signal`);
  warm.send(JSON.stringify({ type: 'subscribe', room: randomBytes(32).toString('base64url') }));
  await nextJson(warm);
  warm.close();
  const before = await stats();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < conns; i += 100) {
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, conns - i) }, () => connect(`${base.replace('http', 'ws')}/signal`)),
      )),
    );
  }
  const idle = await stats();
  if (idle.connections !== conns) throw new Error(`relay reports ${idle.connections} connections, expected ${conns}`);
  for (let i = 0; i < sockets.length; i += 2) {
    const room = randomBytes(32).toString('base64url');
    for (const ws of sockets.slice(i, i + 2)) ws.send(JSON.stringify({ type: 'subscribe', room }));
  }
  await Promise.all(sockets.map((ws) => nextJson(ws)));
  const subscribed = await stats();
  const kib = (a: NodeJS.MemoryUsage, b: NodeJS.MemoryUsage, f: (m: NodeJS.MemoryUsage) => number): number =>
    Math.round(((f(b) - f(a)) / conns / 1024) * 100) / 100;
  const js = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
  const rss = (m: NodeJS.MemoryUsage): number => m.rss;
  sockets.forEach((ws) => ws.terminate());
  await stop(relay.child);
  return {
    connections: conns,
    heapPlusExternalPerConnKiB: kib(before.memory, idle.memory, js),
    rssPerConnKiB: kib(before.memory, idle.memory, rss),
    heapPlusExternalPerSubscribedConnKiB: kib(before.memory, subscribed.memory, js),
    rssPerSubscribedConnKiB: kib(before.memory, subscribed.memory, rss),
  };
}

const mem = await memory();
console.log(JSON.stringify({ bench: 'relay-memory', unit: 'KiB/connection', ...mem }));
const t = await throughput();
const ratio = Math.round((t.relay / t.raw) * 1000) / 1000;
// Throughput on a shared 2-core machine swings with other load; server CPU time per relayed
// message is the steadier comparison, so it is reported too (raw/relay: 1 = as cheap as raw).
const cpuRatio = Math.round((t.rawCpu / t.relayCpu) * 1000) / 1000;
console.log(
  JSON.stringify({
    bench: 'relay',
    value: Math.round(t.relay),
    unit: 'msgs/s',
    baseline: Math.round(t.raw),
    ratio,
    target: 0.8,
    memPerConnKiB: mem.heapPlusExternalPerConnKiB,
    relayCpuMicrosPerMsg: Math.round(t.relayCpu * 10) / 10,
    rawCpuMicrosPerMsg: Math.round(t.rawCpu * 10) / 10,
    cpuRatio,
    medianTrialRatio: Math.round(t.ratio * 1000) / 1000,
    rssPerConnKiB: mem.rssPerConnKiB,
    pairs: PAIRS,
    window: WINDOW,
    blobBytes: 1024,
  }),
);
process.exit(0);
