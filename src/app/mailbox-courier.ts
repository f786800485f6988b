/**
 * The mailbox courier (docs/app.md "Mailbox"; issue 12): chat messages and receipts reach a
 * contact who is offline through the relay's mailbox (docs/relay.md "Mailbox"), and ours reach us
 * when we come back. One per app, beside the contacts' links (`ConnectionManager` makes it):
 *
 * - **posting** (mailbox-post.ts): whenever a contact has no link with a session, what waits in
 *   its outbox without a receipt is left at its mailbox address of today — on a message written,
 *   a link that closed, the relay coming back, and every {@link MAILBOX_POLL_MS};
 * - **draining** (mailbox-drain.ts): our addresses of every contact, on start and whenever the
 *   relay socket (re)opens, and every {@link MAILBOX_POLL_MS} for contacts without a link; what
 *   arrives goes through the same receive path as a link's, in order, once, and its receipts go
 *   back on the link if one is up, else through the contact's mailbox.
 *
 * Each day's addresses go on that day's relay socket only (mailbox-day.ts). Files never go
 * through the mailbox. Versions: only contacts whose Parley takes the mailbox are posted to
 * (`takesMailbox`); unknown counts as yes — see docs/app.md "Mailbox" for why.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { mailboxDays } from '../core/mailbox';
import { dayOf } from '../core/rendezvous';
import type { RandomSource } from '../core/identity';
import type { DaySockets } from '../net/day-sockets';
import type { ContactSessions } from '../store/contact-sessions';
import type { ParleyDb } from '../store/db';
import { drainSince, noteDrained } from '../store/mailbox-marks';
import { SerialQueues } from '../store/serial';
import type { ChatBudgets } from './chat-budget';
import { onDaySocket, realMailboxClient, type DaySocketOptions, type MailboxClientFactory } from './mailbox-day';
import { drainAddress, ownSecret, type DrainContext } from './mailbox-drain';
import { PostState, postEntries, postReceipts, type PostContext } from './mailbox-post';

/** How often contacts without a link are drained, and their outboxes posted again. */
export const MAILBOX_POLL_MS = 3 * 60_000;
/** After the page starts, posting waits this long: a contact who is online gets a link first. */
export const MAILBOX_START_GRACE_MS = 15_000;
/** A drain that stopped (budget, relay) is tried again after this long. */
export const MAILBOX_DRAIN_RETRY_MS = 30_000;
/**
 * The longest a relay may say it keeps blobs (its own bound for `MAILBOX_TTL_S`, docs/relay.md):
 * a relay that claims more cannot make a drain walk more days' addresses than this.
 */
export const MAILBOX_MAX_TTL_S = 90 * 86_400;
/** The clock skew tolerated around midnight (as for rooms, `rendezvousDays`). */
const SKEW_MS = 10 * 60_000;

export interface CourierDeps {
  /** The app's relay sockets (null until connected). */
  relay(): DaySockets | null;
  sessions: ContactSessions;
  db: ParleyDb;
  /** Our Ed25519 public key: our mailbox addresses are derived with it. */
  me(): Uint8Array;
  /** The contacts to drain for. */
  contacts(): readonly string[];
  /** The contact's key now; undefined once removed or blocked (then nothing is posted or drained). */
  find(key: string): { publicKey: Uint8Array } | undefined;
  /** Whether a link with a session is up to the contact. */
  connected(key: string): boolean;
  /** Sends receipts on the contact's live link; false when no link takes them. */
  sendOnLink(key: string, ids: string[]): Promise<boolean>;
  /** Whether the contact's Parley announced the mailbox: false = never post to it; null = unknown. */
  takesMailbox?(key: string): boolean | null;
  hooks: {
    messagesChanged(key: string, id: string): void;
    heldBack?(key: string, total: number): void;
    storageFailed(): void;
  };
  /** The contacts' chat budgets, shared with their links. */
  budgets: ChatBudgets;
  /** Aborts when the app stops. */
  stop: AbortSignal;
  now?: () => number;
  random?: RandomSource;
  /** Tests: another mailbox client, or other delays. */
  client?: MailboxClientFactory;
  pollMs?: number;
  graceMs?: number;
  openWaitMs?: number;
  timeoutMs?: number;
}

