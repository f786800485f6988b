/**
 * ContactPeer: everything Parley is doing with one person (docs/app.md "One object per
 * contact"). The state the UI shows; the meeting loop that finds them at the rendezvous, with
 * the abort controller of its running attempt; the handshake backoff and the time the next
 * meeting may start; the live link with its chat traffic and kx role; a pending session reset,
 * with its reason and waiters.
 *
 * The person is read through a `PeerDirectory` (peer-directory.ts) — key, public key, name,
 * contact secret — not from the contact list, so a group member who is not a contact can have the
 * same object.
 * Who dials whom: contact-rooms.ts plans the rooms (the lower key is the SHS client in the
 * session's rooms, docs/interfaces.md); pairing through invites lives in pairing.svelte.ts.
 * @module
 */
import type { LinkFeatures, SecureLink } from '../net/link';
import type { StatsReportLike } from '../net/route-stats';
import { hasFeature, maySend } from '../core/features';
import type { SessionSetupResult } from '../net/session-kx';
import { FileKeyLink } from '../net/file-key-link';
import { rendezvousDays } from '../core/rendezvous';
import type { KxRole } from '../core/kx';
import type { WireMessage } from '../core/wire';
import type { ContactSessions } from '../store/contact-sessions';
import { contactRoomPlan } from './contact-rooms';
import { meetInRooms, type Met } from './meet-in-rooms';
import { LinkTraffic } from './session-traffic';
import { ResetRequests, type ResetResult } from './reset-requests';
import type { ResetDesk } from './reset-desk';
import { resetCause } from './reset-policy';
import { TAMPERING, type ConnectionHooks, type PeerState } from './connection-hooks';
import type { IdentityState } from './identity.svelte';
import type { MeetingContext } from './meeting';
import type { PeerDirectory, PeerRecord } from './peer-directory';
import { appError } from './errors';
import { peerTooOld } from './peer-features';
import { equalBytes } from '@noble/ciphers/utils.js';
import { sleep } from './sleep';
import { SerialJob } from './serial-job';

/** The app's parts every ContactPeer shares (`ConnectionManager` makes them once). */
export interface PeerServices {
  readonly identity: Pick<IdentityState, 'keyPair' | 'kxIdentity' | 'name'>;
  readonly directory: PeerDirectory;
  readonly sessions: ContactSessions;
  readonly desk: ResetDesk;
  readonly hooks: ConnectionHooks;
  /** Leaves messages in the person's mailbox at the relay while no link is up (docs/app.md "Mailbox"). */
  readonly courier?: { post(key: string): Promise<void> };
}

/** The live link and what rides on it. */
interface LiveLink {
  readonly link: SecureLink;
  /** 'initiator' on the SHS client's side (docs/session.md §2). */
  readonly role: KxRole;
  /** The chat traffic inside the ratchet; set while the link is attached. */
  traffic: LinkTraffic | null;
}

export class ContactPeer {
  /** What the link to this person is doing (the contact list's dot, the chat's status line). */
  state = $state<PeerState>('waiting');
  /** Both announcements of the last link in this page (docs/protocol.md "Compatibility"); kept after it closes. */
  features = $state.raw<LinkFeatures | null>(null);
  private live: LiveLink | null = null;
  /**
   * At most one meeting loop per person; a request while it runs is kept (docs/app.md "One object
   * per contact"): a link may close while the loop that found it is still in `attach`.
   */
  private readonly meetingLoop = new SerialJob(() => this.loop());
  /** Aborts the running meeting attempt (a reset or a key change starts a new one at once). */
  private attempt: AbortController | null = null;
  /** Doubles after each failed handshake or kx (2 s … 60 s); back to 0 once a session is agreed. */
  private backoffMs = 0;
  /** Doubles after each meeting that found the person but no route (2 s … 20 s); 0 once a session is agreed. */
  private noRouteMs = 0;
  /** After a failed kx the next meeting waits until then (ms since epoch). */
  private retryAt = 0;
  /** A session reset asked for (docs/session.md §4): its reason, and who waits for it. */
  private readonly reset = new ResetRequests();

  constructor(
    readonly key: string,
    private readonly ctx: MeetingContext,
    private readonly app: PeerServices,
  ) {}

  /** Keeps trying to meet the person at the rendezvous until a link is up. */
  ensureLoop(): void {
    if (this.live || this.ctx.stop.aborted) return;
    this.meetingLoop.request();
  }

