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
import { openLink, type SecureLink } from '../net/link';
import { createInvite, inviteLink, inviteProof, parseInvite, verifyInviteProof, type Invite } from '../core/invite';
import { deriveContactSecret } from '../core/rendezvous';
import type { InviteRefusal, WireMessage } from '../core/wire';
import type { InviteRecord } from '../store/db';
import type { ConnectionManager } from './connections.svelte';
import { appError, type AppErrorCode } from './errors';
import { cleanName, distinctName } from './names';
import { equalBytes, randomBytes, sleep, toHex } from './bytes';
import { pairingVerdict } from './contact-guard';

/** How long the inviter waits for the invite proof after the handshake. */
export const PROOF_TIMEOUT_MS = 5_000;
const RESULT_TIMEOUT_MS = 10_000;
const ATTEMPT_MS = 30_000;
/** Keep answering "expired" for a while after expiry, then stop listening. */
const LISTEN_AFTER_EXPIRY_MS = 3_600_000;
const MAX_LISTENING_INVITES = 8;

export interface PendingInvite {
  name: string;
  state: 'waiting' | 'verifying';
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
    private readonly cm: ConnectionManager,
    private readonly origin: string,
  ) {}

  /** Resumes listening on the invites made earlier that can still be answered. */
  async resume(): Promise<void> {
    const now = Date.now();
    const open = (await this.cm.store.listInvites())
      .filter((i) => i.expiresAt + LISTEN_AFTER_EXPIRY_MS > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, MAX_LISTENING_INVITES);
    for (const inv of open) this.listen(inv);
    // Show the newest invite nobody has used yet again, so a reload does not lose it.
    const current = open.find((i) => !i.used && i.expiresAt > now);
    if (current && !this.link)
      await this.show({
        version: 1,
        inviterKey: this.cm.identity.keyPair().publicKey,
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
    const me = this.cm.identity.keyPair();
    const name = this.cm.identity.name || undefined;
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
    await this.cm.store.putInvite(rec);
    this.listen(rec);
    return this.show(invite);
  }

  private listen(inv: InviteRecord): void {
    if (this.listening.has(inv.id)) return;
    this.listening.add(inv.id);
    void this.listenLoop(inv)
      .catch(() => this.cm.hooks.error(appError('STORAGE_FAILED')))
      .finally(() => this.listening.delete(inv.id));
  }

  private async listenLoop(inv: InviteRecord): Promise<void> {
    const cm = this.cm;
    const signal = cm.stopSignal;
    while (!signal.aborted && Date.now() < inv.expiresAt + LISTEN_AFTER_EXPIRY_MS) {
      await cm.relayOpen();
      if (signal.aborted || !cm.signaling) return;
      const release = await cm.rooms.acquire(1, signal);
      if (!release) return;
      const r = await openLink({
        signaling: cm.signaling,
        rendezvousSecret: inv.rendezvousSecret,
        identity: cm.identity.keyPair(),
        shs: { role: 'server', authorize: () => true },
        iceServers: cm.iceServers,
        timeoutMs: ATTEMPT_MS,
        signal,
      }).finally(release);
      if (r.ok) {
        const link = r.link;
        await this.admit(inv.id, link).catch(() => {
          cm.hooks.error(appError('STORAGE_FAILED'));
          void link.close().catch(() => {});
        });
      } else if (r.code === 'LINK_ABORTED') return;
      else if (r.code === 'LINK_HANDSHAKE_FAILED') {
        cm.hooks.error(appError('HANDSHAKE_FAILED'));
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
      await link.send({ type: 'invite-result', accepted: false, reason }).catch(() => {});
      inbox.stop();
      await link.close().catch(() => {});
    };
    if (!proofMsg) {
      inbox.stop();
      await link.close().catch(() => {});
      return;
    }
    const inv = await this.cm.store.getInvite(inviteId);
    if (!inv || !verifyInviteProof(inv.inviteSecret, link.handshakeSecret, proofMsg.proof)) return reject('unknown');
    if (inv.used) return reject('used');
    if (Date.now() > inv.expiresAt) return reject('expired');
    // Redeeming an invite never changes an existing contact (contact-guard.ts): a replaced,
    // pending or blocked key is refused (the invite stays unused), a contact's current key is that contact.
    const verdict = pairingVerdict(this.cm.contacts.list, link.remotePublicKey);
    if (verdict.kind === 'refused') {
      this.cm.hooks.error(appError(verdict.code, verdict.contact.name));
      return reject('known-key');
    }
    if (!(await this.cm.store.claimInvite(inviteId))) return reject('used');
    if (inviteId === this.shownId) this.usedShown = true;
    const contactSecret = deriveContactSecret(link.handshakeSecret);
    const contact =
      verdict.kind === 'same'
        ? await this.cm.contacts.paired(verdict.contact.key, contactSecret)
        : await this.addContact(link, cleanName(inbox.last('hello')?.name ?? hello?.name), contactSecret);
    if (!contact) return reject('unknown');
    const early = inbox.stop();
    // The inviter was the SHS server: the kx responder (docs/session.md §2).
    const attached = this.cm.attach(contact, link, 'responder', early); // handlers are registered synchronously
    await link.send({ type: 'invite-result', accepted: true }).catch(() => {});
    await attached;
  }

  private async addContact(link: SecureLink, helloName: string, contactSecret: Uint8Array) {
    const key = toHex(link.remotePublicKey);
    const contact = {
      key,
      publicKey: link.remotePublicKey.slice(),
      name: distinctName(helloName || 'Friend', key, this.cm.contacts.list),
      contactSecret,
      addedAt: Date.now(),
      lastSeen: Date.now(),
    };
    await this.cm.contacts.add(contact);
    return contact;
  }

  /**
   * Invitee: opens a link or code (from the address bar or pasted). A contact's own invite just
   * opens its chat; a refused key says why; anything else waits for {@link confirm}.
   */
  async open(text: string): Promise<AppErrorCode | null> {
    const parsed = parseInvite(text.trim(), Date.now());
    if (!parsed.ok) {
      this.cm.hooks.error(appError(parsed.code));
      return parsed.code;
    }
    const invite = parsed.invite;
    const me = this.cm.identity.keyPair();
    if (equalBytes(invite.inviterKey, me.publicKey)) {
      this.cm.hooks.error(appError('INVITE_OWN'));
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
      this.cm.hooks.error(appError('STORAGE_FAILED', cleanName(invite.name))),
    );
    return null;
  }

  /**
   * An invite from a contact's current key opens that chat; from a replaced, pending or blocked
   * key it is refused with its code (contact-guard.ts). Null: a new contact, go on.
   */
  private knownInviter(inviterKey: Uint8Array): { code: AppErrorCode | null } | null {
    const verdict = pairingVerdict(this.cm.contacts.list, inviterKey);
    if (verdict.kind === 'new') return null;
    if (verdict.kind === 'same') {
      this.cm.contacts.select(verdict.contact.key);
      return { code: null };
    }
    this.cm.hooks.error(appError(verdict.code, verdict.contact.name));
    return { code: verdict.code };
  }

  /** "Cancel" on an invite waiting for confirmation: it is forgotten, nothing was sent. */
  dismiss(): void {
    this.askingInvite = null;
    this.asking = null;
  }

  private async dial(invite: Invite, abort: AbortSignal): Promise<void> {
    const cm = this.cm;
    const name = cleanName(invite.name) || 'your friend';
    const signal = AbortSignal.any([abort, cm.stopSignal]);
    this.pending = { name, state: 'waiting' };
    try {
      while (!signal.aborted) {
        if (Date.now() > invite.expiresAt) return cm.hooks.error(appError('INVITE_EXPIRED', name));
        await cm.relayOpen();
        if (signal.aborted || !cm.signaling) return;
        const r = await openLink({
          signaling: cm.signaling,
          rendezvousSecret: invite.rendezvousSecret,
          identity: cm.identity.keyPair(),
          shs: { role: 'client', serverPublicKey: invite.inviterKey },
          iceServers: cm.iceServers,
          timeoutMs: ATTEMPT_MS,
          signal,
        });
        if (!r.ok) {
          if (r.code === 'LINK_ABORTED') return;
          if (r.code === 'LINK_HANDSHAKE_FAILED') return cm.hooks.error(appError('HANDSHAKE_FAILED', name));
          if (r.code !== 'LINK_TIMEOUT') await sleep(1_000, signal);
          continue;
        }
        this.pending = { name, state: 'verifying' };
        const link = r.link;
        const inbox = collect(link);
        try {
          await link.send({ type: 'hello', name: cm.identity.name });
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
          const code: AppErrorCode =
            result.reason === 'used'
              ? 'INVITE_USED'
              : result.reason === 'expired'
                ? 'INVITE_EXPIRED'
                : result.reason === 'known-key'
                  ? 'INVITE_KEY_REFUSED'
                  : 'INVITE_REJECTED';
          return cm.hooks.error(appError(code, name));
        }
        const key = toHex(link.remotePublicKey);
        const contact = {
          key,
          publicKey: link.remotePublicKey.slice(),
          name: distinctName(cleanName(hello?.name) || cleanName(invite.name) || 'Friend', key, cm.contacts.list),
          contactSecret: deriveContactSecret(link.handshakeSecret),
          addedAt: Date.now(),
          lastSeen: Date.now(),
        };
        // Saving starts its transaction now; attach() registers the message handler before
        // its first await, so nothing the inviter sends next can slip past.
        const saved = cm.contacts.add(contact);
        // The invitee was the SHS client: the kx initiator (docs/session.md §2).
        await Promise.all([saved, cm.attach(contact, link, 'initiator', early)]);
        return;
      }
    } finally {
      if (this.dialAbort?.signal === abort) this.pending = null;
    }
  }

  cancel(): void {
    this.dialAbort?.abort();
    this.pending = null;
  }
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
