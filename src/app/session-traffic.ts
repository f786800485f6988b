/**
 * The chat traffic of one live link, inside the contact's Double Ratchet (docs/session.md §3):
 * session setup first (`setUpSession`), then, in this order, the outbox resume point, every
 * message without a receipt (each sealed and committed before it leaves), receipts for what
 * arrives. Incoming `ratchet` messages are applied one at a time, after the setup, through
 * `ContactSessions.receive` (ratchet step + inbox + history in one transaction). What a contact
 * can make this side store is bounded (docs/outbox.md §5): at most {@link MAX_QUEUED_RATCHET}
 * messages wait to be opened, new chat records go through the contact's receive budget, and this
 * side paces what it sends and sends again what stays without a receipt.
 *
 * Versions (docs/protocol.md "Compatibility"): nothing goes out whose feature the peer did not
 * announce (`maySend`); between two announcing peers the first ratchet message each way is the
 * `features-check` over both announcements (`LinkChecks`, docs/security.md "Downgrade").
 * @module
 */
import type { SecureLink } from '../net/secure-link';
import { setUpSession, type SessionSetupResult } from '../net/session-kx';
import type { KxIdentity, KxRole } from '../core/kx';
import type { WireMessage } from '../core/wire';
import type { ContactSessions } from '../store/contact-sessions';
import type { OpenedKind } from './link-checks';
import type { Failure } from '../core/errors';
import type { FileKeyChannel } from '../net/file-key-link';
import {
  CHAT_RESEND_AFTER_MS,
  ChatBudgets,
  MAX_QUEUED_RATCHET,
  MAX_QUEUED_RATCHET_BYTES,
  type ChatBudget,
} from './chat-budget';
import { maySend, receiptType, type FeatureName } from '../core/features';
import type { LinkFeatures } from '../net/secure-link';
import { LinkChecks } from './link-checks';

/** The chat budgets of one app instance (one `ContactSessions`), kept across links and reconnects. */
const budgetsOf = new WeakMap<ContactSessions, ChatBudgets>();
/** The chat budgets of the app instance of `sessions` (its links and its mailbox courier share them). */
export function chatBudgets(sessions: ContactSessions): ChatBudgets {
  let b = budgetsOf.get(sessions);
  if (!b) budgetsOf.set(sessions, (b = new ChatBudgets()));
  return b;
}

export interface TrafficHooks {
  /** The contact's history changed (messages arrived, a delivered mark): the ids of the records written. */
  messagesChanged(ids: string[]): void;
  /** A receive hit a storage failure (nothing was written; the peer resends). */
  storageFailed(): void;
  /** A ratchet message was refused (replayed, undecryptable, bad content). */
  refused(failure: Failure): void;
  /** A ratchet message was taken (decrypted and stored): ends a run of refusals (docs/key-change.md §5). */
  accepted?(): void;
  /** Messages taken out of the outbox unsent: the contact's Parley lacks `feature` (docs/protocol.md "Compatibility"). */
  withheld?(ids: string[], feature: FeatureName): void;
  /** The announcements of this link were not what the peer saw: the link is closed (docs/security.md "Downgrade"). */
  interfered?(failure: Failure): void;
  /** Messages of this contact held back so far by the receive budget (docs/outbox.md §5); they come again. */
  heldBack?(count: number): void;
}

export class LinkTraffic {
  /** Resolves once the session is agreed (or the setup failed and closed the link). */
  readonly ready: Promise<SessionSetupResult>;
  /** Outbox ids sealed and sent on this link, with when (sent again after `resendAfterMs` without a receipt). */
  private readonly sent = new Map<string, number>();
  private resumeSent = false;
  private fileKeySent = false;
  private readonly fileKey: FileKeyChannel | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private setupOk = false;
  /** Both announcements of this link, once the peer's first data frame arrived (null: the link closed first). */
  private features: LinkFeatures | null = null;
  /** Resolves once `features` is set. */
  private readonly featuresKnown: Promise<LinkFeatures | null>;
  private readonly checks: LinkChecks;
  /** Messages were withheld on this link: the resume point goes again as the outbox moves past each gap. */
  private gaps = false;
  /** The features-check failed: the link is closing and nothing more on it is taken. */
  private interfered = false;
  /** The outbox may hold messages not yet looked at for withholding (set by `flush`). */
  private withholdDue = true;
  private readonly budget: ChatBudget;
  private readonly now: () => number;
  private readonly resendAfterMs: number;
  private wake: ReturnType<typeof setTimeout> | null = null;
  /** Ratchet messages waiting to be opened and stored, and their bytes (chat-budget.ts bounds both). */
  private queued = 0;
  private queuedBytes = 0;
  /** The most ratchet messages that ever waited at once; for tests and diagnostics. */
  maxQueued = 0;
  /** What became of each ratchet message on this link (each counts once); for tests and diagnostics. */
  readonly counts = { dropped: 0, deferred: 0, taken: 0, refused: 0 };