  /**
   * Meets the person (docs/session.md §4): with a session, in the session's rooms of the days
   * around now; without one, or when a reset was asked for, by dialing their reset room as SHS
   * client. Always also listening in our own reset room for them, as SHS server.
   */
  private async loop(): Promise<void> {
    const signal = this.ctx.stop;
    while (!signal.aborted && !this.live) {
      const who = this.app.directory.find(this.key);
      if (!who || !this.ctx.relay) return;
      await this.ctx.relayOpen();
      if (signal.aborted || this.live) return;
      if (this.state !== 'unreachable') this.state = 'waiting';
      const wait = this.retryAt - Date.now();
      if (wait > 0) await sleep(wait, signal);
      const met = await this.meet(who);
      if (!met) return;
      if (met.ok) {
        // Only our own reset room admits another key: held, untouched, until the person decides.
        if (!equalBytes(met.link.remotePublicKey, who.publicKey)) {
          await this.app.desk.park(this.key, met.link);
          continue;
        }
        await this.attach(met.link, met.role);
        return;
      }
      if (!(await this.pause(met))) return;
    }
  }

  /**
   * One meeting in the rooms contact-rooms.ts plans (meet-in-rooms.ts). Null when the loop should
   * end (stopping, or a link came up while waiting for rooms).
   */
  private async meet(who: PeerRecord): Promise<Met | null> {
    const signal = this.ctx.stop;
    const me = this.app.identity.keyPair();
    const session = (await this.app.sessions.row(this.key))?.session ?? null;
    // Near midnight the two clocks may disagree on the day: meet in every plausible room.
    const plan = contactRoomPlan({
      me: me.publicKey,
      contact: who,
      sessionRoomKey: session?.roomKey ?? null,
      resetRequested: this.reset.has(this.key),
      days: rendezvousDays(Date.now()),
    });
    const release = await this.ctx.rooms.acquire(plan.length, signal);
    if (!release) return null;
    if (signal.aborted || this.live) {
      release();
      return null;
    }
    const ac = new AbortController();
    this.attempt = ac;
    return meetInRooms({ ctx: this.ctx, me, who, plan, signal: AbortSignal.any([signal, ac.signal]) }).finally(() => {
      release();
      if (this.attempt === ac) this.attempt = null;
    });
  }

  /** Waits as a failed meeting calls for; false when the loop should end (the app is stopping). */
  private async pause(met: Extract<Met, { ok: false }>): Promise<boolean> {
    const signal = this.ctx.stop;
    const code = met.code;
    if (code === 'LINK_ABORTED') return !signal.aborted;
    if (met.noRoute) return this.noRoute();
    // A whole attempt in which nobody came: whatever failed before is not what happens now.
    if (code === 'LINK_TIMEOUT' && met.step === 'rendezvous') this.state = 'waiting';
    if (code === 'LINK_HANDSHAKE_FAILED') {
      this.app.hooks.error(appError('HANDSHAKE_FAILED', this.name));
      await sleep(this.backOff(), signal);
    } else if (code !== 'LINK_TIMEOUT') {
      await sleep(1_000 + Math.random() * 1_000, signal);
    }
    return true;
  }

  /**
   * The person was at the rendezvous but no WebRTC route was found (docs/app.md "Network: TURN
   * and relay-only"): say so — CONNECTION_FAILED with what to do — instead of "waiting", and try
   * again after 2 s … 20 s, or at once when the relay-only setting changes.
   */
  private async noRoute(): Promise<boolean> {
    this.state = 'unreachable';
    this.app.hooks.error(this.ctx.noRoute(this.name));
    this.noRouteMs = Math.min(20_000, Math.max(2_000, this.noRouteMs * 2));
    const { changed } = await this.ctx.ice();
    await sleep(this.noRouteMs, AbortSignal.any([this.ctx.stop, changed]));
    return true;
  }

  /**
   * Ends the live link so that the next one follows a stricter transport policy (relay-only
   * switched on: a direct link would keep showing this browser's address to the person).
   */
  relink(): void {
    if (this.live) void this.live.link.close().catch(() => {});
  }

