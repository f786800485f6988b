/**
 * Pairing through invites (docs/interfaces.md, "Which side is the SHS client"), as the UI sees it.
 *
 * Inviter: "Invite someone" makes a 24 h, single-use invite, shows it as a link and a QR code,
 * and listens on its rendezvous (invite-listener.ts: the SHS server, the invite proof, the
 * `invite-result`). Invitee: an opened link asks first, then is dialed (invite-dialer.svelte.ts).
 * Both sides then store each other as contacts with contactSecret = deriveContactSecret(handshakeSecret).
 * @module
 */
import QRCode from 'qrcode';
import { createInvite, inviteLink, type Invite } from '../core/invite';
import type { InviteRecord } from '../store/db';
import type { MeetingContext } from './meeting';
import type { AppErrorCode } from './errors';
import { bytesToHex as toHex, randomBytes } from '@noble/hashes/utils.js';
import type { PairingServices } from './invite-rendezvous';
import { InviteListener } from './invite-listener';
import { InviteDialer, type AskingInvite, type PendingInvite } from './invite-dialer.svelte';

export class PairingState {
  /** The invite made last in this session, as a link. */
  link = $state<string | null>(null);
  expiresAt = $state<number | null>(null);
  /** The link as a QR code (data: URL, made locally). */
  qr = $state<string | null>(null);
  /** The invite on show has just been used (the panel says so instead of offering it again). */
  usedShown = $state(false);
  private shownId: string | null = null;
  private readonly listener: InviteListener;
  private readonly dialer: InviteDialer;

  constructor(
    ctx: MeetingContext,
    private readonly app: PairingServices,
    private readonly origin: string,
  ) {
    this.listener = new InviteListener(ctx, app, (inviteId) => {
      if (inviteId === this.shownId) this.usedShown = true;
    });
    this.dialer = new InviteDialer(ctx, app);
  }

  /** An invite being opened (invitee side). */
  get pending(): PendingInvite | null {
    return this.dialer.pending;
  }

  /** An invite opened but not yet confirmed: nothing of it has reached the relay (docs/app.md). */
  get asking(): AskingInvite | null {
    return this.dialer.asking;
  }

  /** Resumes listening on the invites made earlier that can still be answered. */
  async resume(): Promise<void> {
    const current = await this.listener.resume();
    // Show the newest invite nobody has used yet again, so a reload does not lose it.
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
    this.listener.listen(rec);
    return this.show(invite);
  }

  /**
   * Invitee: opens a link or code (from the address bar or pasted). A contact's own invite just
   * opens its chat; a refused key says why; anything else waits for {@link confirm}.
   */
  open(text: string): Promise<AppErrorCode | null> {
    return this.dialer.open(text);
  }

  /** "Connect": dials the invite waiting for confirmation (unless the contacts changed meanwhile). */
  confirm(): AppErrorCode | null {
    return this.dialer.confirm();
  }

  /** "Cancel" on an invite waiting for confirmation: it is forgotten, nothing was sent. */
  dismiss(): void {
    this.dialer.dismiss();
  }

  /** Stops dialing the invite being opened. */
  cancel(): void {
    this.dialer.cancel();
  }
}
