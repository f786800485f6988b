/**
 * The load generator of bench/relay.bench.ts, one for every server it compares: child processes
 * (the relay in memory, two relay instances sharing Redis, a raw `ws` forwarder, peerjs-server),
 * how a pair of clients meets on each, a windowed ping-pong of prebuilt frames measured in
 * messages/s and server CPU per message, and resident memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

export interface Child {
  child: ChildProcess;
  port: number;
}

/** Starts `node --import tsx <args>` and resolves with the port it prints as `ready`'s first group. */
export function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
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
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}: ${out}`)));
  });
}

export async function stop(c: Child): Promise<void> {
  if (c.child.exitCode !== null) return;
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.kill('SIGTERM');
  await exited;
  children.delete(c.child);
}

/** Every limit raised: the throughput and memory runs measure what forwarding costs, not the limits. */
export const UNLIMITED = {
  MAX_MESSAGES_PER_SECOND: '100000000',
  IP_MESSAGES_PER_SECOND: '100000000',
  MAX_CONNECTIONS: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  GLOBAL_BYTES_PER_SECOND: '100000000000',
  IDLE_TIMEOUT_MS: '600000',
};

export const startRelay = (env: Record<string, string> = {}, flags: string[] = []): Promise<Child> =>
  startChild(
    [...flags, 'server/main.ts'],
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', STATIC_DIR: 'no-such-dist', ...env },
    /listening on http:\/\/127\.0\.0\.1:(\d+)/,
  );
export const startRaw = (): Promise<Child> => startChild(['bench/raw-forwarder.ts'], {}, /listening (\d+)/);
export const startPeerjs = (): Promise<Child> => startChild(['bench/peerjs-server.ts'], {}, /listening (\d+)/);

export function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Connects to a server that speaks first (peerjs-server sends OPEN at once): the listener is in
 * place before the socket opens, since that first frame can arrive with the upgrade response.
 */
export function connectAndHear(url: string): Promise<[WebSocket, { type: string }]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('message', (d) => resolve([ws, JSON.parse(d.toString()) as { type: string }]));
    ws.once('error', reject);
  });
}

/** The next text frame on `ws`, parsed (setup only). */
export function nextJson(ws: WebSocket): Promise<{ type: string }> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

/** Two connected clients and the frame each sends to reach the other. */
export interface Pair {
  sockets: [WebSocket, WebSocket];
  frames: [string, string];
}

export const blob = randomBytes(1024).toString('base64url');

/** A pair in one room of the Parley relay; `urlB` puts the second client on another instance. */
export async function relayPair(urlA: string, urlB = urlA): Promise<Pair> {
  const room = randomBytes(32).toString('base64url');
  const a = await connect(urlA);
  const b = await connect(urlB);
  a.send(JSON.stringify({ type: 'subscribe', room }));
  await nextJson(a); // subscribed
  const joined = nextJson(a); // peer-joined
  b.send(JSON.stringify({ type: 'subscribe', room }));
  await Promise.all([nextJson(b), joined]);
  const frame = JSON.stringify({ type: 'publish', room, data: blob });
  return { sockets: [a, b], frames: [frame, frame] };
}

/** A pair on the raw forwarder: it pairs sockets in connection order and forwards bytes verbatim. */
export async function rawPair(url: string): Promise<Pair> {
  const a = await connect(url);
  const b = await connect(url);
  const frame = JSON.stringify({ type: 'publish', room: randomBytes(32).toString('base64url'), data: blob });
  return { sockets: [a, b], frames: [frame, frame] };
}

/** A pair on peerjs-server: each registers an id and sends OFFERs addressed to the other's. */
export async function peerjsPair(base: string): Promise<Pair> {
  const [ida, idb] = [randomBytes(8).toString('hex'), randomBytes(8).toString('hex')];
  const open = async (id: string): Promise<WebSocket> => {
    const [ws, m] = await connectAndHear(`${base}/peerjs?key=peerjs&id=${id}&token=${randomBytes(4).toString('hex')}`);
    if (m.type !== 'OPEN') throw new Error(`peerjs answered ${m.type}`);
    return ws;
  };
  const a = await open(ida);
  const b = await open(idb);
  const frame = (dst: string) => JSON.stringify({ type: 'OFFER', dst, payload: { sdp: blob } });
  return { sockets: [a, b], frames: [frame(idb), frame(ida)] };
}

/** Messages/s received by all clients together, and the servers' CPU time per relayed message. */
export interface Trial {
  rate: number;
  cpuMicrosPerMsg: number;
}

/**
 * The windowed ping-pong over connected pairs for `ms`: each side keeps `window` frames in flight
 * and answers every frame it receives with its prebuilt frame, so client work is the same for
 * every server. `pids` are the server processes whose CPU is counted.
 */
export async function pingPong(pairs: Pair[], window: number, ms: number, pids: number[]): Promise<Trial> {
  let counting = false;
  let received = 0;
  let short = 0;
  const all = pairs.flatMap((p) => p.sockets.map((ws, i) => [ws, p.frames[i]!] as const));
  for (const [ws, frame] of all) {
    ws.removeAllListeners('message');
    ws.on('message', (data: Buffer) => {
      // A relayed blob frame is > 1 KiB; anything shorter (an error, a pong) means a broken run.
      if (data.length < 1024) short++;
      if (counting) received++;
      ws.send(frame);
    });
  }
  for (const [ws, frame] of all) for (let i = 0; i < window; i++) ws.send(frame);
  await new Promise((r) => setTimeout(r, 300)); // warm up
  counting = true;
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pids);
  await new Promise((r) => setTimeout(r, ms));
  counting = false;
  const rate = received / ((performance.now() - t0) / 1000);
  const cpuMicrosPerMsg = ((cpuSeconds(pids) - cpu0) / received) * 1e6;
  for (const [ws] of all) {
    ws.removeAllListeners('message');
    ws.on('message', () => {});
  }
  await new Promise((r) => setTimeout(r, 200)); // let in-flight frames drain before the next trial
  all.forEach(([ws]) => ws.terminate());
  if (short > 0) throw new Error(`${short} frames were not relayed blobs`);
  return { rate, cpuMicrosPerMsg };
}

/** CPU seconds (user + system) the processes have used so far, from /proc (Linux), or NaN. */
export function cpuSeconds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
    } catch {
      return Number.NaN;
    }
  }
  return total;
}

/** Resident memory of a process now (VmRSS), in bytes. */
export function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;
