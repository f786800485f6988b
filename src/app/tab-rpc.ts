/**
 * Tabs of one Parley talk to each other over a BroadcastChannel (docs/tabs.md §3): notices
 * ("the messages of contact X changed") that every other tab acts on, and requests that only the
 * tab owning the network answers. This module is the transport's core — envelopes, ids,
 * timeouts, bounds and typed failures — over any channel with `postMessage` and `onmessage`, so
 * unit tests run it over Node's own BroadcastChannel.
 * @module
 */

/** The part of a BroadcastChannel this module uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  close(): void;
}

/** Requests waiting for an answer at once, per tab (docs/tabs.md §4): more are refused with TAB_RPC_BUSY. */
export const TAB_RPC_MAX_PENDING = 32;
/** How long a request waits for the owner's answer before failing with TAB_RPC_TIMEOUT (docs/tabs.md §4). */
export const TAB_RPC_TIMEOUT_MS = 10_000;
/** Longest op or notice name accepted from the channel. */
const MAX_NAME = 64;

export type TabRpcCode = 'TAB_RPC_TIMEOUT' | 'TAB_RPC_BUSY' | 'TAB_RPC_FAILED' | 'TAB_RPC_CLOSED';

/** A request that did not get an answer, or whose handler failed in the owner tab. */
export class TabRpcError extends Error {
  constructor(
    readonly code: TabRpcCode,
    message: string,
  ) {
    super(message);
    this.name = 'TabRpcError';
  }
}

/** A tab's id on the channel: 16 random bytes in hex (not `randomUUID`, which needs a secure context). */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

type Envelope =
  | { k: 'notice'; from: string; name: string; body: unknown }
  | { k: 'req'; from: string; id: number; op: string; args: unknown }
  | { k: 'res'; to: string; id: number; ok: true; value: unknown }
  | { k: 'res'; to: string; id: number; ok: false; error: string };

/** Reads an envelope from the channel; anything else (another version, a stray message) is null. */
export function readEnvelope(data: unknown): Envelope | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  const name = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;
  const id = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
  if (d.k === 'notice' && name(d.from) && name(d.name)) return d as Envelope;
  if (d.k === 'req' && name(d.from) && id(d.id) && name(d.op)) return d as Envelope;
  if (d.k === 'res' && name(d.to) && id(d.id) && (d.ok === true || (d.ok === false && typeof d.error === 'string')))
    return d as Envelope;
  return null;
}

/** Answers requests; set only in the tab that owns the network. Throwing sends TAB_RPC_FAILED back. */
export type RequestHandler = (op: string, args: unknown) => Promise<unknown> | unknown;
export type NoticeHandler = (name: string, body: unknown) => void;

/** One tab's end of the channel. */
export class TabRpc {
  /** This tab's id on the channel (answers are addressed to it). */
  readonly self: string;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: TabRpcError) => void; timer: ReturnType<typeof setTimeout> }
  >();
  private handler: RequestHandler | null = null;
  private closed = false;

  constructor(
    private readonly channel: ChannelLike,
    private readonly onNotice: NoticeHandler,
    private readonly timeoutMs = TAB_RPC_TIMEOUT_MS,
    self = randomId(),
  ) {
    if (!(timeoutMs > 0)) throw new RangeError(`TabRpc: timeoutMs must be > 0, got ${timeoutMs}`);
    this.self = self;
    channel.onmessage = (e) => this.receive(e.data);
  }

  /** Starts (a handler) or stops (null) answering requests: only the owner of the network answers. */
  serve(handler: RequestHandler | null): void {
    this.handler = handler;
  }

  /** Tells every other tab something changed. */
  notify(name: string, body: unknown = null): void {
    if (this.closed) return;
    this.channel.postMessage({ k: 'notice', from: this.self, name, body });
  }

  /** Asks the owner tab to do `op`; rejects with a {@link TabRpcError} when it cannot. */
  call(op: string, args: unknown = null): Promise<unknown> {
    if (this.closed) return Promise.reject(new TabRpcError('TAB_RPC_CLOSED', `tab channel closed before "${op}"`));
    if (this.pending.size >= TAB_RPC_MAX_PENDING)
      return Promise.reject(
        new TabRpcError(
          'TAB_RPC_BUSY',
          `${TAB_RPC_MAX_PENDING} requests already wait for the owner tab; "${op}" refused`,
        ),
      );
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TabRpcError('TAB_RPC_TIMEOUT', `no tab answered "${op}" within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.channel.postMessage({ k: 'req', from: this.self, id, op, args });
    });
  }

  /** Stops listening; requests still waiting fail with TAB_RPC_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.onmessage = null;
    this.channel.close();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TabRpcError('TAB_RPC_CLOSED', `tab channel closed while request ${id} waited`));
    }
    this.pending.clear();
  }

  private receive(data: unknown): void {
    const e = readEnvelope(data);
    if (!e || this.closed) return;
    if (e.k === 'notice') this.onNotice(e.name, e.body);
    else if (e.k === 'req') void this.answer(e.from, e.id, e.op, e.args);
    else if (e.to === this.self) this.settle(e);
  }

  private async answer(to: string, id: number, op: string, args: unknown): Promise<void> {
    const h = this.handler;
    if (!h) return; // not the owner: the owner answers
    let reply: Envelope;
    try {
      reply = { k: 'res', to, id, ok: true, value: (await h(op, args)) ?? null };
    } catch (err) {
      reply = { k: 'res', to, id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (!this.closed) this.channel.postMessage(reply);
  }

  private settle(e: Extract<Envelope, { k: 'res' }>): void {
    const p = this.pending.get(e.id);
    if (!p) return; // timed out already, or an answer twice
    this.pending.delete(e.id);
    clearTimeout(p.timer);
    if (e.ok) p.resolve(e.value);
    else p.reject(new TabRpcError('TAB_RPC_FAILED', `the owner tab could not do it: ${e.error}`));
  }
}