  /**
   * Asks for a new session (docs/session.md §4): the live link, if any, is closed, and the next
   * meeting dials the person's reset room and runs the kx even if both still hold the same
   * session. Resolves once the new session is stored.
   */
  requestReset(reason: string): Promise<ResetResult> {
    if (this.ctx.stop.aborted)
      return Promise.resolve({ ok: false, code: 'RESET_STOPPED', message: 'the app is stopping' });
    const done = this.reset.add(this.key, reason);
    if (this.live) void this.live.link.close().catch(() => {});
    else {
      this.attempt?.abort();
      this.ensureLoop();
    }
    return done;
  }

  /**
   * The person accepted a new key (docs/key-change.md §3): a link with the old key closes, and a
   * forced kx runs with the new key — on `held`, the caller's link the reset desk kept, if it is
   * still there, else at the next meeting — so both chats note a reset.
   */
  keyAccepted(held: { link: SecureLink; early: WireMessage[] } | null): void {
    void this.reset.add(this.key, 'key');
    if (this.live && this.live.link !== held?.link) void this.live.link.close().catch(() => {});
    // The running attempt still used the old key; without a held link the loop starts again.
    this.attempt?.abort();
    if (held) void this.attach(held.link, 'responder', held.early);
    else this.ensureLoop();
  }

  /** The live link's WebRTC stats (route, round trip, bytes), null without a link. */
  stats(): Promise<StatsReportLike | null> {
    return this.live?.link.stats?.() ?? Promise.resolve(null);
  }

  /**
   * Sends what is in the outbox, oldest first, if a link with a session is up (docs/session.md §3);
   * without one, leaves it in the person's mailbox at the relay (docs/app.md "Mailbox").
   */
  async flush(): Promise<void> {
    await this.live?.traffic?.flush();
    if (this.state !== 'connected') await this.app.courier?.post(this.key);
  }

  /** Sends receipts for messages that came through the mailbox on the live link; false without one. */
  async forwardReceipts(ids: string[]): Promise<boolean> {
    const traffic = this.state === 'connected' ? this.live?.traffic : null;
    return traffic ? traffic.forwardReceipts(ids) : false;
  }

  /** The app is stopping: a pending reset is answered RESET_STOPPED, the live link closes. */
  stop(): void {
    this.reset.stopAll();
    if (this.live) void this.live.link.close().catch(() => {});
  }

  /**
   * The person was removed or blocked (contact-removal.svelte.ts): the running attempt and the
   * live link end; the loop, woken by the abort, finds them gone from the directory and ends.
   */
  forget(): void {
    this.attempt?.abort();
    const live = this.live;
    this.live = null; // so the link's close does not start a new meeting
    this.state = 'waiting';
    if (live) void live.link.close().catch(() => {});
  }

  /**
   * Makes `link` the live link: session setup (docs/session.md §2), then chat inside the
   * ratchet, a new meeting when it closes. `early`: messages a pairing listener or the reset desk
   * took off the link before this was called.
   */
  async attach(link: SecureLink, role: KxRole, early: WireMessage[] = []): Promise<void> {
    const old = this.live?.link;
    const live: LiveLink = { link, role, traffic: null };
    this.live = live;
    if (old && old !== link) void old.close().catch(() => {});
    // File data goes through the file-key adapter, keyed inside the ratchet (docs/session.md §6).
    const files = new FileKeyLink(link, role);
    // Files go only where both sides announced file keys; the adapter keeps what arrives meanwhile.
    void link.features.then((f) => {
      if (f && this.live?.link === link) this.features = f;
      if (f && maySend(f.own, f.peer, 'transfer'))
        this.app.hooks.linkUp?.(this.key, files, {
          // Both: a page run as an older version (the test switch) keeps that version's acks.
          takesWindow: hasFeature(f.own, 'file-ack-window') && hasFeature(f.peer, 'file-ack-window'),
        });
    });
    // A store that refuses the write (quota, private mode) must not become an unhandled
    // rejection: no receipt goes back, so the friend sends the message again later.
    link.onMessage((m) => void this.onWire(m).catch(() => this.app.hooks.error(appError('STORAGE_FAILED'))));
    const held = this.app.sessions.sessionId(this.key);
    const forced = this.reset.has(this.key);
    const cause = resetCause(this.reset.reason(this.key));
    this.watchClose(link, files);
    this.state = 'connecting';
    this.app.hooks.resolved(['CONNECTION_FAILED']);
    const traffic = this.startTraffic(link, role, { held, forced, early, files });
    live.traffic = traffic;
    void traffic.ready.then((r) => this.sessionReady(link, r, forced));
    void Promise.all([traffic.ready, held])
      .then(([r, h]) => this.app.desk.agreed(this.key, r, h, cause))
      .catch(() => this.app.hooks.error(appError('STORAGE_FAILED')));
    await this.app.directory.seen(this.key);
    try {
      await link.send({ type: 'hello', name: this.app.identity.name });
    } catch {
      /* closed already: onClose takes over */
    }
  }

