/**
 * A recording relay: the real relay (`createRelay` from server/relay.ts) on 127.0.0.1 with an
 * `onForward` hook that records every frame it forwards — the room, the `data` string and the
 * exact WebSocket text the other sockets of the room receive — in memory and, optionally, as
 * JSON lines in a file. It is what an honest-but-curious relay operator gets to keep; the
 * metadata tests scan it for secrets (DESIGN.md "What the signaling server may learn").
 *
 * It also records every subscription — which socket joined which room, and when — since that is
 * what lets a relay link rooms to each other (docs/protocol-app.md §3.5), and every mailbox
 * request it accepts (what it stores and hands out, and whose addresses are asked for).
 *
 * In a test: `const r = await startRecordingRelay({ out, subs })`, then `r.frames`, `r.subscriptions`,
 * `r.mailbox`. As a process (for browser tests, which load the app from this relay):
 *   node --import tsx test/support/recording-relay.ts --port 8182 --out /tmp/frames.jsonl
 *     [--subs /tmp/subs.jsonl] [--mailbox-out /tmp/mailbox.jsonl] [--static dist]
 * It prints one line `recording relay listening on http://127.0.0.1:PORT` once it listens, and
 * exits cleanly on SIGTERM/SIGINT. `STATIC_DIR` is honoured when `--static` is not given. The
 * stdin command `drop` cuts every TCP connection at once (as a network change would: the clients
 * reconnect to the same process, whose socket ids go on counting) and prints `dropped N`; `sockets`
 * prints `sockets {"open":N,"peak":M}`, the WebSocket connections open now and the most ever at once.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRelay, type Relay } from '../../server/relay';
import { encode } from '../../server/protocol';
import type { LogLevel } from '../../server/log';

/** One forwarded publish, as the relay saw and sent it. */
export interface RecordedFrame {
  /** ms since the epoch, when the relay forwarded it. */
  at: number;
  room: string;
  /** The opaque `data` field (base64url of a sealed blob, if the clients behave). */
  data: string;
  /** The relay's id of the publishing socket. */
  from: string;
  /** The exact text frame delivered to the other sockets of the room. */
  raw: string;
}

/** One socket joining one room, as the relay saw it. */
export interface RecordedSubscription {
  /** ms since the epoch, when the socket joined. */
  at: number;
  room: string;
  /** The relay's id of the socket (`s1`, `s2`, …; a new one for every connection). */
  socket: string;
}

/** One mailbox request the relay accepted (the `data` of a put is what it stores and hands out). */
export interface RecordedMailbox {
  at: number;
  op: 'mailbox-put' | 'mailbox-fetch' | 'mailbox-ack';
  address: string;
  data?: string;
  from: string;
}

export interface RecordingRelayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only; anything else is refused. */
  host?: '127.0.0.1';
  /** Also append each frame as one JSON line to this file (truncated at start). */
  out?: string;
  /** Also append each subscription as one JSON line to this file (truncated at start). */
  subs?: string;
  /** Also append each mailbox request as one JSON line to this file (truncated at start). */
  mailboxOut?: string;
  /** Directory of the built SPA to serve (default: a directory that does not exist, so 404s). */
  staticDir?: string;
  logLevel?: LogLevel;
}

export interface RecordingRelay {
  /** http://127.0.0.1:PORT — the app's origin when staticDir is served. */
  url: string;
  /** ws://127.0.0.1:PORT/signal */
  signalUrl: string;
  port: number;
  /** Everything forwarded so far, in order. */
  readonly frames: readonly RecordedFrame[];
  /** Every room join so far, in order. */
  readonly subscriptions: readonly RecordedSubscription[];
  /** Every mailbox request, in order: what the relay stores (puts) and whose addresses are asked for. */
  readonly mailbox: readonly RecordedMailbox[];
  /** Cuts every TCP connection at once; returns how many there were. */
  dropAll(): number;
  /** WebSocket connections open now, and the most that were ever open at once (docs/tabs.md §6). */
  webSockets(): { open: number; peak: number };
  close(): Promise<void>;
}

