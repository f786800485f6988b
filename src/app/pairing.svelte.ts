/**
 * Pairing through invites (docs/interfaces.md, "Which side is the SHS client").
 *
 * Inviter: "Invite someone" makes a 24 h, single-use invite and listens on its rendezvous as
 * SHS server, authorizing any key (the invitee is not known yet) and then requiring, within a
 * few seconds, an `invite-proof` = HMAC(inviteSecret, handshakeSecret). That proof shows the
 * peer holds the invite *and* is the end of this very handshake. The reply is `invite-result`.
 *
 * Invitee: parses the link (typed errors), dials the inviter's key as SHS client, sends hello
 * and the proof, and waits for the result. Both then store each other as contacts with
 * contactSecret = deriveContactSecret(handshakeSecret).
 * @module
 */
import QRCode from 'qrcode';
import {
  isNoRouteFailure,
  openLink,
  type LinkFailure,
  type LinkOptions,
  type LinkResult,
  type SecureLink,
} from '../net/link';
import { createInvite, inviteLink, inviteProof, parseInvite, verifyInviteProof, type Invite } from '../core/invite';
import { deriveContactSecret } from '../core/rendezvous';
import type { InviteRefusal, WireMessage } from '../core/wire';
import type { KxRole } from '../core/kx';
import type { ContactRecord, InviteRecord, ParleyStore } from '../store/db';
import type { MeetingContext } from './meeting';
import type { ConnectionHooks } from './connection-hooks';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import { appError, type AppErrorCode } from './errors';
import { cleanName, distinctName } from './names';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex as toHex, randomBytes } from '@noble/hashes/utils.js';
import { sleep } from './sleep';
import { pairingVerdict, type PairingVerdict } from './contact-guard';
import { t } from './strings';

/** How long the inviter waits for the invite proof after the handshake. */
export const PROOF_TIMEOUT_MS = 5_000;
const RESULT_TIMEOUT_MS = 10_000;
const ATTEMPT_MS = 30_000;
/** Keep answering "expired" for a while after expiry, then stop listening. */
const LISTEN_AFTER_EXPIRY_MS = 3_600_000;
const MAX_LISTENING_INVITES = 8;

export interface PendingInvite {
  name: string;
  /** `unreachable`: the inviter was there but no connection could be made (CONNECTION_FAILED). */
  state: 'waiting' | 'verifying' | 'unreachable';
}

/** What pairing uses besides the meeting context; `AppState` wires it (docs/app.md "Meeting context"). */
export interface PairingServices {
  readonly store: Pick<ParleyStore, 'listInvites' | 'putInvite' | 'getInvite' | 'claimInvite'>;
  readonly identity: Pick<IdentityState, 'keyPair' | 'name'>;
  readonly contacts: Pick<ContactsState, 'list' | 'get' | 'add' | 'select' | 'paired'>;
  readonly hooks: Pick<ConnectionHooks, 'error'>;
  /** Hands a new contact's verified link to its `ContactPeer`: session setup, then chat. */
  attach(contact: ContactRecord, link: SecureLink, role: KxRole, early: WireMessage[]): Promise<void>;
  /** Someone paired through our invite `inviteId` (a group invite vouches for them: docs/groups.md §4.5). */
  paired?(contact: ContactRecord, inviteId: string): void;
}

/** An opened invite waiting for the person's "Connect" (docs/app.md "Invites (invitee)"). */
export interface AskingInvite {
  /** The name written in the link, cleaned; '' when it has none. Anyone can write any name there. */
  name: string;
  expiresAt: number;
}

export class PairingState {
  /** The invite made last in this session, as a link. */
  link = $state<string | null>(null);
  expiresAt = $state<number | null>(null);
  /** The link as a QR code (data: URL, made locally). */
  qr = $state<string | null>(null);
  /** The invite on show has just been used (the panel says so instead of offering it again). */
  usedShown = $state(false);
  private shownId: string | null = null;
  /** An invite being opened (invitee side). */
  pending = $state<PendingInvite | null>(null);
  /** An invite opened but not yet confirmed: nothing of it has reached the relay (docs/app.md). */
  asking = $state<AskingInvite | null>(null);
  private askingInvite: Invite | null = null;
  private readonly listening = new Set<string>();
  private dialAbort: AbortController | null = null;

