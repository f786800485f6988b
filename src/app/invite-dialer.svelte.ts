/**
 * The invitee's side of pairing (docs/interfaces.md, "Which side is the SHS client"; docs/app.md
 * "Invites (invitee)"): parses the link (typed errors), asks the person first, then dials the
 * inviter's key as SHS client, sends hello and the proof, and waits for the result. On acceptance
 * the inviter is stored as a contact with contactSecret = deriveContactSecret(handshakeSecret).
 * @module
 */
import { isNoRouteFailure, type LinkFailure, type SecureLink } from '../net/link';
import { inviteProof, parseInvite, type Invite } from '../core/invite';
import { deriveContactSecret } from '../core/rendezvous';
import type { WireMessage } from '../core/wire';
import type { MeetingContext } from './meeting';
import { appError, type AppErrorCode } from './errors';
import { cleanName, distinctName } from './names';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import { sleep } from './sleep';
import { pairingVerdict } from './contact-guard';
import { t } from './strings';
import { attemptAtInvite, inviteInbox, type PairingServices, type WireOf } from './invite-rendezvous';

const RESULT_TIMEOUT_MS = 10_000;

export interface PendingInvite {
  name: string;
  /** `unreachable`: the inviter was there but no connection could be made (CONNECTION_FAILED). */
  state: 'waiting' | 'verifying' | 'unreachable';
}

/** An opened invite waiting for the person's "Connect" (docs/app.md "Invites (invitee)"). */
export interface AskingInvite {
  /** The name written in the link, cleaned; '' when it has none. Anyone can write any name there. */
  name: string;
  expiresAt: number;
}

/** An invite opened here, from the question "Connect?" to the inviter saved as a contact. */
export class InviteDialer {
  /** An invite being opened (invitee side). */
  pending = $state<PendingInvite | null>(null);
  /** An invite opened but not yet confirmed: nothing of it has reached the relay (docs/app.md). */
  asking = $state<AskingInvite | null>(null);
  private askingInvite: Invite | null = null;
  private dialAbort: AbortController | null = null;

  constructor(
    private readonly ctx: MeetingContext,
    private readonly app: PairingServices,
  ) {}

  /**
   * Opens a link or code (from the address bar or pasted). A contact's own invite just opens its
   * chat; a refused key says why; anything else waits for {@link confirm}.
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

  /** Stops dialing the invite being opened. */
  cancel(): void {
    this.dialAbort?.abort();
    this.pending = null;
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
        const r = await attemptAtInvite(ctx, app.identity, invite.rendezvousSecret, shs, signal);
        if (!r.ok) {
          if (r.code === 'LINK_HANDSHAKE_FAILED') return app.hooks.error(appError('HANDSHAKE_FAILED', name));
          await this.dialFailed(r, name, signal);
          continue;
        }
        this.pending = { name, state: 'verifying' };
        const link = r.link;
        const inbox = inviteInbox(link);
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
   * What a failed attempt means for the line under "Got an invite?" — the inviter was there but
   * no route was found (CONNECTION_FAILED, not "waiting"), or nobody came (waiting again) — and
   * how long to wait before the next one.
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

  /** The inviter accepted; saves the contact and hands the link on. */
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
}

/** The error an invitee shows when the inviter answers `accepted: false`. */
function refusalCode(reason: WireOf<'invite-result'>['reason']): AppErrorCode {
  if (reason === 'used') return 'INVITE_USED';
  if (reason === 'expired') return 'INVITE_EXPIRED';
  // The inviter knows this key as a contact's replaced or pending key, or blocked it (contact-guard.ts).
  if (reason === 'known-key') return 'INVITE_KEY_REFUSED';
  return 'INVITE_REJECTED';
}
