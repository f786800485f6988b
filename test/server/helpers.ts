/** Real `ws` clients against a real relay on 127.0.0.1, for the server tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createRelay, type Relay, type RelayOptions } from '../../server/relay';
import type { Logger } from '../../server/log';
import { base64urlLength } from '../../server/protocol-mailbox';

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Running {
  relay: Relay;
  url: string;
  wsUrl: string;
}

/**
 * A relay on 127.0.0.1 that takes the client address from X-Forwarded-For (as behind a proxy), so
 * that each test Client counts as its own client address, as real users would: every socket of
 * a test comes from 127.0.0.1, and per-address limits would otherwise lump them all together.
 */
export async function startRelay(opts: RelayOptions = {}): Promise<Running> {
  const relay = createRelay({
    logger: silent,
    staticDir: '/nonexistent-parley-dist',
    trustProxyHeader: 'x-forwarded-for',
    ...opts,
  });
  const { url } = await relay.listen(0, '127.0.0.1');
  return { relay, url, wsUrl: url.replace(/^http/, 'ws') + '/signal' };
}

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The real process (server/main.ts, as `npm start` runs it) on a free port of 127.0.0.1. */
export function startRelayProcess(
  env: Record<string, string>,
  nodeFlags: string[] = [],
  script = 'server/main.ts',
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', STATIC_DIR: 'no-such-dist', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before listening:\n${out}`)));
  });
}

export const newRoom = (): string => randomBytes(32).toString('base64url');
/** A string of the base64url length of a mailbox blob of `size` bytes (what the relay checks). */
export const sizedBlob = (size: number, fill = 'A'): string => fill.repeat(base64urlLength(size));

let nextReq = 0;
/** Sends a mailbox request and waits for its answer (or the error carrying its req). */
export async function request(c: Client, frame: Record<string, unknown>, ms?: number): Promise<Msg> {
  const req = `q${++nextReq}`;
  c.send({ ...frame, req });
  return c.next((m) => m.req === req, ms);
}
export const newBlob = (n = 48): string => randomBytes(n).toString('base64url');

export type Msg = Record<string, unknown> & { type: string };
type Waiter = { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; reject: (e: Error) => void };

/** A client that queues everything the relay sends, so tests can await messages in order. */
export class Client {
  readonly inbox: Msg[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      let m: Msg;
      try {
        m = isBinary ? { type: '__binary' } : (JSON.parse(raw.toString()) as Msg);
      } catch {
        m = { type: '__invalid-json', text: raw.toString().slice(0, 100) };
      }
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.inbox.push(m);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of this.waiters.splice(0))
          w.reject(new Error(`socket closed (${code} ${reason.toString()}) while waiting`));
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
  }

  /** Connects as a client address of its own (a random 10.x.y.z in X-Forwarded-For) unless `opts.headers` says otherwise. */
  static connect(wsUrl: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
    const headers = opts.headers ?? { 'x-forwarded-for': `10.${[...randomBytes(3)].join('.')}` };
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { ...opts, headers });
      const c = new Client(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }

  /** The first message (already received or to come) that matches; fails after `ms`. */
  next(pred: (m: Msg) => boolean = () => true, ms = 10_000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred, resolve, reject };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching message within ${ms} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 300)}`));
      }, ms);
      w.resolve = (m) => (clearTimeout(t), resolve(m));
      w.reject = (e) => (clearTimeout(t), reject(e));
      this.waiters.push(w);
    });
  }

  nextOfType(type: string, ms?: number): Promise<Msg> {
    return this.next((m) => m.type === type, ms);
  }

  async subscribe(room: string): Promise<number> {
    this.send({ type: 'subscribe', room });
    const m = await this.next((x) => x.type === 'subscribed' && x.room === room);
    return m.peers as number;
  }

  /** Round trip through the relay: everything sent before it has been handled once it resolves. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    await this.nextOfType('pong');
  }

  close(): void {
    this.ws.close();
  }
}

/** Two clients in one room, for checking that a well-behaved pair is unaffected by abuse. */
export async function goodPair(wsUrl: string): Promise<{ a: Client; b: Client; room: string }> {
  const room = newRoom();
  const a = await Client.connect(wsUrl);
  const b = await Client.connect(wsUrl);
  await a.subscribe(room);
  await b.subscribe(room);
  await a.next((m) => m.type === 'peer-joined');
  return { a, b, room };
}

/** Each side publishes `n` blobs; resolves once both have received all of the other's, in order. */
export async function exchange(p: { a: Client; b: Client; room: string }, n: number): Promise<void> {
  const fromA = Array.from({ length: n }, () => newBlob());
  const fromB = Array.from({ length: n }, () => newBlob());
  const receive = async (c: Client, expected: string[]): Promise<void> => {
    for (const data of expected) {
      const m = await c.next((x) => x.type === 'message');
      if (m.data !== data || m.room !== p.room)
        throw new Error(`pair lost or reordered a message: got ${JSON.stringify(m).slice(0, 120)}`);
    }
  };
  const done = Promise.all([receive(p.b, fromA), receive(p.a, fromB)]);
  for (let i = 0; i < n; i++) {
    p.a.send({ type: 'publish', room: p.room, data: fromA[i] });
    p.b.send({ type: 'publish', room: p.room, data: fromB[i] });
  }
  await done;
}