  constructor(
    private readonly ctx: MeetingContext,
    private readonly app: PairingServices,
    private readonly origin: string,
  ) {}

  /** Resumes listening on the invites made earlier that can still be answered. */
  async resume(): Promise<void> {
    const now = Date.now();
    const open = (await this.app.store.listInvites())
      .filter((i) => i.expiresAt + LISTEN_AFTER_EXPIRY_MS > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, MAX_LISTENING_INVITES);
    for (const inv of open) this.listen(inv);
    // Show the newest invite nobody has used yet again, so a reload does not lose it.
    const current = open.find((i) => !i.used && i.expiresAt > now);
    if (current && !this.link)
      await this.show({
        version: 1,
        inviterKey: this.app.identity.keyPair().publicKey,
        rendezvousSecret: current.rendezvousSecret,
        inviteSecret: current.inviteSecret,
        expiresAt: current.expiresAt,
        ...(current.name ? { name: current.name } : {}),
      });
  }

  private async show(invite: Invite): Promise<string> {
    const link = inviteLink(this.origin, invite);
    this.link = link;
    this.shownId = toHex(invite.rendezvousSecret);
    this.usedShown = false;
    this.expiresAt = invite.expiresAt;
    this.qr = null;
    const qr = await QRCode.toDataURL(link, { margin: 1, width: 232, errorCorrectionLevel: 'M' }).catch(() => null);
    if (this.link === link) this.qr = qr; // a newer invite may have been made meanwhile
    return link;
  }

  /** "Invite someone": a fresh 24 h single-use invite; returns the link. */
  async create(ttlMs?: number): Promise<string> {
    const me = this.app.identity.keyPair();
    const name = this.app.identity.name || undefined;
    const invite = createInvite({ inviterKey: me.publicKey, name, now: Date.now(), ttlMs, random: randomBytes });
    const rec: InviteRecord = {
      id: toHex(invite.rendezvousSecret),
      rendezvousSecret: invite.rendezvousSecret,
      inviteSecret: invite.inviteSecret,
      createdAt: Date.now(),
      expiresAt: invite.expiresAt,
      used: false,
      name,
    };
    await this.app.store.putInvite(rec);
    this.listen(rec);
    return this.show(invite);
  }

  private listen(inv: InviteRecord): void {
    if (this.listening.has(inv.id)) return;
    this.listening.add(inv.id);
    void this.listenLoop(inv)
      .catch(() => this.app.hooks.error(appError('STORAGE_FAILED')))
      .finally(() => this.listening.delete(inv.id));
  }

  private async listenLoop(inv: InviteRecord): Promise<void> {
    const ctx = this.ctx;
    const signal = ctx.stop;
    while (!signal.aborted && Date.now() < inv.expiresAt + LISTEN_AFTER_EXPIRY_MS) {
      await ctx.relayOpen();
      if (signal.aborted || !ctx.signaling) return;
      const release = await ctx.rooms.acquire(1, signal);
      if (!release) return;
      const r = await this.attempt(inv.rendezvousSecret, { role: 'server', authorize: () => true }, signal).finally(
        release,
      );
      if (r.ok) {
        const link = r.link;
        await this.admit(inv.id, link).catch(() => {
          this.app.hooks.error(appError('STORAGE_FAILED'));
          void link.close().catch(() => {});
        });
      } else if (r.code === 'LINK_ABORTED') {
        if (signal.aborted) return; // else relay-only was switched: listen again under the new policy
      } else if (isNoRouteFailure(r)) {
        this.app.hooks.error(ctx.noRoute());
        await sleep(2_000, signal);
      } else if (r.code === 'LINK_HANDSHAKE_FAILED') {
        this.app.hooks.error(appError('HANDSHAKE_FAILED'));
        await sleep(2_000, signal);
      } else if (r.code !== 'LINK_TIMEOUT') await sleep(1_000, signal);
    }
  }

