/**
 * The app's relay sockets (docs/protocol-app.md §3.5): one WebSocket per UTC day whose rooms are
 * in use, and one for invite rooms. Every day-derived room (session rooms, reset rooms) goes on
 * the socket of its own day, and a SignalingClient re-subscribes only its own rooms after a
 * reconnect, so no relay connection ever joins rooms of two different days: the relay cannot
 * chain a contact's rooms from one day to the next by connection. Invite rooms are not day-bound
 * (an invite is listened for across midnight), so they get a socket that never joins a day room.
 * What the relay can still link — each socket's IP address, and timing — is in docs/relay.md.
 *
 * Lifecycle: today's socket is kept open (it carries the relay status while nothing else runs);
 * another day's socket opens when the first meeting attempt needs its rooms, and closes once no
 * attempt holds it and its day has left the rendezvous window (`rendezvousDays`, ±10 minutes);
 * the invite socket opens on first use and closes after a minute without a room. Each socket
 * reconnects with its own backoff (SignalingClient).
 * @module
 */
import { dayOf, rendezvousDays } from '../core/rendezvous';
import { SignalingClient, type SignalingOptions, type SignalingStatus } from './signaling';

export interface DaySocketsOptions {
  /** The clock (ms since the epoch) that says which day it is. Default: `Date.now()`. */
  now?: () => number;
  /** The clock skew the rendezvous tolerates (`rendezvousDays`). Default 10 minutes. */
  skewMs?: number;
  /** How often to close sockets whose day has passed and open today's. Default 30 s. */
  sweepMs?: number;
  /** An invite socket that has had no room for this long is closed. Default 60 s. */
  inviteIdleMs?: number;
  /** For every SignalingClient: the WebSocket implementation (in node), backoff, pings. */
  signaling?: SignalingOptions;
}

/** The sockets one meeting attempt holds: one per UTC day of its plan. */
export interface DayLease {
  /** The socket for the rooms of `day`, which must be one of the leased days. */
  forDay(day: number): SignalingClient;
  /** Gives the sockets back (idempotent): a socket whose day has passed may close now. */
  release(): void;
}

interface Held {
  client: SignalingClient;
  leases: number;
  off: () => void;
}

/**
 * Which socket's state is shown: one open socket means the relay is reachable; else a socket
 * waiting to retry says it is not (a fresh socket still connecting beside it must not hide that).
 */
const RANK: Record<SignalingStatus, number> = { closed: 0, connecting: 1, retrying: 2, open: 3 };

export class DaySockets {
  readonly #days = new Map<number, Held>();
  #invite: { client: SignalingClient; off: () => void } | null = null;
  #inviteTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #sweepTimer: ReturnType<typeof setInterval>;
  #closed = false;
  #status: SignalingStatus = 'connecting';
  #nextRetryAt: number | null = null;
  readonly #listeners = new Set<(s: SignalingStatus) => void>();
  readonly #now: () => number;
  readonly #skewMs: number;
  readonly #inviteIdleMs: number;
  readonly #signaling: SignalingOptions;

