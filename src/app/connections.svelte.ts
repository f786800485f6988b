/**
 * ConnectionManager: the relay connection, one secure link per online contact, the daily
 * contact rendezvous that lets contacts find each other again by themselves, and the chat
 * traffic over those links (messages, receipts, the outbox flushed in order on reconnect).
 *
 * Who dials whom between contacts: the side whose Ed25519 public key is bytewise lower is the
 * SHS client (docs/interfaces.md). Pairing through invites lives in `pairing.svelte.ts`.
 * @module
 */
import { SignalingClient, type SignalingStatus } from '../net/signaling';
import { openLink, type LinkResult, type SecureLink } from '../net/link';
import { firstLink } from './first-link';
import { RoomBudget } from './room-budget';
import { rendezvousDays } from '../core/rendezvous';
import type { KxRole } from '../core/kx';
import type { WireMessage } from '../core/wire';
import type { ParleyStore, ContactRecord } from '../store/db';
import { ContactSessions } from '../store/contact-sessions';
import { contactRoomPlan } from './contact-rooms';
import { warmUpKx, type SessionSetupResult } from '../net/session-kx';
import { LinkTraffic } from './session-traffic';
import { FileKeyLink } from '../net/file-key-link';
import { ResetRequests, type ResetResult } from './reset-requests';
import { ResetDesk } from './reset-desk';
import { resetCause } from './reset-policy';
export type { ResetResult };
import { TAMPERING, type ConnectionHooks, type PeerState } from './connection-hooks';
export type { ConnectionHooks, PeerState };
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import { appError } from './errors';
import { cleanName, distinctName } from './names';
import { loadIceServers } from './ice-config';
import { equalBytes, sleep } from './bytes';
import { Gate } from './gate';

/** How long one attempt to meet a contact at the rendezvous lasts before starting over. */
const CONTACT_ATTEMPT_MS = 30_000;

export class ConnectionManager {
  relayStatus = $state<SignalingStatus>('connecting');
  relayRetryAt = $state<number | null>(null);
  /** Per contact key; contacts without an entry are 'waiting'. */
  peers = $state<Record<string, PeerState>>({});
  iceServers: RTCIceServer[] = [];
  signaling: SignalingClient | null = null;
  /**
   * Rooms that background attempts (contacts, invites made here) may hold at once: below the
   * relay's default of 32 per socket, leaving room for invites being opened by hand.
   */
  readonly rooms = new RoomBudget(24);

  /** Sessions, outboxes and inboxes (docs/session.md §3), in the app's database. */
  readonly sessions: ContactSessions;
  private readonly links = new Map<string, SecureLink>();
  private readonly traffic = new WeakMap<SecureLink, LinkTraffic>();
  private readonly roles = new WeakMap<SecureLink, KxRole>();
  private readonly loops = new Set<string>();
  /** Contacts with a reset asked for (docs/session.md §4), and who waits for it. */
  private readonly resets = new ResetRequests();
  /** Callers with a changed key, automatic resets, reset notices (docs/key-change.md §3, §5). */
  private readonly desk: ResetDesk;
  /** Per contact: aborts the running meeting attempt (a reset starts a new one at once). */
  private readonly attempts = new Map<string, AbortController>();
  private readonly stopper = new AbortController();
  /** Per contact: one contact whose handshakes fail must not slow the others' retries. */
  private readonly handshakeBackoff = new Map<string, number>();
  /** Per contact: after a failed kx, the next meeting waits until then (the backoff above). */
  private readonly retryAt = new Map<string, number>();

  constructor(
    readonly store: ParleyStore,
    readonly identity: IdentityState,
    readonly contacts: ContactsState,
    readonly hooks: ConnectionHooks,
  ) {
    this.sessions = new ContactSessions(store.database);
    this.desk = new ResetDesk(contacts);
  }

  get stopSignal(): AbortSignal {
    return this.stopper.signal;
  }