  /** Inviter: checks the invitee's proof, answers, and on success saves the contact. */
  private async admit(inviteId: string, link: SecureLink): Promise<void> {
    const inbox = collect(link);
    const proofMsg = await inbox.next('invite-proof', PROOF_TIMEOUT_MS);
    const hello = inbox.last('hello');
    const reject = async (reason: InviteRefusal) => {
      // `known-key` came after version 1, whose decoder refuses it: a version-1 invitee gets the
      // refusal without a reason (docs/protocol.md "Compatibility").
      const told = reason === 'known-key' && !(await link.features)?.peer ? {} : { reason };
      await link.send({ type: 'invite-result', accepted: false, ...told }).catch(() => {});
      inbox.stop();
      await link.close().catch(() => {});
    };
    if (!proofMsg) {
      inbox.stop();
      await link.close().catch(() => {});
      return;
    }
    const inv = await this.app.store.getInvite(inviteId);
    if (!inv || !verifyInviteProof(inv.inviteSecret, link.handshakeSecret, proofMsg.proof)) return reject('unknown');
    if (inv.used) return reject('used');
    if (Date.now() > inv.expiresAt) return reject('expired');
    // Redeeming an invite never changes an existing contact (contact-guard.ts): a replaced,
    // pending or blocked key is refused (the invite stays unused), a contact's current key is that contact.
    const verdict = pairingVerdict(this.app.contacts.list, link.remotePublicKey);
    if (verdict.kind === 'refused') {
      this.app.hooks.error(appError(verdict.code, verdict.contact.name));
      return reject('known-key');
    }
    if (!(await this.app.store.claimInvite(inviteId))) return reject('used');
    if (inviteId === this.shownId) this.usedShown = true;
    const contact = await this.admitted(link, verdict, inbox.last('hello')?.name ?? hello?.name);
    if (!contact) return reject('unknown');
    const early = inbox.stop();
    // The inviter was the SHS server: the kx responder (docs/session.md §2).
    const attached = this.app.attach(contact, link, 'responder', early); // handlers are registered synchronously
    await link.send({ type: 'invite-result', accepted: true }).catch(() => {});
    await attached;
    this.app.paired?.(contact, inviteId);
  }

  /**
   * Inviter: the contact an accepted invitee is. A contact's current key keeps its record as it is
   * — verified mark, pending key change, name — except the contact secret, which becomes this
   * pairing's (the invitee had lost us, so it holds only the new one). A new key is a new contact.
   */
  private async admitted(link: SecureLink, verdict: PairingVerdict, hello: string | undefined) {
    const contactSecret = deriveContactSecret(link.handshakeSecret);
    if (verdict.kind === 'same') return this.app.contacts.paired(verdict.contact.key, contactSecret);
    const key = toHex(link.remotePublicKey);
    const contact = {
      key,
      publicKey: link.remotePublicKey.slice(),
      name: distinctName(cleanName(hello) || 'Friend', key, this.app.contacts.list),
      contactSecret,
      addedAt: Date.now(),
      lastSeen: Date.now(),
    };
    await this.app.contacts.add(contact);
    return contact;
  }

  /**
   * Invitee: opens a link or code (from the address bar or pasted). A contact's own invite just
   * opens its chat; a refused key says why; anything else waits for {@link confirm}.
   */
  async open(text: string): Promise<AppErrorCode | null> {
    const parsed = parseInvite(text.trim(), Date.now());
    if (!parsed.ok) {
      this.app.hooks.error(appError(parsed.code));
      return parsed.code;
    }
    const invite = parsed.invite;
    const me = this.app.identity.keyPair();
    if (equalBytes(invite.inviterKey, me.publicKey)) {
      this.app.hooks.error(appError('INVITE_OWN'));
      return 'INVITE_OWN';
    }
    const known = this.knownInviter(invite.inviterKey);
    if (known) return known.code;
    // Ask first (docs/app.md "Invites (invitee)"): a page may have sent this tab here.
    this.askingInvite = invite;
    this.asking = { name: cleanName(invite.name), expiresAt: invite.expiresAt };
    return null;
  }

