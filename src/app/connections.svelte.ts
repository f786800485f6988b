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
import { openLink, type SecureLink } from '../net/link';
import { firstLink } from './first-link';
import { RoomBudget } from './room-budget';
import { contactRendezvousSecret, rendezvousDays } from '../core/rendezvous';
import type { WireMessage } from '../core/wire';
import type { ParleyStore, ContactRecord } from '../store/db';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import { appError, type AppError, type AppErrorCode } from './errors';
import { cleanName, distinctName } from './names';
import { incomingSentAt } from './message-time';
import { compareBytes, equalBytes, sleep } from './bytes';

export type PeerState = 'connected' | 'waiting' | 'connecting';
const TAMPERING = new Set(['FRAME_MALFORMED', 'FRAME_TAMPERED', 'FRAME_REFLECTED', 'FRAME_REPLAYED', 'FRAME_OUT_OF_ORDER',
  'FRAME_BEFORE_CONFIRMATION', 'FRAME_AFTER_GOODBYE']);
/** How long one attempt to meet a contact at the rendezvous lasts before starting over. */
const CONTACT_ATTEMPT_MS = 30_000;

export interface ConnectionHooks {
  /**
   * A contact's message was stored or marked delivered. With its id views patch that one message
   * in (docs/app.md "Chat history"); without it they re-read the contact's history.
   */
  messagesChanged(contactKey: string, messageId?: string): void;
  /** A contact's hello changed its display name (docs/app.md "Unread and notices"). */
  renamed?(contactKey: string, from: string, to: string): void;
  /** Something a person should know about went wrong. */
  error(e: AppError): void;
  /** These problems are over (a link came up): take their messages down. */
  resolved(codes: AppErrorCode[]): void;
  /**
   * A verified link to a contact is up. Runs before the app's own `onMessage`, so file transfers
   * (docs/files.md §8) see the messages that arrived before any listener.
   */
  linkUp?(contactKey: string, link: SecureLink): void;
}

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

  private readonly links = new Map<string, SecureLink>();
  private readonly sentOnLink = new WeakMap<SecureLink, Set<string>>();
  private readonly loops = new Set<string>();
  private readonly flushes = new Map<string, Promise<void>>();
  private readonly stopper = new AbortController();
  /** Per contact: one contact whose handshakes fail must not slow the others' retries. */
  private readonly handshakeBackoff = new Map<string, number>();

  constructor(
    readonly store: ParleyStore,
    readonly identity: IdentityState,
    readonly contacts: ContactsState,
    readonly hooks: ConnectionHooks,
  ) {}

  get stopSignal(): AbortSignal { return this.stopper.signal; }

  /** Connects to the relay (same origin, path /signal) and starts meeting every contact. */
  async start(origin: URL): Promise<void> {
    // The socket opens while the ICE configuration loads: both are needed before the first link.
    const ws = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/signal`;
    this.signaling = new SignalingClient(ws);
    this.relayStatus = this.signaling.status;
    this.signaling.onStatus((s) => {
      this.relayStatus = s;
      this.relayRetryAt = this.signaling?.nextRetryAt ?? null;
      if (s === 'open') for (const wake of this.openWaiters.splice(0)) wake();
    });
    this.iceServers = await loadIceServers(origin);
    for (const c of this.contacts.list) this.ensureContactLoop(c.key);
  }

  stop(): void {
    this.stopper.abort();
    for (const link of this.links.values()) void link.close().catch(() => {});
    this.signaling?.close();
  }

  isConnected(key: string): boolean { return this.links.has(key); }

  /** Waits until the relay is open (or we are stopping). */
  async relayOpen(): Promise<void> {
    while (this.relayStatus !== 'open' && !this.stopSignal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => { clearTimeout(t); resolve(); };
        // Belt and braces: re-check now and then, and leave no stale waiter behind.
        const t = setTimeout(() => {
          const i = this.openWaiters.indexOf(wake);
          if (i >= 0) this.openWaiters.splice(i, 1);
          resolve();
        }, 1_000);
        this.openWaiters.push(wake);
      });
    }
  }
  private readonly openWaiters: (() => void)[] = [];

  /** Keeps trying to meet a contact at today's rendezvous until a link is up. */
  ensureContactLoop(key: string): void {
    if (this.loops.has(key) || this.links.has(key) || this.stopSignal.aborted) return;
    this.loops.add(key);
    void this.contactLoop(key).finally(() => this.loops.delete(key));
  }

  private async contactLoop(key: string): Promise<void> {
    const signal = this.stopSignal;
    while (!signal.aborted && !this.links.has(key)) {
      const contact = this.contacts.get(key);
      if (!contact || !this.signaling) return;
      await this.relayOpen();
      if (signal.aborted || this.links.has(key)) return;
      this.setPeer(key, 'waiting');
      const me = this.identity.keyPair();
      const iAmClient = compareBytes(me.publicKey, contact.publicKey) < 0;
      // Near midnight the two clocks may disagree on the day: meet in every plausible room.
      const days = rendezvousDays(Date.now());
      const release = await this.rooms.acquire(days.length, signal);
      if (!release) return;
      if (this.links.has(key)) { release(); return; }
      const r = await firstLink(days.map((day) => (attempt: AbortSignal) => openLink({
        signaling: this.signaling!,
        rendezvousSecret: contactRendezvousSecret(contact.contactSecret, day),
        identity: me,
        shs: iAmClient
          ? { role: 'client', serverPublicKey: contact.publicKey }
          : { role: 'server', authorize: (k) => equalBytes(k, contact.publicKey) },
        iceServers: this.iceServers,
        timeoutMs: CONTACT_ATTEMPT_MS,
        signal: attempt,
      })), signal).finally(release);
      if (r.ok) {
        if (!equalBytes(r.link.remotePublicKey, contact.publicKey)) { void r.link.close().catch(() => {}); continue; }
        this.handshakeBackoff.delete(key);
        await this.attach(contact, r.link);
        return;
      }
      if (r.code === 'LINK_ABORTED') return;
      if (r.code === 'LINK_HANDSHAKE_FAILED') {
        this.hooks.error(appError('HANDSHAKE_FAILED', contact.name));
        const backoff = Math.min(60_000, Math.max(2_000, (this.handshakeBackoff.get(key) ?? 0) * 2));
        this.handshakeBackoff.set(key, backoff);
        await sleep(backoff, signal);
      } else if (r.code !== 'LINK_TIMEOUT') {
        await sleep(1_000 + Math.random() * 1_000, signal);
      }
    }
  }

  /** Makes `link` the contact's live link: messages, receipts, outbox, reconnect on close. */
  async attach(contact: ContactRecord, link: SecureLink): Promise<void> {
    const key = contact.key;
    const old = this.links.get(key);
    this.links.set(key, link);
    this.sentOnLink.set(link, new Set());
    if (old && old !== link) void old.close().catch(() => {});
    this.hooks.linkUp?.(key, link);
    // A store that refuses the write (quota, private mode) must not become an unhandled
    // rejection: no receipt goes back, so the friend sends the message again later.
    link.onMessage((m) => void this.onWire(key, link, m).catch(() => this.hooks.error(appError('STORAGE_FAILED'))));
    link.onClose((e) => {
      if (this.links.get(key) !== link) return;
      this.links.delete(key);
      this.setPeer(key, 'waiting');
      // Altered, replayed or reordered frames mean someone is meddling; a cut without goodbye
      // (FRAME_TRUNCATED, LINK_CLOSED) is what a friend closing the tab looks like: no alarm.
      if (e.failure && TAMPERING.has(e.failure.code)) this.hooks.error(appError('HANDSHAKE_FAILED', contact.name));
      this.ensureContactLoop(key);
    });
    this.setPeer(key, 'connected');
    this.hooks.resolved(['HANDSHAKE_FAILED', 'CONNECTION_FAILED', 'FRIEND_OFFLINE']);
    await this.contacts.touch(key);
    try {
      await link.send({ type: 'hello', name: this.identity.name });
    } catch { /* closed already: onClose takes over */ }
    await this.flush(key);
  }

  private async onWire(key: string, link: SecureLink, m: WireMessage): Promise<void> {
    switch (m.type) {
      case 'hello': {
        const clean = cleanName(m.name);
        const name = clean && distinctName(clean, key, this.contacts.list);
        const before = this.contacts.get(key)?.name;
        if (name && name !== before) {
          await this.contacts.touch(key, name);
          if (before) this.hooks.renamed?.(key, before, name);
        }
        return;
      }
      case 'chat': {
        const receivedAt = Date.now();
        await this.store.addIncoming({
          contact: key, id: m.id, direction: 'in', text: m.text, sentAt: incomingSentAt(m.sentAt, receivedAt), receivedAt, delivered: true,
        });
        this.hooks.messagesChanged(key, m.id);
        // A receipt even for a message we had already: the first receipt may have been lost.
        await link.send({ type: 'receipt', id: m.id }).catch(() => {});
        return;
      }
      case 'receipt': {
        await this.store.markDelivered(key, m.id);
        for (const row of await this.store.listOutbox(key)) if (row.messageId === m.id) await this.store.removeFromOutbox(row.seq);
        this.hooks.messagesChanged(key, m.id);
        return;
      }
      default:
        return; // invite messages are only meaningful while pairing
    }
  }

  /**
   * Sends what is in the contact's outbox, oldest first. Entries leave the outbox when their
   * receipt arrives, so a message lost with a dying link is sent again on the next one (the
   * receiver drops the duplicate by id). One flush at a time per contact keeps the order.
   */
  flush(key: string): Promise<void> {
    const prev = this.flushes.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.flushNow(key)).catch(() => {});
    this.flushes.set(key, next);
    return next;
  }

  private async flushNow(key: string): Promise<void> {
    const link = this.links.get(key);
    if (!link) return;
    const sent = this.sentOnLink.get(link)!;
    for (const row of await this.store.listOutbox(key)) {
      if (sent.has(row.messageId)) continue;
      const m = await this.store.getMessage(key, row.messageId);
      if (!m) { await this.store.removeFromOutbox(row.seq); continue; }
      if (this.links.get(key) !== link) return;
      await link.send({ type: 'chat', id: m.id, text: m.text, sentAt: m.sentAt });
      sent.add(m.id);
    }
  }

  setPeer(key: string, s: PeerState): void {
    this.peers = { ...this.peers, [key]: s };
  }
}

async function loadIceServers(origin: URL): Promise<RTCIceServer[]> {
  try {
    const res = await fetch(new URL('/config.json', origin));
    if (!res.ok) return [];
    const j = (await res.json()) as { iceServers?: RTCIceServer[] };
    return Array.isArray(j.iceServers) ? j.iceServers : [];
  } catch {
    return [];
  }
}
