/**
 * The relay's sockets (docs/relay.md "Limits and close codes", "Budgets"): reading frames under
 * the per-socket, per-address and global limits, handing them to the dispatcher one at a time,
 * sending under the per-socket and global output caps, and closing. Every limit is checked before
 * any work is done on a frame.
 */
import { WebSocket, type RawData } from 'ws';
import { InputBudget, OutputBudget, type Metered } from './budget';
import type { IpTable } from './client-ip';
import type { RelayConfig } from './config';
import type { HubMember } from './hub';
import { TokenBucket } from './limits';
import type { Logger } from './log';
import type { RelayMetrics } from './metrics';
import { CloseCode, encode, parseClientMessage, type ClientMessage } from './protocol';

export interface Client extends HubMember, Metered {
  readonly id: string;
  readonly ws: WebSocket;
  /** The address key its per-address limits count under (client-ip.ts). */
  readonly ip: string;
  readonly bucket: TokenBucket;
  lastSeen: number;
  /** Set once the relay has decided to close it: nothing more is read from or sent to it. */
  gone: boolean;
  /** Why reading is paused: BUSY (an asynchronous request runs), BUDGET (global input budget). */
  pauses: number;
  /** Frames that arrived while an asynchronous request ran; null when none runs. */
  queue: ClientMessage[] | null;
}

const BUSY = 1;
const BUDGET = 2;

/** Handles one parsed frame; a promise means "hold this socket's next frames until it settles". */
export type Dispatch = (c: Client, m: ClientMessage) => void | Promise<void>;

export interface ConnectionsOptions {
  cfg: RelayConfig;
  log: Logger;
  metrics: RelayMetrics;
  ips: IpTable;
  /** Called once per socket when it stops being served (leave its rooms, release its address). */
  onDrop: (c: Client, quiet: boolean) => void;
}

export class Connections {
  readonly clients = new Set<Client>();
  readonly input: InputBudget<Client>;
  readonly output: OutputBudget<Client>;
  dispatch: Dispatch = () => {};
  #nextId = 0;
  /** Asynchronous requests being served; closeAll waits for them. */
  readonly #inflight = new Set<Promise<void>>();
  readonly #overflow = (victim: Client): void => this.#cutOff(victim, 'global output budget');

  constructor(private readonly o: ConnectionsOptions) {
    const { cfg } = o;
    this.input = new InputBudget<Client>(
      cfg.globalBytesPerSecond,
      cfg.lightSocketBytesPerSecond,
      cfg.maxMessageBytes,
      (c) => {
        o.metrics.inputPaused();
        this.#pause(c, BUDGET);
      },
      (c) => this.#resume(c, BUDGET),
    );
    this.output = new OutputBudget<Client>(cfg.maxBufferedBytesTotal);
  }