  /** "Connect": dials the invite waiting for confirmation (unless the contacts changed meanwhile). */
  confirm(): AppErrorCode | null {
    const invite = this.askingInvite;
    this.dismiss();
    if (!invite) return null;
    const known = this.knownInviter(invite.inviterKey);
    if (known) return known.code;
    this.dialAbort?.abort();
    const ac = new AbortController();
    this.dialAbort = ac;
    void this.dial(invite, ac.signal).catch(() =>
      this.app.hooks.error(appError('STORAGE_FAILED', cleanName(invite.name))),
    );
    return null;
  }

  /**
   * An invite from a contact's current key opens that chat; from a replaced, pending or blocked
   * key it is refused with its code (contact-guard.ts). Null: a new contact, go on.
   */
  private knownInviter(inviterKey: Uint8Array): { code: AppErrorCode | null } | null {
    const verdict = pairingVerdict(this.app.contacts.list, inviterKey);
    if (verdict.kind === 'new') return null;
    if (verdict.kind === 'same') {
      this.app.contacts.select(verdict.contact.key);
      return { code: null };
    }
    this.app.hooks.error(appError(verdict.code, verdict.contact.name));
    return { code: verdict.code };
  }

  /** "Cancel" on an invite waiting for confirmation: it is forgotten, nothing was sent. */
  dismiss(): void {
    this.askingInvite = null;
    this.asking = null;
  }

  private async dial(invite: Invite, abort: AbortSignal): Promise<void> {
    const { ctx, app } = this;
    const name = cleanName(invite.name) || t.friend;
    const signal = AbortSignal.any([abort, ctx.stop]);
    this.pending = { name, state: 'waiting' };
    try {
      while (!signal.aborted) {
        if (Date.now() > invite.expiresAt) return app.hooks.error(appError('INVITE_EXPIRED', name));
        await ctx.relayOpen();
        if (signal.aborted || !ctx.signaling) return;
        const shs = { role: 'client', serverPublicKey: invite.inviterKey } as const;
        const r = await this.attempt(invite.rendezvousSecret, shs, signal);
        if (!r.ok) {
          if (r.code === 'LINK_HANDSHAKE_FAILED') return app.hooks.error(appError('HANDSHAKE_FAILED', name));
          await this.dialFailed(r, name, signal);
          continue;
        }
        this.pending = { name, state: 'verifying' };
        const link = r.link;
        const inbox = collect(link);
        try {
          await link.send({ type: 'hello', name: app.identity.name });
          await link.send({ type: 'invite-proof', proof: inviteProof(invite.inviteSecret, link.handshakeSecret) });
        } catch {
          inbox.stop();
          continue;
        }
        const result = await inbox.next('invite-result', RESULT_TIMEOUT_MS);
        const hello = inbox.last('hello');
        if (!result) {
          inbox.stop();
          await link.close().catch(() => {});
          this.pending = { name, state: 'waiting' };
          continue;
        }
        const early = inbox.stop();
        if (!result.accepted) {
          await link.close().catch(() => {});
          return app.hooks.error(appError(refusalCode(result.reason), name));
        }
        await this.adopt(link, invite, hello?.name, early);
        return;
      }
    } finally {
      if (this.dialAbort?.signal === abort) this.pending = null;
    }
  }