  /** Connects to the relay (same origin, path /signal) and starts meeting every contact. */
  async start(origin: URL): Promise<void> {
    // The socket opens while the ICE configuration loads: both are needed before the first link.
    const ws = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/signal`;
    this.signaling = new SignalingClient(ws);
    this.relayStatus = this.signaling.status;
    this.signaling.onStatus((s) => {
      this.relayStatus = s;
      this.relayRetryAt = this.signaling?.nextRetryAt ?? null;
      if (s === 'open') this.openGate.open();
    });
    // The kx's keys and primitives cost a few hundred ms cold: pay that while the network works.
    setTimeout(() => {
      try {
        warmUpKx(this.identity.kxIdentity());
      } catch {
        /* only a warm-up */
      }
    }, 0);
    this.iceServers = await loadIceServers(origin);
    for (const c of this.contacts.list) this.ensureContactLoop(c.key);
  }

  stop(): void {
    this.stopper.abort();
    this.resets.stopAll();
    for (const link of this.links.values()) void link.close().catch(() => {});
    this.signaling?.close();
  }

  isConnected(key: string): boolean {
    return this.links.has(key);
  }

  /** Waits until the relay is open (or we are stopping). */
  relayOpen(): Promise<void> {
    return this.openGate.wait(() => this.relayStatus === 'open' || this.stopSignal.aborted);
  }
  private readonly openGate = new Gate();

  /** Keeps trying to meet a contact at today's rendezvous until a link is up. */
  ensureContactLoop(key: string): void {
    if (this.loops.has(key) || this.links.has(key) || this.stopSignal.aborted) return;
    this.loops.add(key);
    void this.contactLoop(key).finally(() => this.loops.delete(key));
  }

  /**
   * Meets a contact (docs/session.md §4): with a session, in the session's rooms of the days
   * around now (the lower key is the SHS client); without one, or when a reset was asked for, by
   * dialing the contact's reset room as SHS client. Always also listening in its own reset room
   * for that contact, as SHS server authorizing only the contact's key.
   */
  private async contactLoop(key: string): Promise<void> {
    const signal = this.stopSignal;
    while (!signal.aborted && !this.links.has(key)) {
      const contact = this.contacts.get(key);
      if (!contact || !this.signaling) return;
      await this.relayOpen();
      if (signal.aborted || this.links.has(key)) return;
      this.setPeer(key, 'waiting');
      const wait = (this.retryAt.get(key) ?? 0) - Date.now();
      if (wait > 0) await sleep(wait, signal);
      const me = this.identity.keyPair();
      const session = (await this.sessions.row(key))?.session ?? null;
      // Near midnight the two clocks may disagree on the day: meet in every plausible room.
      const plan = contactRoomPlan({
        me: me.publicKey,
        contact,
        sessionRoomKey: session?.roomKey ?? null,
        resetRequested: this.resets.has(key),
        days: rendezvousDays(Date.now()),
      });
      const release = await this.rooms.acquire(plan.length, signal);
      if (!release) return;
      if (this.links.has(key)) {
        release();
        return;
      }
      const ac = new AbortController();
      this.attempts.set(key, ac);
      const tries = plan.map((a) => async (attempt: AbortSignal): Promise<LinkResult> => {
        if (a.delayMs) await sleep(a.delayMs, attempt);
        const r = await openLink({
          signaling: this.signaling!,
          rendezvousSecret: a.secret,
          identity: me,
          iceServers: this.iceServers,
          shs:
            a.role === 'initiator'
              ? { role: 'client', serverPublicKey: contact.publicKey }
              : // In our own reset room any key may complete SHS: a changed key is held below (docs/key-change.md §3).
                { role: 'server', authorize: (k) => a.kind === 'own-reset' || equalBytes(k, contact.publicKey) },
          timeoutMs: CONTACT_ATTEMPT_MS,
          signal: attempt,
        });
        if (r.ok) this.roles.set(r.link, a.role);
        return r;
      });
      const r = await firstLink(tries, AbortSignal.any([signal, ac.signal])).finally(() => {
        release();
        if (this.attempts.get(key) === ac) this.attempts.delete(key);
      });
      if (r.ok) {
        // Only our own reset room admits another key: held, untouched, until the person decides.
        if (!equalBytes(r.link.remotePublicKey, contact.publicKey)) {
          await this.desk.park(key, r.link);
          continue;
        }
        await this.attach(contact, r.link, this.roles.get(r.link) ?? 'responder');
        return;
      }
      if (r.code === 'LINK_ABORTED') {
        if (signal.aborted) return;
        continue;
      }
      if (r.code === 'LINK_HANDSHAKE_FAILED') {
        this.hooks.error(appError('HANDSHAKE_FAILED', contact.name));
        await sleep(this.backOff(key), signal);
      } else if (r.code !== 'LINK_TIMEOUT') {
        await sleep(1_000 + Math.random() * 1_000, signal);
      }
    }
  }

  /**
   * Asks for a new session with a contact (docs/session.md §4; the entry point for resets): the
   * live link, if any, is closed, and the next meeting dials the contact's reset room and runs
   * the kx even if both still hold the same session. Resolves once the new session is stored.
   */
  requestReset(contactKey: string, reason: string): Promise<ResetResult> {
    if (this.stopSignal.aborted)
      return Promise.resolve({ ok: false, code: 'RESET_STOPPED', message: 'the app is stopping' });
    const done = this.resets.add(contactKey, reason);
    const link = this.links.get(contactKey);
    if (link) void link.close().catch(() => {});
    else {
      this.attempts.get(contactKey)?.abort();
      this.ensureContactLoop(contactKey);
    }
    return done;
  }

  /** The reason of a pending reset for `contactKey`, if one was asked for. */
  resetPending(contactKey: string): string | null {
    return this.resets.reason(contactKey);
  }

  /**
   * The person accepted the contact's new key (docs/key-change.md §3): a link with the old key
   * closes, and a forced kx runs with the new key — on the held caller's link if it is still
   * there, else at the next meeting — so both chats note a reset.
   */
  keyAccepted(contactKey: string): void {
    const contact = this.contacts.get(contactKey);
    if (!contact || this.stopSignal.aborted) return;
    void this.resets.add(contactKey, 'key');
    const held = this.desk.take(contactKey, contact.publicKey);
    const live = this.links.get(contactKey);
    if (live && live !== held?.link) void live.close().catch(() => {});
    // The running attempt still used the old key; without a held link the loop starts again.
    this.attempts.get(contactKey)?.abort();
    if (held) void this.attach(contact, held.link, 'responder', held.early);
    else this.ensureContactLoop(contactKey);
  }

  /** The person kept the old key: the caller with the new one is hung up on. */
  keyRefused(contactKey: string): void {
    this.desk.drop(contactKey);
  }

  /** Doubles the contact's handshake backoff (2 s … 60 s) and returns it. */
  private backOff(key: string): number {
    const backoff = Math.min(60_000, Math.max(2_000, (this.handshakeBackoff.get(key) ?? 0) * 2));
    this.handshakeBackoff.set(key, backoff);
    return backoff;
  }

  private sessionReady(
    key: string,
    link: SecureLink,
    r: SessionSetupResult,
    forced: boolean,
    contactName: string,
  ): void {
    if (this.links.get(key) !== link) return;
    if (!r.ok) {
      // A kx that failed its checks means someone interfered (and the next try waits, as after a
      // failed handshake); a timeout or a cut is retried quietly.
      if (r.code === 'SESSION_KX_FAILED' || r.code === 'SESSION_PROTOCOL') {
        this.hooks.error(appError('HANDSHAKE_FAILED', contactName));
        this.retryAt.set(key, Date.now() + this.backOff(key));
      }
      return;
    }
    this.handshakeBackoff.delete(key);
    this.retryAt.delete(key);
    this.setPeer(key, 'connected');
    this.hooks.resolved(['HANDSHAKE_FAILED', 'CONNECTION_FAILED', 'FRIEND_OFFLINE']);
    if (forced && r.fresh) this.resets.settle(key, r.sessionId);
    this.hooks.sessionReady?.(key, { sessionId: r.sessionId, fresh: r.fresh, forced });
  }

  /**
   * Makes `link` the contact's live link: session setup (docs/session.md §2; `role` is
   * 'initiator' on the SHS client's side), then chat inside the ratchet, reconnect on close.
   * `early`: messages a pairing listener took off the link before this was called.
   */
  async attach(contact: ContactRecord, link: SecureLink, role: KxRole, early: WireMessage[] = []): Promise<void> {
    const key = contact.key;
    const old = this.links.get(key);
    this.links.set(key, link);
    if (old && old !== link) void old.close().catch(() => {});
    // File data goes through the file-key adapter, keyed inside the ratchet (docs/session.md §6).
    const files = new FileKeyLink(link, role);
    this.hooks.linkUp?.(key, files);
    // A store that refuses the write (quota, private mode) must not become an unhandled
    // rejection: no receipt goes back, so the friend sends the message again later.
    link.onMessage((m) => void this.onWire(key, m).catch(() => this.hooks.error(appError('STORAGE_FAILED'))));
    const held = this.sessions.sessionId(key);
    const forced = this.resets.has(key);
    const cause = resetCause(this.resets.reason(key));
    link.onClose((e) => {
      if (this.links.get(key) !== link) return;
      this.links.delete(key);
      this.setPeer(key, 'waiting');
      // Altered, replayed or reordered frames mean someone is meddling; a cut without goodbye
      // (FRAME_TRUNCATED, LINK_CLOSED) is what a friend closing the tab looks like: no alarm.
      // So is file data that does not decrypt under the file key (docs/session.md §6).
      if ((e.failure && TAMPERING.has(e.failure.code)) || files.failure?.code === 'FILE_KEY_TAMPERED')
        this.hooks.error(appError('HANDSHAKE_FAILED', contact.name));
      this.ensureContactLoop(key);
    });
    this.setPeer(key, 'connecting');
    const traffic = new LinkTraffic(
      link,
      key,
      this.sessions,
      {
        role,
        identity: this.identity.kxIdentity(),
        held,
        force: forced,
        early,
        fileKey: files,
      },
      {
        messagesChanged: (ids) => {
          for (const id of ids) this.hooks.messagesChanged(key, id);
        },
        storageFailed: () => this.hooks.error(appError('STORAGE_FAILED')),
        heldBack: (n) => this.hooks.chatHeldBack?.(key, n),
        // Decryption that keeps failing means the two ratchets disagree: reset by ourselves.
        ...this.desk.watchDecryption(
          key,
          (f) => this.hooks.ratchetRefused?.(key, f),
          () => void this.requestReset(key, 'failures'),
        ),
      },
    );
    this.traffic.set(link, traffic);
    void traffic.ready.then((r) => this.sessionReady(key, link, r, forced, contact.name));
    void Promise.all([traffic.ready, held])
      .then(([r, h]) => this.desk.agreed(key, r, h, cause))
      .catch(() => this.hooks.error(appError('STORAGE_FAILED')));
    await this.contacts.touch(key);
    try {
      await link.send({ type: 'hello', name: this.identity.name });
    } catch {
      /* closed already: onClose takes over */
    }
  }

  private async onWire(key: string, m: WireMessage): Promise<void> {
    // Chat, receipts and resume points travel inside the ratchet (LinkTraffic); the names here.
    if (m.type !== 'hello') return;
    const clean = cleanName(m.name);
    const name = clean && distinctName(clean, key, this.contacts.list);
    const before = this.contacts.get(key)?.name;
    if (name && name !== before) {
      await this.contacts.touch(key, name);
      if (before) this.hooks.renamed?.(key, before, name);
    }
  }

  /** Sends what is in the contact's outbox, oldest first, if a link with a session is up (docs/session.md §3). */
  async flush(key: string): Promise<void> {
    const link = this.links.get(key);
    if (link) await this.traffic.get(link)?.flush();
  }

  setPeer(key: string, s: PeerState): void {
    this.peers = { ...this.peers, [key]: s };
  }
}