  constructor(
    private readonly link: SecureLink,
    private readonly contact: string,
    private readonly sessions: ContactSessions,
    o: {
      role: KxRole;
      identity: KxIdentity;
      held: string | null | Promise<string | null>;
      force: boolean;
      early?: WireMessage[];
      fileKey?: FileKeyChannel;
      /** Tests: other budgets, clock or resend delay (defaults: chat-budget.ts). */
      budgets?: ChatBudgets;
      now?: () => number;
      resendAfterMs?: number;
    },
    private readonly hooks: TrafficHooks,
  ) {
    this.fileKey = o.fileKey;
    this.checks = new LinkChecks(o.role);
    this.featuresKnown = link.features.then((f) => (this.features = f));
    this.budget = (o.budgets ?? chatBudgets(sessions)).of(contact);
    this.now = o.now ?? Date.now;
    this.resendAfterMs = o.resendAfterMs ?? CHAT_RESEND_AFTER_MS;
    // Registered before the setup's own listener sees anything: both see every message in order.
    const off = link.onMessage((m) => this.onMessage(m));
    link.onClose(() => {
      off();
      if (this.wake) clearTimeout(this.wake);
    });
    this.ready = setUpSession({
      link,
      role: o.role,
      identity: o.identity,
      held: o.held,
      force: o.force,
      early: o.early,
      install: (s) => sessions.install(contact, s),
    });
    void Promise.all([this.ready, this.featuresKnown]).then(([r, f]) => {
      this.setupOk = r.ok && f !== null;
      if (this.setupOk) void this.flush();
    });
    for (const m of o.early ?? []) this.onMessage(m);
  }

  private onMessage(m: WireMessage): void {
    if (m.type !== 'ratchet') return;
    // Faster than they can be stored, or past the contact's budget: dropped unopened, at no cost
    // (the sender's outbox sends them again).
    if (
      this.queued >= MAX_QUEUED_RATCHET ||
      this.queuedBytes + m.data.length > MAX_QUEUED_RATCHET_BYTES ||
      this.budget.exhausted(this.now())
    )
      return this.holdBack('dropped');
    this.maxQueued = Math.max(this.maxQueued, ++this.queued);
    this.queuedBytes += m.data.length;
    this.run(async () => {
      try {
        await this.take(m.data);
      } finally {
        this.queued--;
        this.queuedBytes -= m.data.length;
      }
    });
  }

  private holdBack(how: 'dropped' | 'deferred'): void {
    this.counts[how]++;
    this.hooks.heldBack?.(++this.budget.heldBack);
  }

  /** Opens and stores one ratchet message (or defers it: the receive budget), then answers it. */
  private async take(data: Uint8Array): Promise<void> {
    if (!(await this.ready).ok || !(await this.featuresKnown) || this.interfered) return;
    // The budget ran out while this waited in the queue: dropped unopened too.
    if (this.budget.exhausted(this.now())) return this.holdBack('dropped');
    this.budget.opening(this.now());
    const r = await this.sessions.receive(this.contact, data, (bytes) => this.budget.admit(this.now(), bytes));
    if (r.status !== 'ok' && r.status !== 'deferred') {
      this.counts.refused++;
      this.budget.refused(this.now());
      this.hooks.refused(r.failure);
      return;
    }
    this.hooks.accepted?.();
    // Deferred or taken, the message was opened: it must come after the peer's features-check.
    if (await this.interferedBy(r)) return;
    if (r.status === 'deferred') return this.holdBack('deferred');
    this.counts.taken++;
    if (r.kind === 'file-key' && r.fileKey) this.fileKey?.installPeerKey(r.fileKey);
    // A receipt may move the resume point past a withheld message: what waits behind it is released.
    if (this.gaps && (r.kind === 'receipt' || r.kind === 'not-shown')) this.resumeSent = false;
    if (r.changed.length > 0) this.hooks.messagesChanged(r.changed);
    await this.sendReceipts(r.receipts, new Set(r.unsupported));
    await this.flushNow(); // the responder may send only after the initiator's first message
  }

  /** Judges an opened message against this link's features-check; on a mismatch closes the link (true). */
  private async interferedBy(r: { kind: OpenedKind; digest?: Uint8Array }): Promise<boolean> {
    const wrong = this.checks.judge(this.features!, r);
    if (!wrong) return false;
    this.interfered = true; // nothing more is taken from this link; unreceipted messages come again
    this.hooks.interfered?.(wrong);
    await this.link.close().catch(() => {});
    return true;
  }

