/**
 * The chat traffic of one live link, inside the contact's Double Ratchet (docs/session.md §3):
 * session setup first (`setUpSession`), then, in this order, the outbox resume point, every
 * message without a receipt (each sealed and committed before it leaves), receipts for what
 * arrives. Incoming `ratchet` messages are applied one at a time, after the setup, through
 * `ContactSessions.receive` (ratchet step + inbox + history in one transaction).
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
import type { Failure } from '../core/errors';
import type { FileKeyChannel } from '../net/file-key-link';
import { maySend, receiptType, type FeatureName } from '../core/features';
import type { LinkFeatures } from '../net/secure-link';
import { LinkChecks } from './link-checks';

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
}

export class LinkTraffic {
  /** Resolves once the session is agreed (or the setup failed and closed the link). */
  readonly ready: Promise<SessionSetupResult>;
  private readonly sent = new Set<string>();
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
    },
    private readonly hooks: TrafficHooks,
  ) {
    this.fileKey = o.fileKey;
    this.checks = new LinkChecks(o.role);
    this.featuresKnown = link.features.then((f) => (this.features = f));
    // Registered before the setup's own listener sees anything: both see every message in order.
    const off = link.onMessage((m) => this.onMessage(m));
    link.onClose(() => off());
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
    this.run(async () => {
      if (!(await this.ready).ok || !(await this.featuresKnown) || this.interfered) return;
      const r = await this.sessions.receive(this.contact, m.data);
      if (r.status !== 'ok') {
        this.hooks.refused(r.failure);
        return;
      }
      this.hooks.accepted?.();
      const wrong = this.checks.judge(this.features!, r);
      if (wrong) {
        this.interfered = true; // nothing more is taken from this link; unreceipted messages come again
        this.hooks.interfered?.(wrong);
        await this.link.close().catch(() => {});
        return;
      }
      if (r.kind === 'file-key' && r.fileKey) this.fileKey?.installPeerKey(r.fileKey);
      // A receipt may move the resume point past a withheld message: what waits behind it is released.
      if (this.gaps && (r.kind === 'receipt' || r.kind === 'not-shown')) this.resumeSent = false;
      if (r.changed.length > 0) this.hooks.messagesChanged(r.changed);
      await this.sendReceipts(r.receipts, new Set(r.unsupported));
      await this.flushNow(); // the responder may send only after the initiator's first message
    });
  }

  /** Sends the resume point (once per link) and every message without a receipt not yet sent on this link. */
  flush(): Promise<void> {
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
    const withheld = maySend(own, peer, 'group-text')
      ? []
      : await this.sessions.withhold(this.contact, (t) => maySend(own, peer, t));
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
    for (const id of await this.sessions.pendingIds(this.contact)) {
      if (this.sent.has(id)) continue;
      const wire = await this.sessions.sealEntry(this.contact, id);
      if (!wire) return;
      this.sent.add(id);
      await this.sendSealed(wire);
    }
  }

  private async sendSealed(wire: Uint8Array | null): Promise<void> {
    // A link that closed meanwhile: what was committed goes again on the next link.
    if (wire) await this.link.send({ type: 'ratchet', data: wire }).catch(() => {});
  }

  private run(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op).catch(() => this.hooks.storageFailed());
    this.chain = next;
    return next;
  }
}