  /** Starts serving an upgraded socket already admitted under `ip`. */
  accept(ws: WebSocket, ip: string): Client {
    const now = Date.now();
    const { cfg } = this.o;
    const c: Client = {
      id: `s${++this.#nextId}`,
      ws,
      ip,
      bucket: new TokenBucket(cfg.maxMessagesPerSecond, cfg.burst, now),
      lastSeen: now,
      gone: false,
      pauses: 0,
      queue: null,
      inBytes: 0,
      inWindow: 0,
      outBytes: 0,
      outForgotten: false,
    };
    this.clients.add(c);
    ws.on('message', (data, isBinary) => this.#onMessage(c, data, isBinary));
    // Control frames count against the rate too: ws answers pings by itself, so a ping flood
    // would otherwise cost the relay a pong each without ever reaching the bucket.
    const control = (): void => {
      if (!c.gone && !this.#take(c, Date.now())) this.fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    };
    ws.on('ping', control);
    ws.on('pong', control);
    ws.on('close', () => this.drop(c));
    return c;
  }

  send(c: Client, payload: string | Buffer): void {
    if (c.gone || c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + payload.length > this.o.cfg.maxBufferedBytes) return this.#cutOff(c, 'slow consumer');
    const done = this.output.add(c, payload.length, this.clients, this.#overflow);
    if (!c.gone) c.ws.send(payload, { binary: false }, done);
  }

  /** Closes a socket with a close code, after taking it out of every room. */
  fail(c: Client, code: number, reason: string): void {
    if (c.gone) return;
    this.o.log.info('closing socket', { socket: c.id, code, reason });
    this.o.metrics.refused(code);
    this.drop(c);
    c.ws.close(code, reason);
  }

  /** Stops serving a socket (telling its rooms unless `quiet`). Idempotent. */
  drop(c: Client, quiet = false): void {
    c.gone = true;
    if (!this.clients.delete(c)) return;
    this.input.remove(c);
    this.output.forget(c);
    this.o.onDrop(c, quiet);
  }

  /**
   * Closes every socket with `code` (without telling rooms on this instance: everyone here is
   * leaving), waits for the close handshakes (destroying sockets that do not answer) and for the
   * requests in flight, at most `drainMs` for each.
   */
  async closeAll(code: number, reason: string, drainMs: number): Promise<void> {
    const all = [...this.clients];
    for (const c of all) {
      this.o.metrics.refused(code);
      this.drop(c, true);
    }
    const sockets = all.map((c) => c.ws);
    const closed = Promise.all(
      sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? null : new Promise((r) => ws.once('close', r)))),
    );
    for (const ws of sockets) ws.close(code, reason);
    const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), Math.min(drainMs, 5000));
    await closed;
    clearTimeout(timer);
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight]),
      new Promise((r) => (giveUp = setTimeout(r, drainMs))),
    ]);
    clearTimeout(giveUp);
  }

  /** Idle sockets get 4408, backlogged ones are cut off, the others a ws ping. */
  sweep(now: number): void {
    const { cfg } = this.o;
    for (const c of [...this.clients]) {
      if (now - c.lastSeen >= cfg.idleTimeoutMs) this.fail(c, CloseCode.IDLE, 'idle');
      else if (c.ws.bufferedAmount > cfg.maxBufferedBytes) this.#cutOff(c, 'slow consumer');
      else c.ws.ping();
    }
  }

  /** A slow reader: its close frame would queue behind the same backlog, so the socket is destroyed. */
  #cutOff(c: Client, why: string): void {
    if (c.gone) return;
    this.o.log.warn('dropping slow consumer', { socket: c.id, buffered: c.ws.bufferedAmount, why });
    this.o.metrics.refused(why === 'slow consumer' ? 'slow-consumer' : 'global-output');
    this.drop(c);
    c.ws.terminate();
  }

  #take(c: Client, now: number): boolean {
    c.lastSeen = now;
    return c.bucket.take(now) && this.o.ips.takeMessage(c.ip, now);
  }

  #onMessage(c: Client, raw: RawData, isBinary: boolean): void {
    if (c.gone) return;
    if (!this.#take(c, Date.now())) return this.fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    if (isBinary) return this.fail(c, CloseCode.MALFORMED, 'binary frames are not part of the protocol');
    // maxPayload already bounds the frame; this also covers fragmented or array-typed data.
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (buf.length > this.o.cfg.maxMessageBytes) return this.fail(c, CloseCode.TOO_LARGE, 'message too large');
    this.input.charge(c, buf.length);
    const parsed = parseClientMessage(buf.toString('utf8'));
    if (!parsed.ok) {
      if (parsed.fatal) return this.fail(c, CloseCode.MALFORMED, parsed.reason);
      return this.send(c, encode.error(parsed.code, parsed.reason));
    }
    if (c.queue) c.queue.push(parsed.message);
    else this.#run(c, parsed.message);
  }

  /** Runs frames in order; an asynchronous one pauses the socket and queues what follows. */
  #run(c: Client, first: ClientMessage | undefined): void {
    let m = first;
    while (m && !c.gone) {
      let r: void | Promise<void>;
      try {
        r = this.dispatch(c, m);
      } catch (e) {
        return this.#internal(c, e as Error);
      }
      if (r instanceof Promise) {
        const tracked = r;
        this.#inflight.add(tracked);
        void tracked.finally(() => this.#inflight.delete(tracked)).catch(() => {});
        if (!c.queue) {
          c.queue = [];
          this.#pause(c, BUSY);
        }
        r.then(
          () => this.#run(c, c.queue?.shift()),
          (e: Error) => this.#internal(c, e),
        );
        return;
      }
      m = c.queue?.shift();
    }
    if (c.queue) {
      c.queue = null;
      this.#resume(c, BUSY);
    }
  }

  /** A backend (Redis) failed while serving this socket: it may reconnect and try again. */
  #internal(c: Client, e: Error): void {
    this.o.log.warn('request failed in a backend', { socket: c.id, error: e.message });
    this.fail(c, CloseCode.RELAY_FULL, 'relay storage unavailable, try again later');
  }

  #pause(c: Client, why: number): void {
    if (c.pauses === 0 && !c.gone) c.ws.pause();
    c.pauses |= why;
  }

  #resume(c: Client, why: number): void {
    if (c.pauses === 0) return;
    c.pauses &= ~why;
    if (c.pauses === 0 && !c.gone) c.ws.resume();
  }
}