  /**
   * Sends receipts for messages that came another way (the mailbox, docs/app.md "Mailbox") on this
   * link, after what a flush sends first; false when the link cannot take them (not set up, closed).
   */
  forwardReceipts(ids: readonly string[]): Promise<boolean> {
    return this.run(async () => {
      await this.flushNow();
      if (!this.setupOk || this.link.closed) return false;
      for (const id of ids)
        await this.sendSealed(await this.sessions.sealControl(this.contact, { type: 'receipt', id }));
      return true;
    }).then((sent) => sent === true);
  }

  /**
   * Sends the resume point (once per link) and the messages without a receipt, in order: those not
   * sent on this link yet, paced by the send budget, and those sent more than `resendAfterMs` ago.
   */
  flush(): Promise<void> {
    this.withholdDue = true; // the outbox may hold new messages: look for ones the peer cannot take
    return this.run(() => this.flushNow());
  }

  /** A receipt per id; ids this side could not use get the `unsupported` flavour if the peer takes it. */
  private async sendReceipts(ids: string[], unsupported: Set<string>): Promise<void> {
    if (ids.length > 0 && !(await this.sendCheck())) return;
    const { own, peer } = this.features!;
    for (const id of ids) {
      const type = receiptType(unsupported.has(id), own, peer);
      await this.sendSealed(await this.sessions.sealControl(this.contact, { type, id }));
    }
  }

  /** Sends the `features-check` first, once, where both announced; false when nothing can be sent yet. */
  private async sendCheck(): Promise<boolean> {
    const f = this.features!;
    if (this.checks.sent || !maySend(f.own, f.peer, 'features-check')) return true;
    const wire = await this.sessions.sealControl(this.contact, {
      type: 'features-check',
      digest: this.checks.digest(f),
    });
    if (!wire) return false;
    this.checks.sent = true;
    await this.sendSealed(wire);
    return true;
  }

  private async flushNow(): Promise<void> {
    if (!this.setupOk || this.link.closed) return;
    const { own, peer } = this.features!;
    if (!(await this.sendCheck())) return;
    if (this.fileKey && !this.fileKeySent && maySend(own, peer, 'file-key')) {
      const wire = await this.sessions.sealControl(this.contact, { type: 'file-key', key: this.fileKey.ownKey });
      if (!wire) return;
      this.fileKeySent = true;
      // Transfer messages queued behind the key go to the link after it, in send order.
      const sent = this.link.send({ type: 'ratchet', data: wire }).catch(() => {});
      this.fileKey.ownKeySent();
      await sent;
    }
    // Reads every pending record, so only when the outbox may have grown (not after each receipt).
    const withheld =
      !this.withholdDue || maySend(own, peer, 'group')
        ? []
        : await this.sessions.withhold(this.contact, (t) => maySend(own, peer, t));
    this.withholdDue = false;
    if (withheld.length > 0) {
      this.hooks.withheld?.(withheld, 'groups');
      this.gaps = true;
      this.resumeSent = false; // a new resume point past them, so the contact does not wait for them
    }
    if (!this.resumeSent) {
      const wire = await this.sessions.sealControl(this.contact, 'resume');
      if (!wire) return;
      this.resumeSent = true;
      await this.sendSealed(wire);
    }
    // In order, paced by the send budget; a message sent on this link and still without a receipt
    // goes again after resendAfterMs (the other side's budget may have held it back).
    let next = Infinity;
    for (const id of await this.sessions.pendingIds(this.contact)) {
      const now = this.now(),
        at = this.sent.get(id);
      if (at !== undefined && now - at < this.resendAfterMs) {
        next = Math.min(next, at + this.resendAfterMs - now);
        continue;
      }
      if (!this.budget.send.take(now)) {
        next = Math.min(next, this.budget.send.waitMs(now));
        break;
      }
      const wire = await this.sessions.sealEntry(this.contact, id);
      if (!wire) return;
      this.sent.set(id, now);
      next = Math.min(next, this.resendAfterMs);
      if ((await this.sendSealed(wire)) && (await this.sessions.markSent(this.contact, id, this.now())))
        this.hooks.messagesChanged([id]);
    }
    if (next < Infinity) this.wakeIn(next);
  }

  /** Flushes again in `ms` (the earliest of the times asked for), while the link is open. */
  private wakeIn(ms: number): void {
    if (this.wake || this.link.closed) return;
    this.wake = setTimeout(() => {
      this.wake = null;
      void this.run(() => this.flushNow());
    }, ms);
  }

  /** Sends a sealed message; false when it did not leave (it goes again on the next link). */
  private async sendSealed(wire: Uint8Array | null): Promise<boolean> {
    // A link that closed meanwhile: what was committed goes again on the next link.
    if (!wire) return false;
    return this.link.send({ type: 'ratchet', data: wire }).then(
      () => true,
      () => false,
    );
  }

  private run<T>(op: () => Promise<T>): Promise<T | void> {
    const next = this.chain.then(op).catch(() => this.hooks.storageFailed());
    this.chain = next;
    return next;
  }
}