  constructor(
    readonly url: string,
    opts: DaySocketsOptions = {},
  ) {
    this.#now = opts.now ?? (() => Date.now());
    this.#skewMs = opts.skewMs ?? 10 * 60_000;
    this.#inviteIdleMs = opts.inviteIdleMs ?? 60_000;
    this.#signaling = opts.signaling ?? {};
    const sweepMs = opts.sweepMs ?? 30_000;
    for (const [name, v] of [
      ['skewMs', this.#skewMs],
      ['sweepMs', sweepMs],
      ['inviteIdleMs', this.#inviteIdleMs],
    ] as const)
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`DaySockets: opts.${name} must be a time ≥ 0 ms`);
    this.sweep();
    this.#sweepTimer = setInterval(() => this.sweep(), Math.max(1_000, sweepMs));
  }

  /** 'open' while any socket is open; else 'retrying' while any waits to retry; else 'connecting'. */
  get status(): SignalingStatus {
    return this.#status;
  }
  /** While `status` is 'retrying': the earliest next reconnect of any socket. */
  get nextRetryAt(): number | null {
    return this.#nextRetryAt;
  }
  /** The days that have a socket now, in ascending order. */
  get days(): number[] {
    return [...this.#days.keys()].sort((a, b) => a - b);
  }
  /** Whether the invite socket is open (or connecting) now. */
  get hasInviteSocket(): boolean {
    return this.#invite !== null;
  }

  onStatus(cb: (s: SignalingStatus) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /**
   * The socket for invite rooms, opened on first use; null once closed. Each call counts as a
   * use: the socket closes only after `inviteIdleMs` without a call and without a room.
   */
  get invites(): SignalingClient | null {
    if (this.#closed) return null;
    if (!this.#invite) {
      const client = this.#client();
      this.#invite = { client, off: client.onStatus(() => this.#update()) };
      this.#update();
    }
    this.#armInviteTimer();
    return this.#invite.client;
  }

  /**
   * Holds the sockets of `days` for one meeting attempt (opening those that are missing) until
   * `release()`. Throws once the pool is closed: check for a stop before asking.
   */
  lease(days: readonly number[]): DayLease {
    if (this.#closed) throw new Error('DaySockets.lease: the relay sockets are closed (the app is stopping)');
    if (days.length === 0) throw new RangeError('DaySockets.lease: days must name at least one day');
    for (const d of days)
      if (!Number.isSafeInteger(d) || d < 0)
        throw new RangeError(`DaySockets.lease: days must be UTC day numbers, got ${String(d)}`);
    const held = new Map<number, Held>();
    for (const d of new Set(days)) {
      const h = this.#days.get(d) ?? this.#open(d);
      h.leases++;
      held.set(d, h);
    }
    this.#update();
    let released = false;
    return {
      forDay: (day) => {
        const h = held.get(day);
        if (!h)
          throw new RangeError(`DayLease.forDay: day ${day} is not leased (leased: ${[...held.keys()].join(', ')})`);
        return h.client;
      },
      release: () => {
        if (released) return;
        released = true;
        for (const h of held.values()) h.leases--;
        this.sweep();
      },
    };
  }

  /** Closes the sockets of past days that no attempt holds, and opens today's if it is missing. */
  sweep(): void {
    if (this.#closed) return;
    const now = this.#now();
    const window = rendezvousDays(now, this.#skewMs);
    for (const [day, h] of this.#days) if (h.leases === 0 && !window.includes(day)) this.#drop(day, h);
    if (!this.#days.has(dayOf(now))) this.#open(dayOf(now));
    this.#update();
  }

  /** Closes every socket for good. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    if (this.#inviteTimer) clearTimeout(this.#inviteTimer);
    for (const [day, h] of this.#days) this.#drop(day, h);
    this.#dropInvite();
    this.#update();
  }

  #client(): SignalingClient {
    return new SignalingClient(this.url, this.#signaling);
  }

  #open(day: number): Held {
    const client = this.#client();
    const h: Held = { client, leases: 0, off: client.onStatus(() => this.#update()) };
    this.#days.set(day, h);
    return h;
  }

  #drop(day: number, h: Held): void {
    this.#days.delete(day);
    h.off(); // before close(): its 'closed' is not the relay's state
    h.client.close();
  }

  #armInviteTimer(): void {
    if (this.#inviteTimer) clearTimeout(this.#inviteTimer);
    this.#inviteTimer = setTimeout(() => {
      this.#inviteTimer = null;
      if (!this.#invite) return;
      if (this.#invite.client.roomCount > 0) this.#armInviteTimer();
      else {
        this.#dropInvite();
        this.#update();
      }
    }, this.#inviteIdleMs);
  }

  #dropInvite(): void {
    const inv = this.#invite;
    this.#invite = null;
    inv?.off();
    inv?.client.close();
  }

  #update(): void {
    const clients = [...[...this.#days.values()].map((h) => h.client), ...(this.#invite ? [this.#invite.client] : [])];
    let status: SignalingStatus = 'closed';
    for (const c of clients) if (RANK[c.status] > RANK[status]) status = c.status;
    const retries = clients.filter((c) => c.status === 'retrying' && c.nextRetryAt !== null).map((c) => c.nextRetryAt!);
    const nextRetryAt = status === 'retrying' && retries.length ? Math.min(...retries) : null;
    if (status === this.#status && nextRetryAt === this.#nextRetryAt) return;
    this.#status = status;
    this.#nextRetryAt = nextRetryAt;
    for (const cb of [...this.#listeners]) cb(status);
  }
}
