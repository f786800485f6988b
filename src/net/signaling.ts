/**
 * WebSocket client of the signaling relay protocol (docs/interfaces.md, "Signaling relay
 * protocol"). It keeps one socket open to the relay, reconnects with capped exponential
 * backoff and jitter, re-subscribes its rooms after every reconnect, and pings at the app
 * level so that a connection that died silently (NAT timeout, sleeping laptop) is noticed.
 *
 * The pure parts (backoff schedule, message parsing, base64url) live in relay-protocol.ts and
 * are re-exported here.
 * @module
 */
import { CLIENT_PROTOCOL_VERSION, ROOM_RE, backoffDelay, parseRelayMessage, reconnectDelay } from './relay-protocol';
import { toBase64url } from './relay-protocol';
import type { RelayInfo } from './relay-protocol';
import type {
  RelayReply,
  RoomEvent,
  SignalingOptions,
  SignalingStatus,
  WebSocketConstructor,
  WebSocketLike,
} from './signaling-types';

export { backoffDelay, fromBase64url, parseRelayMessage, reconnectDelay, toBase64url } from './relay-protocol';
export type { RelayInfo, RelayMessage } from './relay-protocol';
export type * from './signaling-types';

const OPEN = 1;

/**
 * One connection to the relay, shared by every link of the app. Survives relay restarts and
 * network changes by itself; callers only subscribe and listen.
 */
export class SignalingClient {
  #status: SignalingStatus = 'connecting';
  #nextRetryAt: number | null = null;
  #socket: WebSocketLike | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #lastHeard = 0;
  #pingSentAt: number | null = null;
  #dropped = 0;
  #lastCloseCode: number | null = null;
  /** Room → number of subscribe() calls not yet undone: several links may share a room. */
  readonly #rooms = new Map<string, number>();
  readonly #roomListeners = new Map<string, Set<(e: RoomEvent) => void>>();
  readonly #statusListeners = new Set<(s: SignalingStatus) => void>();
  readonly #errorListeners = new Set<(e: { code: string; message: string }) => void>();
  readonly #replyListeners = new Set<(m: RelayReply) => void>();
  /** The relay's `welcome` on this socket; protocol 1 when it did not know `hello`. */
  #relayInfo: RelayInfo | null = null;
  readonly #opts: Required<Omit<SignalingOptions, 'WebSocket'>> & { WebSocket: WebSocketConstructor };

