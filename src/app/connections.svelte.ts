/**
 * ConnectionManager: the relay connection, one {@link ContactPeer} per person (its meeting loop,
 * live link, chat traffic and resets: contact-peer.svelte.ts), and the app's entry points for
 * session resets and key changes (docs/app.md "One object per contact").
 *
 * The peers share one meeting context (meeting.ts) — the relay sockets, ICE servers, room budget
 * and stop signal — which pairing (pairing.svelte.ts) gets too.
 * @module
 */
import { SvelteMap } from 'svelte/reactivity';
import type { SignalingStatus } from '../net/signaling';
import type { SecureLink } from '../net/link';
import type { StatsReportLike } from '../net/route-stats';
import { warmUpKx } from '../net/session-kx';
import type { KxRole } from '../core/kx';
import type { WireMessage } from '../core/wire';
import type { ParleyStore } from '../store/db';
import { ContactSessions } from '../store/contact-sessions';
import { MailboxCourier } from './mailbox-courier';
import { chatBudgets } from './session-traffic';
import type { LinkFeatures } from '../net/secure-link';
import type { WireMessage as Wire } from '../core/wire';
import { ownFeatures, sendRefusal } from './peer-features';
import { appError, type AppError } from './errors';
import { ContactPeer, type PeerServices } from './contact-peer.svelte';
import { contactDirectory, type PeerDirectory } from './peer-directory';
import { withGroupPeers } from './group-peers';
import { Meeting } from './meeting';
import type { ResetResult } from './reset-requests';
import { ResetDesk } from './reset-desk';
import type { ConnectionHooks, PeerState } from './connection-hooks';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import type { OwnerNetwork } from './network-owner';
export type { ResetResult, ConnectionHooks, PeerState };

/** What the owner tab's links are doing, as it tells the other tabs (docs/tabs.md §3). */
export interface MirroredLinks {
  peers: Record<string, PeerState>;
  features: Record<string, LinkFeatures | null>;
}

export class ConnectionManager {
  relayStatus = $state<SignalingStatus>('connecting');
  relayRetryAt = $state<number | null>(null);
  /** The relay sockets, ICE servers, room budget and stop signal that every meeting shares. */
  readonly meeting = new Meeting();
  /** Sessions, outboxes and inboxes (docs/session.md §3), in the app's database. */
  readonly sessions: ContactSessions;
  /** One per person, by key; made at start for every contact, and when pairing adds one. */
  private readonly contactPeers = new SvelteMap<string, ContactPeer>();
  /** Set in a tab that does not own the network (docs/tabs.md): the entry points go to the owner tab. */
  viaOwner: OwnerNetwork | null = null;
  /** The owner tab's link states and announcements, shown in a tab that does not own the network. */
  mirrored = $state.raw<MirroredLinks | null>(null);
  /** Per contact key, what its link is doing; contacts without an entry are 'waiting'. */
  readonly peers = $derived(
    this.mirrored?.peers ??
      Object.fromEntries([...this.contactPeers.values()].map((p): [string, PeerState] => [p.key, p.state])),
  );
  /** Callers with a changed key, automatic resets, reset notices (docs/key-change.md §3, §5). */
  private readonly desk: ResetDesk;
  private readonly services: PeerServices;
  /** Messages to and from contacts who are offline, through the relay's mailbox (docs/app.md "Mailbox"). */
  readonly courier: MailboxCourier;
  /**
   * Keys of members met through group introductions who are not contacts (set by `GroupsState`):
   * their mailboxes are drained too, since group copies reach them there (docs/groups.md §10.2).
   */
  groupPeerKeys: () => readonly string[] = () => [];

  constructor(
    store: ParleyStore,
    private readonly identity: IdentityState,
    private readonly contacts: ContactsState,
    hooks: ConnectionHooks,
    /** Members met through group introductions (group-peers.ts), met like contacts. */
    groupPeers?: PeerDirectory,
  ) {
    // The page's own feature set: read once, here (the test switch, docs/app.md "Versions").
    const own = ownFeatures(typeof localStorage === 'undefined' ? null : localStorage);
    this.meeting.features = own;
    this.sessions = new ContactSessions(store.database, Date.now, {}, own);
    this.desk = new ResetDesk(contacts);
    const known = contactDirectory(contacts, hooks);
    const directory = groupPeers ? withGroupPeers(known, (k) => !!contacts.get(k), groupPeers) : known;
    this.courier = this.makeCourier(store, directory, hooks);
    this.services = { identity, directory, sessions: this.sessions, desk: this.desk, hooks, courier: this.courier };
  }

  private makeCourier(store: ParleyStore, directory: PeerServices['directory'], hooks: ConnectionHooks) {
    return new MailboxCourier({
      relay: () => this.meeting.relay,
      sessions: this.sessions,
      db: store.database,
      me: () => this.identity.keyPair().publicKey,
      contacts: () => [...this.contacts.list.map((c) => c.key), ...this.groupPeerKeys()],
      find: (key) => directory.find(key),
      connected: (key) => this.contactPeers.get(key)?.state === 'connected',
      sendOnLink: async (key, ids) => (await this.contactPeers.get(key)?.forwardReceipts(ids)) ?? false,
      hooks: {
        messagesChanged: (key, id) => hooks.messagesChanged(key, id),
        heldBack: (key, n) => hooks.chatHeldBack?.(key, n),
        storageFailed: () => hooks.error(appError('STORAGE_FAILED')),
      },
      budgets: chatBudgets(this.sessions),
      stop: this.meeting.stop,
    });
  }