export async function startRecordingRelay(o: RecordingRelayOptions = {}): Promise<RecordingRelay> {
  const host = o.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new TypeError('startRecordingRelay: host must be 127.0.0.1 (tests stay on loopback)');
  const frames: RecordedFrame[] = [];
  const subscriptions: RecordedSubscription[] = [];
  const mailbox: RecordedMailbox[] = [];
  if (o.out) writeFileSync(o.out, '');
  if (o.subs) writeFileSync(o.subs, '');
  if (o.mailboxOut) writeFileSync(o.mailboxOut, '');
  const relay: Relay = createRelay({
    host,
    port: o.port ?? 0,
    staticDir: o.staticDir ?? 'test/support/no-static-dir',
    logLevel: o.logLevel ?? 'warn',
    onForward: (room, data, from) => {
      const frame: RecordedFrame = { at: Date.now(), room, data, from, raw: encode.message(room, data) };
      frames.push(frame);
      if (o.out) appendFileSync(o.out, JSON.stringify(frame) + '\n');
      return undefined; // forward unchanged
    },
    onSubscribe: (room, socket) => {
      const sub: RecordedSubscription = { at: Date.now(), room, socket };
      subscriptions.push(sub);
      if (o.subs) appendFileSync(o.subs, JSON.stringify(sub) + '\n');
    },
    onMailbox: (e) => {
      const entry: RecordedMailbox = { at: Date.now(), ...e };
      mailbox.push(entry);
      if (o.mailboxOut) appendFileSync(o.mailboxOut, JSON.stringify(entry) + '\n');
    },
  });
  const sockets = new Set<Socket>();
  relay.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // WebSocket upgrades: what a page's relay sockets are, as opposed to its page and asset loads.
  const ws = { open: 0, peak: 0 };
  relay.server.on('upgrade', (_req: unknown, s: Socket) => {
    ws.peak = Math.max(ws.peak, ++ws.open);
    s.once('close', () => ws.open--);
  });
  const { port, url } = await relay.listen(o.port ?? 0, host);
  const dropAll = (): number => {
    const n = sockets.size;
    for (const s of sockets) s.destroy();
    return n;
  };
  const signalUrl = `${url.replace(/^http/, 'ws')}/signal`;
  const webSockets = () => ({ ...ws });
  return { url, signalUrl, port, frames, subscriptions, mailbox, dropAll, webSockets, close: () => relay.close() };
}

/** Reads a JSON-lines recording written with `out` (by this process or the CLI). */
export function readRecording(file: string): RecordedFrame[] {
  return readJsonLines<RecordedFrame>(file);
}

/** Reads the subscriptions written with `subs` (by this process or the CLI). */
export function readSubscriptions(file: string): RecordedSubscription[] {
  return readJsonLines<RecordedSubscription>(file);
}

/**
 * Relay connection → the days of the rooms it joined, for the rooms `dayOfRoom` knows (a pair's
 * day-derived rooms); other rooms are left out. A connection with two days chains them.
 */
export function daysPerSocket(
  joins: readonly Pick<RecordedSubscription, 'room' | 'socket'>[],
  dayOfRoom: ReadonlyMap<string, number>,
): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const j of joins) {
    const day = dayOfRoom.get(j.room);
    if (day === undefined) continue;
    if (!out.has(j.socket)) out.set(j.socket, new Set());
    out.get(j.socket)!.add(day);
  }
  return out;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** `--name value` pairs from argv; unknown flags are an error, so a typo is loud. */
export function parseFlags(argv: string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, '');
    if (!argv[i]!.startsWith('--') || !known.includes(name) || argv[i + 1] === undefined)
      throw new Error(`unknown or incomplete flag ${argv[i]} (known: ${known.map((k) => `--${k} VALUE`).join(', ')})`);
    out[name] = argv[i + 1]!;
  }
  return out;
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), ['port', 'out', 'subs', 'mailbox-out', 'static', 'log']);
  const relay = await startRecordingRelay({
    port: Number(f.port ?? process.env.PORT ?? 0),
    ...(f.out ? { out: f.out } : {}),
    ...(f.subs ? { subs: f.subs } : {}),
    ...(f['mailbox-out'] ? { mailboxOut: f['mailbox-out'] } : {}),
    staticDir: f.static ?? process.env.STATIC_DIR ?? 'dist',
    logLevel: (f.log ?? process.env.LOG_LEVEL ?? 'warn') as LogLevel,
  });
  process.stdout.write(`recording relay listening on ${relay.url}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'drop') process.stdout.write(`dropped ${relay.dropAll()}\n`);
    if (line.trim() === 'sockets') process.stdout.write(`sockets ${JSON.stringify(relay.webSockets())}\n`);
  });
  const stop = () => void relay.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`recording relay: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