  private watchClose(link: SecureLink, files: FileKeyLink): void {
    link.onClose((e) => {
      if (this.live?.link !== link) return;
      this.live = null;
      this.state = 'waiting';
      // Altered, replayed or reordered frames mean someone is meddling; a cut without goodbye
      // (FRAME_TRUNCATED, LINK_CLOSED) is what a friend closing the tab looks like: no alarm.
      // So is file data that does not decrypt under the file key (docs/session.md §6).
      if ((e.failure && TAMPERING.has(e.failure.code)) || files.failure?.code === 'FILE_KEY_TAMPERED')
        this.app.hooks.error(appError('HANDSHAKE_FAILED', this.name));
      this.ensureLoop();
      void this.app.courier?.post(this.key); // what the link did not deliver waits in the mailbox
    });
  }

  private startTraffic(
    link: SecureLink,
    role: KxRole,
    o: { held: Promise<string | null>; forced: boolean; early: WireMessage[]; files: FileKeyLink },
  ): LinkTraffic {
    const { key, app } = this;
    const setup = { role, identity: app.identity.kxIdentity(), held: o.held, force: o.forced, early: o.early };
    return new LinkTraffic(
      link,
      key,
      app.sessions,
      { ...setup, fileKey: o.files },
      {
        messagesChanged: (ids) => {
          for (const id of ids) app.hooks.messagesChanged(key, id);
        },
        storageFailed: () => app.hooks.error(appError('STORAGE_FAILED')),
        // Group copies this contact's Parley cannot take left the outbox unsent: the person is told why.
        withheld: (_ids, feature) => app.hooks.error(peerTooOld(feature, this.name ?? 'your friend')),
        // Announcements altered on the way (docs/security.md "Downgrade"): the link is closed.
        interfered: () => app.hooks.error(appError('HANDSHAKE_FAILED', this.name)),
        heldBack: (n) => app.hooks.chatHeldBack?.(key, n),
        // Decryption that keeps failing means the two ratchets disagree: reset by ourselves.
        ...app.desk.watchDecryption(
          key,
          (f) => app.hooks.ratchetRefused?.(key, f),
          () => void this.requestReset('failures'),
        ),
      },
    );
  }

  private sessionReady(link: SecureLink, r: SessionSetupResult, forced: boolean): void {
    if (this.live?.link !== link) return;
    if (!r.ok) {
      // A kx that failed its checks means someone interfered (and the next try waits, as after a
      // failed handshake); a timeout or a cut is retried quietly.
      if (r.code === 'SESSION_KX_FAILED' || r.code === 'SESSION_PROTOCOL') {
        this.app.hooks.error(appError('HANDSHAKE_FAILED', this.name));
        this.retryAt = Date.now() + this.backOff();
      }
      return;
    }
    this.backoffMs = 0;
    this.noRouteMs = 0;
    this.retryAt = 0;
    this.state = 'connected';
    this.app.hooks.resolved(['HANDSHAKE_FAILED', 'CONNECTION_FAILED', 'FRIEND_OFFLINE']);
    if (forced && r.fresh) this.reset.settle(this.key, r.sessionId);
    this.app.hooks.sessionReady?.(this.key, { sessionId: r.sessionId, fresh: r.fresh, forced });
  }

  private async onWire(m: WireMessage): Promise<void> {
    // Chat, receipts and resume points travel inside the ratchet (LinkTraffic); the name here.
    if (m.type === 'hello') await this.app.directory.announced(this.key, m.name);
  }

  /** Doubles the handshake backoff (2 s … 60 s) and returns it. */
  private backOff(): number {
    this.backoffMs = Math.min(60_000, Math.max(2_000, this.backoffMs * 2));
    return this.backoffMs;
  }

  private get name(): string | undefined {
    return this.app.directory.find(this.key)?.name;
  }
}