  /** Connects to the relay (same origin, path /signal; one socket per day) and starts meeting every contact. */
  async start(origin: URL): Promise<void> {
    // Today's socket opens while the ICE configuration loads: both are needed before the first link.
    const relay = this.meeting.connect(origin, (s, retryAt) => {
      this.relayStatus = s;
      this.relayRetryAt = retryAt;
    });
    this.relayStatus = relay.status;
    this.courier.start();
    // The kx's keys and primitives cost a few hundred ms cold: pay that while the network works.
    setTimeout(() => {
      try {
        warmUpKx(this.identity.kxIdentity());
      } catch {
        /* only a warm-up */
      }
    }, 0);
    await this.meeting.loadIceConfig(origin);
    for (const c of this.contacts.list) this.peer(c.key).ensureLoop();
  }

  stop(): void {
    this.meeting.abort();
    this.courier.stop();
    for (const p of this.contactPeers.values()) p.stop();
    this.meeting.close();
  }

  /**
   * Makes `link` the live link of the contact `key` (a new contact's first link, from pairing):
   * session setup with `role` ('initiator' on the SHS client's side), then chat.
   * `early`: messages the pairing listener took off the link before this was called.
   */
  attach(key: string, link: SecureLink, role: KxRole, early: WireMessage[] = []): Promise<void> {
    return this.peer(key).attach(link, role, early);
  }

  /**
   * Asks for a new session with a contact (docs/session.md §4; the entry point for resets).
   * Resolves once the new session is stored.
   */
  requestReset(contactKey: string, reason: string): Promise<ResetResult> {
    if (this.viaOwner) return this.viaOwner.requestReset(contactKey, reason) as Promise<ResetResult>;
    return this.peer(contactKey).requestReset(reason);
  }

  /**
   * The person accepted the contact's new key (docs/key-change.md §3): the caller the reset desk
   * held with that key, if still there, gets the forced kx; otherwise the next meeting does.
   */
  keyAccepted(contactKey: string): void {
    if (this.viaOwner) return this.viaOwner.keyAccepted(contactKey);
    const contact = this.contacts.get(contactKey);
    if (!contact || this.meeting.stop.aborted) return;
    this.peer(contactKey).keyAccepted(this.desk.take(contactKey, contact.publicKey));
  }

  /** The person kept the old key: the caller with the new one is hung up on. */
  keyRefused(contactKey: string): void {
    if (this.viaOwner) return this.viaOwner.keyRefused(contactKey);
    this.desk.drop(contactKey);
  }

  /**
   * The person's relay-only choice (docs/app.md "Network: TURN and relay-only"). Attempts under
   * the old policy stop by themselves (`LinkIce.changed`); switched on, the live links end too,
   * and each contact is met again through the TURN relay.
   */
  setRelayOnly(on: boolean): void {
    if (this.viaOwner) {
      this.meeting.network.setRelayOnly(on); // this tab's settings card; no links here to end
      return this.viaOwner.setRelayOnly(on);
    }
    if (this.meeting.network.setRelayOnly(on)) for (const p of this.contactPeers.values()) p.relink();
  }

  /** The live link's WebRTC stats for the route display (docs/app.md), null without a link. */
  linkStats(key: string): Promise<StatsReportLike | null> {
    return this.contactPeers.get(key)?.stats() ?? Promise.resolve(null);
  }

  /**
   * Stops meeting a removed or blocked contact (contact-removal.svelte.ts): its running attempt,
   * live link and a held caller end; its loop finds it gone (peer-directory.ts) and does not start
   * again. Call it after the contact list says so.
   */
  stopMeeting(contactKey: string): void {
    if (this.viaOwner) return this.viaOwner.stopMeeting(contactKey);
    this.contactPeers.get(contactKey)?.forget();
    this.desk.drop(contactKey);
  }

  /** Meets an unblocked contact again. */
  meetAgain(contactKey: string): void {
    if (this.viaOwner) return this.viaOwner.meetAgain(contactKey);
    this.peer(contactKey).ensureLoop();
  }

  /** Sends what is in the contact's outbox, oldest first, if a link with a session is up (docs/session.md §3). */
  async flush(key: string): Promise<void> {
    if (this.viaOwner) return this.viaOwner.flush(key);
    await this.contactPeers.get(key)?.flush();
  }

  /** The announcements of the contact's last link in this page (null: none yet). */
  peerFeatures(key: string): LinkFeatures | null {
    if (this.mirrored) return this.mirrored.features[key] ?? null;
    return this.contactPeers.get(key)?.features ?? null;
  }

  /** Why a message of `type` cannot go to the contact now (PEER_TOO_OLD, VERSION_TOO_OLD), or null. */
  refusal(key: string, type: Wire['type']): AppError | null {
    return sendRefusal(this.peerFeatures(key), type, this.contacts.get(key)?.name ?? 'your friend');
  }

  /** The ContactPeer of `key`, made on first use. */
  private peer(key: string): ContactPeer {
    let p = this.contactPeers.get(key);
    if (!p) {
      p = new ContactPeer(key, this.meeting, this.services);
      this.contactPeers.set(key, p);
    }
    return p;
  }
}