interface DrainPlan {
  key: string;
  session: { id: string; roomKey: Uint8Array };
  days: number[];
  stopped: boolean;
  receipts: string[];
}

export class MailboxCourier {
  private readonly posts = new Map<string, PostState>();
  private readonly postQueues = new SerialQueues();
  private chain: Promise<void> = Promise.resolve();
  private queued: { keys: Set<string>; done: Promise<void> } | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private poll: ReturnType<typeof setInterval> | null = null;
  private offStatus: (() => void) | null = null;
  private startedAt = 0;
  private readonly now: () => number;
  private readonly socketOpts: DaySocketOptions;
  private readonly postCtx: PostContext;
  private readonly drainCtx: DrainContext;

  constructor(private readonly d: CourierDeps) {
    this.now = d.now ?? Date.now;
    this.socketOpts = {
      signal: d.stop,
      openWaitMs: d.openWaitMs ?? 15_000,
      timeoutMs: d.timeoutMs ?? 15_000,
      client: d.client ?? realMailboxClient,
    };
    const common = { sessions: d.sessions, now: this.now, signal: d.stop };
    this.postCtx = {
      ...common,
      db: d.db,
      random: d.random ?? randomBytes,
      connected: (k) => d.connected(k),
      changed: (k, id) => d.hooks.messagesChanged(k, id),
    };
    this.drainCtx = {
      ...common,
      budget: (k) => d.budgets.of(k),
      changed: (k, ids) => ids.forEach((id) => d.hooks.messagesChanged(k, id)),
      heldBack: (k, n) => d.hooks.heldBack?.(k, n),
      storageFailed: () => d.hooks.storageFailed(),
    };
  }

  /** Drains on every (re)opening of the relay and polls; call once the relay sockets exist. */
  start(): void {
    const relay = this.d.relay();
    if (!relay) throw new Error('MailboxCourier.start: connect the relay sockets first');
    this.startedAt = this.now();
    this.offStatus = relay.onStatus((s) => {
      if (s === 'open') this.relayOpened();
    });
    if (relay.status === 'open') this.relayOpened();
    this.poll = setInterval(() => this.tick(), this.d.pollMs ?? MAILBOX_POLL_MS);
  }