  constructor(
    readonly url: string,
    opts: SignalingOptions = {},
  ) {
    const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS)
      throw new TypeError('SignalingClient: no WebSocket implementation; pass opts.WebSocket (e.g. `ws`) in node');
    this.#opts = {
      minBackoffMs: opts.minBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      pingIntervalMs: opts.pingIntervalMs ?? 15_000,
      pongTimeoutMs: opts.pongTimeoutMs ?? 10_000,
      random: opts.random ?? Math.random,
      WebSocket: WS,
    };
    backoffDelay(0, this.#opts.minBackoffMs, this.#opts.maxBackoffMs, () => 0); // validates the options
    this.#connect();
  }

  get status(): SignalingStatus {
    return this.#status;
  }
  /** When the next reconnect attempt happens (ms since epoch), while `status` is 'retrying'. */
  get nextRetryAt(): number | null {
    return this.#nextRetryAt;
  }
  /** How many publishes were dropped because the socket was not open. */
  get droppedCount(): number {
    return this.#dropped;
  }
  /** How many rooms this client is in (each counted once, however many subscribe() calls hold it). */
  get roomCount(): number {
    return this.#rooms.size;
  }
  /** The close code of the last lost connection (4429 rate limit, 1013 relay full, …). */
  get lastCloseCode(): number | null {
    return this.#lastCloseCode;
  }

  /**
   * What the relay said about itself on the current socket (null until it answered `hello`, and
   * after the socket is lost). A relay of protocol 1 shows as `{ protocol: 1, features: [] }`.
   */
  get relayInfo(): RelayInfo | null {
    return this.#relayInfo;
  }

  /** Replies to requests sent with {@link sendRequest} (and relay errors carrying a `req`). */
  onReply(cb: (m: RelayReply) => void): () => void {
    this.#replyListeners.add(cb);
    return () => this.#replyListeners.delete(cb);
  }

  /**
   * Sends a request frame (a mailbox request: src/net/mailbox-client.ts) as is. False when the
   * socket is not open: nothing is queued, the caller decides whether to try again.
   */
  sendRequest(m: { type: string; req: string }): boolean {
    return this.#sendJson(m);
  }

  onStatus(cb: (s: SignalingStatus) => void): () => void {
    this.#statusListeners.add(cb);
    return () => this.#statusListeners.delete(cb);
  }

  /** Non-fatal `error` messages from the relay (`not-subscribed`, `room-full`, …). */
  onRelayError(cb: (e: { code: string; message: string }) => void): () => void {
    this.#errorListeners.add(cb);
    return () => this.#errorListeners.delete(cb);
  }

  /**
   * Joins a room (kept across reconnects). Counted: each subscribe() needs its own
   * unsubscribe(), and the relay is told to leave only when the last one is undone.
   */
  subscribe(room: string): void {
    if (!ROOM_RE.test(room))
      throw new TypeError(`subscribe: room must be 43 base64url characters, got ${JSON.stringify(room)}`);
    const n = this.#rooms.get(room) ?? 0;
    this.#rooms.set(room, n + 1);
    if (n === 0) this.#sendJson({ type: 'subscribe', room });
  }

  unsubscribe(room: string): void {
    const n = this.#rooms.get(room);
    if (n === undefined) return;
    if (n > 1) {
      this.#rooms.set(room, n - 1);
      return;
    }
    this.#rooms.delete(room);
    this.#sendJson({ type: 'unsubscribe', room });
  }

  /**
   * Sends a sealed blob to the room's other members. Returns false (and counts it in
   * `droppedCount`) when the socket is not open: signaling is retried by the link layer
   * (it re-announces when the relay says `subscribed` again), so stale blobs are not queued.
   */
  publish(room: string, data: Uint8Array): boolean {
    if (!this.#rooms.has(room)) throw new Error(`publish: not subscribed to room ${room}; subscribe first`);
    const sent = this.#sendJson({ type: 'publish', room, data: toBase64url(data) });
    if (!sent) this.#dropped++;
    return sent;
  }

  onRoom(room: string, cb: (e: RoomEvent) => void): () => void {
    let set = this.#roomListeners.get(room);
    if (!set) this.#roomListeners.set(room, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
      if (set.size === 0 && this.#roomListeners.get(room) === set) this.#roomListeners.delete(room);
    };
  }

  /** Closes for good: no more reconnects. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#clearTimers();
    this.#dropSocket(1000, 'client closed');
    this.#setStatus('closed', null);
  }

  #connect(): void {
    this.#retryTimer = null;
    this.#setStatus('connecting', null);
    let s: WebSocketLike;
    try {
      s = new this.#opts.WebSocket(this.url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = s;
    s.onopen = () => {
      this.#attempt = 0;
      this.#lastHeard = Date.now();
      this.#relayInfo = null;
      this.#setStatus('open', null);
      this.#sendJson({ type: 'hello', protocol: CLIENT_PROTOCOL_VERSION });
      for (const room of this.#rooms.keys()) this.#sendJson({ type: 'subscribe', room });
      this.#startPing();
    };
    s.onmessage = (ev) => {
      this.#lastHeard = Date.now();
      this.#pingSentAt = null;
      if (typeof ev.data === 'string') this.#handle(ev.data);
    };
    s.onerror = () => {
      /* onclose follows and does the work */
    };
    s.onclose = (ev) => {
      if (this.#socket !== s) return;
      this.#lastCloseCode = ev.code;
      this.#lost();
    };
  }

  #lost(): void {
    this.#dropSocket();
    this.#clearTimers();
    if (this.#status !== 'closed') this.#scheduleRetry();
  }

  /** Forgets the current socket and closes it (with `closeArgs`, if any); its late events are ignored. */
  #dropSocket(...closeArgs: [code?: number, reason?: string]): void {
    const s = this.#socket;
    this.#socket = null;
    this.#relayInfo = null;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = null;
    // Not null: closing a socket that is still connecting makes `ws` emit 'error' after the
    // fact, and an 'error' event without a listener would crash the process.
    s.onerror = () => {};
    try {
      s.close(...closeArgs);
    } catch {
      /* already closing */
    }
  }

  #scheduleRetry(): void {
    const { minBackoffMs, maxBackoffMs, random } = this.#opts;
    const delay = reconnectDelay(this.#attempt++, this.#lastCloseCode, minBackoffMs, maxBackoffMs, random);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#setStatus('retrying', Date.now() + delay);
  }

  #startPing(): void {
    const { pingIntervalMs, pongTimeoutMs } = this.#opts;
    this.#pingTimer = setInterval(
      () => {
        const now = Date.now();
        if (this.#pingSentAt !== null && now - this.#pingSentAt >= pongTimeoutMs) {
          this.#lastCloseCode = null;
          this.#lost(); // no answer to our ping: the connection is dead even if TCP has not noticed
          return;
        }
        if (this.#pingSentAt === null && now - this.#lastHeard >= pingIntervalMs) {
          this.#pingSentAt = now;
          this.#sendJson({ type: 'ping' });
        }
      },
      Math.max(50, Math.min(pingIntervalMs, pongTimeoutMs) / 2),
    );
  }

  #handle(text: string): void {
    const m = parseRelayMessage(text);
    if (!m) return;
    switch (m.type) {
      case 'pong':
        return;
      case 'welcome':
        this.#relayInfo = { protocol: m.protocol, features: m.features, mailbox: m.mailbox };
        return;
      case 'error':
        if (m.req === undefined && m.code === 'unknown-type' && this.#relayInfo === null) {
          this.#relayInfo = { protocol: 1, features: [], mailbox: null }; // a relay that predates `hello`
          return;
        }
        for (const cb of [...this.#errorListeners]) cb({ code: m.code, message: m.message });
        if (m.req !== undefined || m.code === 'unknown-type') for (const cb of [...this.#replyListeners]) cb(m);
        return;
      case 'mailbox-stored':
      case 'mailbox-blobs':
      case 'mailbox-acked':
        for (const cb of [...this.#replyListeners]) cb(m);
        return;
      default: {
        if (!this.#rooms.has(m.room)) return; // late traffic for a room we left
        const e: RoomEvent =
          m.type === 'message'
            ? { type: 'message', data: m.data }
            : m.type === 'subscribed'
              ? { type: 'subscribed', peers: m.peers }
              : { type: m.type };
        for (const cb of [...(this.#roomListeners.get(m.room) ?? [])]) cb(e);
      }
    }
  }

  #sendJson(m: object): boolean {
    const s = this.#socket;
    if (!s || s.readyState !== OPEN || this.#status !== 'open') return false;
    try {
      s.send(JSON.stringify(m));
      return true;
    } catch {
      return false;
    }
  }

  #clearTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#retryTimer = this.#pingTimer = null;
    this.#pingSentAt = null;
  }

  #setStatus(s: SignalingStatus, nextRetryAt: number | null): void {
    const changed = s !== this.#status || nextRetryAt !== this.#nextRetryAt;
    this.#status = s;
    this.#nextRetryAt = nextRetryAt;
    if (changed) for (const cb of [...this.#statusListeners]) cb(s);
  }
}