  /**
   * One link attempt at an invite's rendezvous with the ICE settings of the moment (the TURN
   * credentials renewed if stale, the relay-only choice); a change of that choice aborts it.
   */
  private async attempt(secret: Uint8Array, shs: LinkOptions['shs'], signal: AbortSignal): Promise<LinkResult> {
    const ice = await this.ctx.ice();
    return openLink({
      signaling: this.ctx.signaling!,
      rendezvousSecret: secret,
      identity: this.app.identity.keyPair(),
      shs,
      iceServers: ice.iceServers,
      iceTransportPolicy: ice.iceTransportPolicy,
      features: this.ctx.features,
      timeoutMs: ATTEMPT_MS,
      signal: AbortSignal.any([signal, ice.changed]),
    });
  }

  /**
   * Invitee: what a failed attempt means for the line under "Got an invite?" — the inviter was
   * there but no route was found (CONNECTION_FAILED, not "waiting"), or nobody came (waiting
   * again) — and how long to wait before the next one.
   */
  private async dialFailed(r: LinkFailure, name: string, signal: AbortSignal): Promise<void> {
    if (r.code === 'LINK_ABORTED') return; // stopped, or relay-only switched: the loop decides
    if (isNoRouteFailure(r)) {
      this.pending = { name, state: 'unreachable' };
      this.app.hooks.error(this.ctx.noRoute(name));
      await sleep(3_000, signal);
    } else {
      if (r.code === 'LINK_TIMEOUT' && r.step === 'rendezvous') this.pending = { name, state: 'waiting' };
      if (r.code !== 'LINK_TIMEOUT') await sleep(1_000, signal);
    }
  }

  /** Invitee: the inviter accepted; saves the contact and hands the link on. */
  private async adopt(
    link: SecureLink,
    invite: Invite,
    hello: string | undefined,
    early: WireMessage[],
  ): Promise<void> {
    const app = this.app;
    const key = toHex(link.remotePublicKey);
    const contact = {
      key,
      publicKey: link.remotePublicKey.slice(),
      name: distinctName(cleanName(hello) || cleanName(invite.name) || 'Friend', key, app.contacts.list),
      contactSecret: deriveContactSecret(link.handshakeSecret),
      addedAt: Date.now(),
      lastSeen: Date.now(),
    };
    // Saving starts its transaction now; attach() registers the message handler before
    // its first await, so nothing the inviter sends next can slip past.
    const saved = app.contacts.add(contact);
    // The invitee was the SHS client: the kx initiator (docs/session.md §2).
    await Promise.all([saved, app.attach(contact, link, 'initiator', early)]);
  }

  cancel(): void {
    this.dialAbort?.abort();
    this.pending = null;
  }
}

/** The error an invitee shows when the inviter answers `accepted: false`. */
function refusalCode(reason: Of<'invite-result'>['reason']): AppErrorCode {
  if (reason === 'used') return 'INVITE_USED';
  if (reason === 'expired') return 'INVITE_EXPIRED';
  // The inviter knows this key as a contact's replaced or pending key, or blocked it (contact-guard.ts).
  if (reason === 'known-key') return 'INVITE_KEY_REFUSED';
  return 'INVITE_REJECTED';
}

type Of<T extends WireMessage['type']> = Extract<WireMessage, { type: T }>;

/** Buffers a link's messages so that none is missed while we wait for a particular one. */
function collect(link: SecureLink) {
  const seen: WireMessage[] = [];
  let wake: (() => void) | null = null;
  const off = link.onMessage((m) => {
    seen.push(m);
    wake?.();
  });
  let closed = false;
  const offClose = link.onClose(() => {
    closed = true;
    wake?.();
  });
  return {
    last<T extends WireMessage['type']>(type: T): Of<T> | undefined {
      return seen.filter((m): m is Of<T> => m.type === type).pop();
    },
    async next<T extends WireMessage['type']>(type: T, timeoutMs: number): Promise<Of<T> | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((m): m is Of<T> => m.type === type);
        if (found || closed || Date.now() >= deadline) return found;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
    },
    /** Stops listening; returns the session messages seen, for the session setup to handle first. */
    stop(): WireMessage[] {
      off();
      offClose();
      return seen.filter((m) => m.type === 'session-offer' || m.type === 'kx' || m.type === 'ratchet');
    },
  };
}