  stop(): void {
    this.offStatus?.();
    if (this.poll) clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Leaves the contact's unreceipted messages in its mailbox, unless a link carries them. */
  post(key: string): Promise<void> {
    return this.postQueues.run(key, () => this.guard(() => this.postNow(key)));
  }

  /**
   * Drains our mailbox addresses of `keys` (default: every contact). Drains run one at a time;
   * asked for while one is waiting, the keys join it.
   */
  drain(keys: readonly string[] = this.d.contacts()): Promise<void> {
    if (this.queued) {
      for (const k of keys) this.queued.keys.add(k);
      return this.queued.done;
    }
    const q: { keys: Set<string>; done: Promise<void> } = { keys: new Set(keys), done: Promise.resolve() };
    q.done = this.chain.then(() => {
      if (this.queued === q) this.queued = null;
      return this.guard(() => this.drainNow([...q.keys]));
    });
    this.queued = q;
    this.chain = q.done;
    return q.done;
  }

  private relayOpened(): void {
    for (const st of this.posts.values()) st.relayBack();
    void this.drain();
    const wait = Math.max(0, (this.d.graceMs ?? MAILBOX_START_GRACE_MS) - (this.now() - this.startedAt));
    this.later(wait, () => this.postAll());
  }

  private tick(): void {
    void this.drain(this.d.contacts().filter((k) => !this.d.connected(k))).then(() => this.postAll());
  }

  private postAll(): void {
    for (const k of this.d.contacts()) if (!this.d.connected(k)) void this.post(k);
  }

  private async postNow(key: string): Promise<void> {
    const relay = this.d.relay();
    const who = this.d.find(key);
    if (!relay || !who || this.d.stop.aborted || this.d.connected(key) || this.d.takesMailbox?.(key) === false) return;
    const st = this.posts.get(key) ?? new PostState();
    this.posts.set(key, st);
    if (this.now() < st.blockedUntil || (await this.d.sessions.pendingIds(key)).length === 0) return;
    await onDaySocket(relay, dayOf(this.now()), this.socketOpts, async (m, limits) =>
      limits ? postEntries(this.postCtx, key, who.publicKey, st, m, limits) : 0,
    );
  }

  private async drainNow(keys: string[]): Promise<void> {
    const relay = this.d.relay();
    if (!relay) return;
    const now = this.now();
    // Today's socket says how long the relay keeps blobs: how far back there can be any.
    const limits = await onDaySocket(relay, dayOf(now), this.socketOpts, async (_m, l) => l);
    if (!limits) return;
    const plans = await this.plans(keys, now, Math.min(limits.ttlS, MAILBOX_MAX_TTL_S));
    const me = this.d.me();
    for (const day of [...new Set(plans.flatMap((p) => p.days))].sort((a, b) => a - b)) {
      const todo = plans.filter((p) => !p.stopped && p.days.includes(day));
      if (todo.length === 0) continue;
      const done = await onDaySocket(relay, day, this.socketOpts, async (m) => {
        for (const p of todo) {
          const secret = ownSecret(p.session.roomKey, me, day);
          if ((await drainAddress(this.drainCtx, p.key, secret, m, p.receipts)) === 'stopped') p.stopped = true;
        }
        return true;
      });
      if (!done) for (const p of todo) p.stopped = true;
    }
    for (const p of plans) {
      if (!p.stopped) await noteDrained(this.d.db, p.key, p.session.id, dayOf(Math.max(0, now - SKEW_MS)));
      if (p.receipts.length > 0) await this.sendReceipts(p.key, p.receipts);
    }
    const again = plans.filter((p) => p.stopped).map((p) => p.key);
    if (again.length > 0) this.later(MAILBOX_DRAIN_RETRY_MS, () => void this.drain(again));
  }

  /** For each contact with a session: the days whose addresses may hold blobs for us. */
  private async plans(keys: string[], now: number, ttlS: number): Promise<DrainPlan[]> {
    const plans: DrainPlan[] = [];
    for (const key of keys) {
      const row = this.d.find(key) ? await this.d.sessions.row(key) : undefined;
      const session = row?.session;
      if (!row || !session) continue;
      const days = mailboxDays(now, ttlS, drainSince(row, session, SKEW_MS), SKEW_MS);
      plans.push({ key, session, days, stopped: false, receipts: [] });
    }
    return plans;
  }

  /** Receipts for what came through the mailbox: on the live link if there is one, else the contact's mailbox. */
  private async sendReceipts(key: string, ids: string[]): Promise<void> {
    if (this.d.connected(key) && (await this.d.sendOnLink(key, ids))) return;
    const relay = this.d.relay();
    const who = this.d.find(key);
    if (!relay || !who || this.d.takesMailbox?.(key) === false) return;
    await onDaySocket(relay, dayOf(this.now()), this.socketOpts, async (m, limits) =>
      limits ? postReceipts(this.postCtx, key, who.publicKey, ids, m, limits) : 0,
    );
  }

  private later(ms: number, run: () => void): void {
    if (this.d.stop.aborted) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.d.stop.aborted) run();
    }, ms);
    this.timers.add(t);
  }

  /** Runs `op`; a failure (the store refused, the relay sockets closed under it) is reported unless the app is stopping. */
  private async guard(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch {
      if (!this.d.stop.aborted) this.d.hooks.storageFailed();
    }
  }
}
